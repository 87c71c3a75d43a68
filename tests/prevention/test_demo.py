"""``generate_demo_prevention``: deterministic (checksums of two runs), plausible, replaces demo rows only."""

from collections import Counter

import pytest
from django.core.management import call_command

from prevention.enums import AccessPointKind, ActionStatus
from prevention.models import AccessPoint, PreventionAction
from prevention.services.demo import (
    DEMO_SOURCE_NAME,
    REFERENCE_DAY,
    CommuneRow,
    current_demo_source,
    generate_demo_prevention,
    plan_points,
    stored_checksum,
)
from territories.models import DataSource
from tests.factories import DepartmentFactory, build_hierarchy

from .factories import AccessPointFactory

# Communes of France by population band (COG 2026): the France Services calibration must hold on them.
NATIONAL_BANDS = [
    (200, 18256),
    (700, 6588),
    (1400, 4522),
    (3000, 3258),
    (7000, 1203),
    (15000, 759),
    (50000, 247),
    (200000, 42),
]


@pytest.fixture
def geography(db):
    """Two départements: D1 with a city of 120,000 inhabitants, a town of 25,000 and small communes; D2 rural."""
    d1, d2 = DepartmentFactory(code="38"), DepartmentFactory(code="73")
    t1 = build_hierarchy(department=d1, communes=6, with_geometry=False)
    t2 = build_hierarchy(department=d1, communes=4, with_geometry=False)
    t3 = build_hierarchy(department=d2, communes=5, with_geometry=False)
    populations = [120_000, 25_000, 3_000, 800, 300, 1_500, 12_000, 2_500, 600, 400, 4_000, 900, 700, 200, 1_200]
    communes = t1.communes + t2.communes + t3.communes
    for commune, population in zip(communes, populations, strict=True):
        commune.population = population
        commune.save()
    for tree in (t1, t2, t3):
        tree.epci.population = sum(c.population for c in tree.communes)
        tree.epci.save()
    return communes


def test_two_runs_give_the_same_rows_and_replace_only_demo_rows(geography):
    real = AccessPointFactory(commune=geography[3], name="France Services saisie à la main")
    first = generate_demo_prevention(seed=42)
    checksum = stored_checksum()
    assert first.checksum == checksum and first.is_demo and first.name == DEMO_SOURCE_NAME
    counts = (AccessPoint.objects.filter(is_demo=True).count(), PreventionAction.objects.count())
    second = generate_demo_prevention(seed=42)
    assert stored_checksum() == checksum == second.checksum
    assert (AccessPoint.objects.filter(is_demo=True).count(), PreventionAction.objects.count()) == counts
    assert AccessPoint.objects.filter(pk=real.pk, is_demo=False).exists()  # never replaced
    generate_demo_prevention(seed=7)
    assert stored_checksum() != checksum
    assert not AccessPoint.objects.filter(is_demo=True).exclude(source__version__contains="graine 7").exists()


def test_generated_rows_are_plausible(geography):
    source = generate_demo_prevention(seed=42)
    by_kind = Counter(AccessPoint.objects.values_list("kind", flat=True))
    city, town = geography[0], geography[1]
    # One CPAM desk per département (its largest commune) and in the 100,000+ city.
    cpam = set(AccessPoint.objects.filter(kind=AccessPointKind.CPAM).values_list("commune__code", flat=True))
    assert cpam == {city.code, max(geography[10:], key=lambda c: c.population).code}
    # PASS and CCAS only in large communes.
    assert set(AccessPoint.objects.filter(kind=AccessPointKind.PASS).values_list("commune__population", flat=True)) <= {
        120_000,
        25_000,
    }
    assert set(AccessPoint.objects.filter(kind=AccessPointKind.CCAS).values_list("commune", flat=True)) == {
        city.pk,
        town.pk,
        geography[6].pk,
    }
    assert by_kind[AccessPointKind.CCAS] == 3
    assert all(p.is_demo and p.source == source and p.services for p in AccessPoint.objects.all())
    assert all(-90 <= p.latitude <= 90 for p in AccessPoint.objects.all())
    # 2 to 8 actions per EPCI, dated, their status as of the reference day.
    actions = list(PreventionAction.objects.all())
    assert 6 <= len(actions) <= 24
    for a in actions:
        assert a.is_demo and (a.commune_id or a.territory_id)
        assert a.end_date is None or a.end_date >= a.start_date
        if a.status == ActionStatus.DONE:
            assert a.end_date < REFERENCE_DAY
        elif a.status == ActionStatus.PLANNED:
            assert a.start_date > REFERENCE_DAY
    assert source.row_counts["points"] == sum(by_kind.values()) and source.row_counts["actions"] == len(actions)


def test_france_services_are_calibrated_on_a_national_like_table():
    communes = [
        CommuneRow(
            code=f"{i:05d}",
            name=f"C{i}",
            population=pop,
            department=f"{i % 96:02d}",
            epci="",
            latitude=46.0,
            longitude=2.0,
            area_km2=15.0,
        )
        for i, pop in enumerate(p for pop, n in NATIONAL_BANDS for p in [pop] * n)
    ]
    counts = Counter(p.kind for p in plan_points(communes, seed=42))
    assert 2_500 <= counts[AccessPointKind.FRANCE_SERVICES] <= 3_100  # ≈ 2,800 labelled France Services
    assert counts[AccessPointKind.CPAM] >= 96
    assert counts[AccessPointKind.CCAS] == 759 + 247 + 42
    # The plan of a commune does not depend on the other communes (seeded by code), except the CPAM choice.
    alone = [p for p in plan_points(communes[:100], seed=42) if p.kind != AccessPointKind.CPAM]
    full = [p for p in plan_points(communes, seed=42) if p.commune < "00100" and p.kind != AccessPointKind.CPAM]
    assert alone == full


def test_command_if_empty_does_nothing_the_second_time(geography, capsys):
    call_command("generate_demo_prevention", if_empty=True)
    source = current_demo_source(seed=42)
    assert source is not None
    call_command("generate_demo_prevention", if_empty=True)
    assert "déjà en base" in capsys.readouterr().out
    assert DataSource.objects.filter(name=DEMO_SOURCE_NAME).count() == 1
