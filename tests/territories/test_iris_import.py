"""import_iris on small files that follow the CONTOURS-IRIS layout (GeoPackage in Lambert 93, GeoJSON)."""

import geopandas
import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError

from territories.models import DataSource, Territory, TerritoryGeometry
from territories.services import ReferenceDataError, import_iris, load_reference

from .builders import mini_files

pytestmark = pytest.mark.django_db

COLUMNS = ["CODE_IRIS", "NOM_IRIS", "INSEE_COM", "NOM_COM", "IRIS", "TYP_IRIS"]
GRENOBLE_WEST = shapely.box(5.70, 45.16, 5.72, 45.20)
GRENOBLE_EAST = shapely.box(5.72, 45.16, 5.74, 45.20)


@pytest.fixture
def files(tmp_path):
    files = mini_files(tmp_path)
    load_reference(**files)
    return files


def iris_frame(records, crs="EPSG:4326"):
    frame = geopandas.GeoDataFrame(
        [r[:6] for r in records], columns=COLUMNS, geometry=[r[6] for r in records], crs="EPSG:4326"
    )
    return frame.to_crs(crs)


def grenoble_file(tmp_path, *, name="CONTOURS-IRIS.gpkg", crs="EPSG:2154"):
    frame = iris_frame(
        [
            ("381850101", "Bastille", "38185", "Grenoble", "0101", "H", GRENOBLE_WEST),
            ("381850201", "Presqu'île", "38185", "Grenoble", "0201", "A", GRENOBLE_EAST),
        ],
        crs=crs,
    )
    path = tmp_path / name
    frame.to_file(path, driver="GPKG" if name.endswith(".gpkg") else "GeoJSON")
    return path


def iris_of(code):
    return Territory.objects.filter(level="iris", commune__code=code).order_by("code")


def test_import_replaces_the_synthetic_iris_of_covered_communes(files, tmp_path):
    others = list(Territory.objects.filter(level="iris").exclude(commune__code="38185").values())
    counts = import_iris(path=grenoble_file(tmp_path))
    assert counts == {"iris": 2, "communes": 1, "iris_remplaces": 3}
    bastille, presquile = iris_of("38185")
    assert (bastille.code, bastille.name, bastille.kind, bastille.is_synthetic) == ("381850101", "Bastille", "H", False)
    assert (presquile.code, presquile.kind) == ("381850201", "A")
    grenoble = Territory.objects.get(level="commune", code="38185")
    assert (bastille.commune, bastille.epci_id, bastille.department_id) == (
        grenoble,
        grenoble.epci_id,
        grenoble.department_id,
    )
    # reprojected from Lambert 93 back to WGS84
    detail = shapely.from_geojson(bastille.geometries.get(use="detail").geojson)
    assert detail.symmetric_difference(GRENOBLE_WEST).area < 1e-8
    assert 45.16 < bastille.centroid_lat < 45.20 and 5.70 < bastille.centroid_lon < 5.72
    assert bastille.area_km2 == pytest.approx(grenoble.area_km2 / 2, rel=0.01)
    assert list(Territory.objects.filter(level="iris").exclude(commune__code="38185").values()) == others
    source = DataSource.objects.get(name__startswith="Contours IRIS")
    assert not source.is_demo and source.version == "CONTOURS-IRIS.gpkg"


def test_import_is_idempotent_and_survives_a_reference_reload(files, tmp_path):
    path = grenoble_file(tmp_path, name="iris.geojson", crs="EPSG:4326")
    import_iris(path=path)
    before = sorted(TerritoryGeometry.objects.values_list("territory__code", "use", "geojson"))
    rows = list(Territory.objects.order_by("level", "code").values())
    assert import_iris(path=path)["iris_remplaces"] == 0
    load_reference(**files)  # synthetic IRIS are not generated again for Grenoble
    assert list(Territory.objects.order_by("level", "code").values()) == rows
    assert sorted(TerritoryGeometry.objects.values_list("territory__code", "use", "geojson")) == before


def test_type_z_iris_takes_the_commune_population(files, tmp_path):
    path = tmp_path / "z.geojson"
    iris_frame(
        [
            (
                "384210000",
                "Saint-Martin-d'Hères",
                "38421",
                "Saint-Martin-d'Hères",
                "0000",
                "Z",
                shapely.box(5.74, 45.16, 5.78, 45.20),
            )
        ]
    ).to_file(path)
    import_iris(path=path)
    (iris,) = iris_of("38421")
    assert (iris.population, iris.is_synthetic, iris.kind) == (1200, False, "Z")


def unchanged(check):
    before = list(Territory.objects.order_by("level", "code").values()), DataSource.objects.count()
    check()
    assert (list(Territory.objects.order_by("level", "code").values()), DataSource.objects.count()) == before


def test_missing_columns(files, tmp_path):
    path = tmp_path / "bad.gpkg"
    iris_frame([("381850101", "Bastille", "38185", "Grenoble", "0101", "H", GRENOBLE_WEST)]).drop(
        columns=["TYP_IRIS", "NOM_COM"]
    ).to_file(path)

    def check():
        with pytest.raises(CommandError, match=r"bad\.gpkg : colonne\(s\) manquante\(s\) : NOM_COM, TYP_IRIS"):
            call_command("import_iris", str(path), verbosity=0)

    unchanged(check)


def test_unknown_commune_names_the_feature(files, tmp_path):
    path = tmp_path / "bad.geojson"
    iris_frame(
        [
            ("381850101", "Bastille", "38185", "Grenoble", "0101", "H", GRENOBLE_WEST),
            ("999990101", "Nulle part", "99999", "Nulle part", "0101", "H", GRENOBLE_EAST),
        ]
    ).to_file(path)

    def check():
        with pytest.raises(ReferenceDataError, match=r"entité n° 2 \(CODE_IRIS '999990101'\) : commune 99999 absente"):
            import_iris(path=path)

    unchanged(check)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (("381850101", "X", "38185", "Grenoble", "0101", "Q", GRENOBLE_WEST), "TYP_IRIS 'Q' inconnu"),
        (("381850199", "X", "38185", "Grenoble", "0101", "H", GRENOBLE_WEST), "différent de INSEE_COM \\+ IRIS"),
        (("3818501", "X", "38185", "Grenoble", "01", "H", GRENOBLE_WEST), "CODE_IRIS invalide"),
        (("381850101", "X", "38185", "Grenoble", "0101", "H", shapely.Point(5.71, 45.17)), "non polygonale"),
    ],
)
def test_invalid_features(files, tmp_path, record, message):
    path = tmp_path / "bad.geojson"
    iris_frame([record]).to_file(path)

    def check():
        with pytest.raises(ReferenceDataError, match=rf"bad\.geojson : entité n° 1 .*{message}"):
            import_iris(path=path)

    unchanged(check)


def test_unreadable_file(files, tmp_path):
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"SQLite format 3\x00 truncated")
    with pytest.raises(ReferenceDataError, match=r"broken\.gpkg : fichier IRIS illisible"):
        import_iris(path=path)
