"""Demonstration structures for all of France (real reference geography, loaded once: fixture ``reference_data``)."""

import pytest

from structures.enums import Stage, StructureKind
from structures.models import Structure, TeamCount
from structures.services import demo
from territories.enums import Profession

pytestmark = [pytest.mark.fullload, pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


def test_national_orders_of_magnitude():
    # Speed is measured by `make bench`, not asserted here.
    source = demo.generate_demo_structures(seed=42)
    counts = source.row_counts["par_type"]
    assert 2_000 <= counts["msp"] <= 2_500  # 1,889 open + 366 projects (June 2021)
    assert 2_200 <= counts["cds"] <= 2_800
    assert 650 <= counts["cpts"] <= 900
    assert 60 <= source.row_counts["population_couverte_cpts_pct"] <= 67
    assert Structure.objects.filter(kind=StructureKind.MSP, stage=Stage.OPEN).count() in range(1_700, 2_100)
    # Every MSP has at least 2 GPs and one other professional.
    msp_gps = TeamCount.objects.filter(structure__kind=StructureKind.MSP, profession=Profession.GP, headcount__gte=2)
    assert msp_gps.count() == counts["msp"]
    cpts = Structure.objects.filter(kind=StructureKind.CPTS)
    assert not cpts.filter(perimeter_geojson="").exists()
    assert cpts.filter(population_covered__lt=20_000).count() <= 3  # only where no neighbour could be merged
    assert not cpts.filter(population_covered__gt=150_000).exists()
    paris = Structure.objects.filter(commune__code="75056", kind=StructureKind.CDS).count()
    assert 40 <= paris <= 150  # cities concentrate centres de santé
    assert source.checksum == demo.stored_checksum()
    # No labelled structure breaks the France Santé socle (a GP and a nurse), over the whole generated set.
    labelled = Structure.objects.filter(france_sante=True)
    assert labelled.count() > 300
    with_gp = TeamCount.objects.filter(profession=Profession.GP, headcount__gte=1).values("structure")
    with_nurse = TeamCount.objects.filter(profession=Profession.NURSE, headcount__gte=1).values("structure")
    assert not labelled.exclude(pk__in=with_gp).exists() and not labelled.exclude(pk__in=with_nurse).exists()
    assert not labelled.filter(france_sante_on__isnull=True).exists()
