"""Indicator storage: catalogue sync, France, demo generation on a small tree, querysets, re-aggregation."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from territories.catalogue import CATALOGUE
from territories.enums import Level
from territories.models import DataSource, Indicator, IndicatorValue, Signal, Territory, Zoning
from territories.services import indicators as indicator_service
from territories.services.indicator_demo import GENERATOR_VERSION
from territories.services.indicators import (
    current_demo_source,
    ensure_france,
    generate_demo_data,
    stored_checksum,
    sync_indicator_catalogue,
)

from .indicator_tree import build_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return build_tree()


def test_catalogue_sync_is_idempotent():
    sync_indicator_catalogue()
    sync_indicator_catalogue()
    assert Indicator.objects.count() == len(CATALOGUE) >= 25
    gp = Indicator.objects.get(code="gp_density")
    assert (gp.profession, gp.aggregation, gp.scale) == ("gp", "ratio", 10_000)
    assert Indicator.objects.public().filter(code="patients_without_gp_count").count() == 0


def test_france_is_created_once_with_the_population_of_the_regions(tree):
    france = ensure_france()
    assert ensure_france().pk == france.pk
    assert (france.level, france.code, france.name) == (Level.COUNTRY, "FR", "France")
    assert france.population == sum(t.population for t in Territory.objects.filter(level=Level.REGION))


def values_of(code, indicator, year=2025):
    territory = Territory.objects.exclude(level=Level.IRIS).get(code=code)
    return IndicatorValue.objects.for_territory(territory).for_indicator(indicator).get(year=year)


def test_demo_generation_stores_communes_and_ratios_of_sums_up_to_france(tree):
    source = generate_demo_data(seed=7)
    assert source.is_demo and source.name == "données de démonstration"
    assert source.version == f"générateur {GENERATOR_VERSION}, graine 7"
    assert IndicatorValue.objects.filter(is_demo=False).count() == 0
    for level in ("epci", "department", "region", "country"):
        assert IndicatorValue.objects.filter(territory__level=level, indicator__code="gp_density").exists()
    # EPCI 200068567 straddles Isère and Savoie: computed from its own communes.
    epci = values_of("200068567", "gp_density")
    communes = IndicatorValue.objects.filter(indicator__code="gp_density", year=2025, territory__epci=tree["200068567"])
    assert epci.numerator == sum(v.numerator for v in communes)
    assert epci.denominator == sum(v.denominator for v in communes)
    assert epci.value == pytest.approx(epci.numerator / epci.denominator * 10_000)
    france = values_of("FR", "population")
    assert france.value == sum(values_of(c, "population").value for c in ("84", "53"))
    # Zoning rows per commune, queryable by date.
    commune = tree["73002"]
    assert Zoning.objects.for_commune(commune).count() == 2
    assert Zoning.objects.for_commune(commune).in_force(on="2025-06-01").get().valid_from.year == 2024


def test_demo_generation_is_idempotent_and_deterministic(tree):
    generate_demo_data(seed=7)
    first = sorted(
        IndicatorValue.objects.values_list("territory__code", "indicator__code", "year", "value", "is_masked")
    )
    call_command("generate_demo_data", "--seed", "7", stdout=None)
    again = sorted(
        IndicatorValue.objects.values_list("territory__code", "indicator__code", "year", "value", "is_masked")
    )
    assert first == again
    assert DataSource.objects.filter(is_demo=True).count() == 2
    generate_demo_data(seed=8)
    other = sorted(
        IndicatorValue.objects.values_list("territory__code", "indicator__code", "year", "value", "is_masked")
    )
    assert other != first


def test_small_counts_are_masked_without_value(tree):
    generate_demo_data(seed=7)
    masked = IndicatorValue.objects.filter(is_masked=True)
    assert masked.exists()  # Aiguebelle (120 inhabitants) has fewer than 10 patients without médecin traitant
    assert not masked.exclude(value=None).exists()
    assert IndicatorValue.objects.visible().filter(is_masked=True).count() == 0


def test_latest_gives_the_last_year_per_indicator(tree):
    generate_demo_data(seed=7, years=(2023, 2024, 2025))
    latest = IndicatorValue.objects.for_territory(tree["38185"]).latest()
    assert set(latest.values_list("year", flat=True)) == {2025}
    assert latest.count() == Indicator.objects.count()


def stored_rows():
    return sorted(
        IndicatorValue.objects.values_list(
            "territory__level", "territory__code", "indicator__code", "year", "value", "numerator", "is_masked"
        )
    )


def test_series_only_for_the_series_indicators(tree):
    generate_demo_data(seed=7)
    years = {
        code: sorted(set(IndicatorValue.objects.filter(indicator__code=code).values_list("year", flat=True)))
        for code in Indicator.objects.values_list("code", flat=True)
    }
    for entry in CATALOGUE:
        assert years[entry["code"]] == ([2021, 2022, 2023, 2024, 2025] if entry["series"] else [2025]), entry["code"]
        assert entry["method"].endswith("Série annuelle." if entry["series"] else "Dernière année seulement.")


def test_the_checksum_of_the_rows_produced_is_the_checksum_of_the_rows_stored(tree):
    source = generate_demo_data(seed=7)
    assert len(source.checksum) == 64
    assert stored_checksum() == source.checksum
    assert generate_demo_data(seed=7).checksum == source.checksum
    assert generate_demo_data(seed=8).checksum != source.checksum


def test_bulk_path_drops_and_rebuilds_the_secondary_indexes_with_the_same_rows(tree, monkeypatch):
    generate_demo_data(seed=7)
    expected = stored_rows()
    with connection.cursor() as cursor:
        indexes = sorted(connection.introspection.get_constraints(cursor, IndicatorValue._meta.db_table))
    monkeypatch.setattr(indicator_service, "BULK_LOAD_ROWS", 1)
    generate_demo_data(seed=7)
    assert stored_rows() == expected
    with connection.cursor() as cursor:
        assert sorted(connection.introspection.get_constraints(cursor, IndicatorValue._meta.db_table)) == indexes


def test_if_empty_generates_once_then_does_nothing_and_evaluates_signals(tree):
    out = io.StringIO()
    call_command("generate_demo_data", "--seed", "7", "--if-empty", stdout=out)
    assert "simulation :" in out.getvalue() and "signaux d'alerte :" in out.getvalue()
    assert DataSource.objects.filter(is_demo=True).count() == 1
    assert current_demo_source(seed=7) is not None
    signals = Signal.objects.count()
    assert signals > 0
    out = io.StringIO()
    call_command("generate_demo_data", "--seed", "7", "--if-empty", stdout=out)
    assert "rien à générer" in out.getvalue() and "simulation :" not in out.getvalue()
    assert DataSource.objects.filter(is_demo=True).count() == 1 and Signal.objects.count() == signals
    # Signals lost since (another step failed): evaluated again, values untouched.
    Signal.objects.all().delete()
    call_command("generate_demo_data", "--seed", "7", "--if-empty", stdout=io.StringIO())
    assert DataSource.objects.filter(is_demo=True).count() == 1 and Signal.objects.count() == signals
    # Another seed, other years or another geography: generated again.
    assert current_demo_source(seed=8) is None
    assert current_demo_source(seed=7, years=(2024, 2025)) is None
    call_command("generate_demo_data", "--seed", "8", "--if-empty", stdout=io.StringIO())
    assert DataSource.objects.filter(is_demo=True).count() == 2
    Territory.objects.filter(code="73002").delete()
    assert current_demo_source(seed=8) is None


def test_if_empty_without_values_generates(tree):
    generate_demo_data(seed=7)
    IndicatorValue.objects.all().delete()
    assert current_demo_source(seed=7) is None


SQLITE_RUN = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.territories.indicator_tree import build_tree
from territories.services.indicators import generate_demo_data, stored_checksum
build_tree()
source = generate_demo_data(seed=7)
assert stored_checksum() == source.checksum
print(source.checksum)
"""


@pytest.mark.services
def test_same_seed_same_rows_on_postgresql_and_sqlite(tree, tmp_path):
    """PostgreSQL (this test database, whose ids differ from a fresh one's) against a fresh SQLite database."""
    source = generate_demo_data(seed=7)
    assert stored_checksum() == source.checksum
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", SQLITE_RUN],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert result.stdout.split()[-1] == source.checksum
