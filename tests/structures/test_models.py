"""Care structures: database constraints, querysets (territory scope, CPTS coverage), one-row rules."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from structures.enums import Stage, StructureKind
from structures.models import CoveredCommune, Structure, TeamCount
from territories.enums import Level, Profession
from territories.models import Territory
from tests.factories import CommuneFactory, IrisFactory, build_hierarchy

from .factories import StructureFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields",
    [
        {"finess": "38000123"},  # 8 characters
        {"finess": "38000123X"},  # letter at the end
        {"finess": "3800 0123"},
        {"stage": Stage.SIGNED},  # an MSP has no ACI
        {"kind": StructureKind.CPTS, "stage": Stage.OPEN},  # a CPTS is projet / préfiguration / ACI signé
        {"kind": "clinique"},
        {"latitude": 95.0},
        {"latitude": 45.0, "longitude": None},
        {"postal_code": "3871"},
        {"france_sante": False, "france_sante_on": "2025-10-01"},
        {"population_covered": 1200},  # only a CPTS covers a territory
        {"perimeter_geojson": '{"type": "Polygon", "coordinates": []}'},
    ],
)
def test_database_refuses_invalid_structures(fields):
    commune = CommuneFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        StructureFactory(commune=commune, **fields)


def test_finess_format_and_uniqueness():
    StructureFactory(finess="380012345")
    StructureFactory(finess="2A0001234")  # Corse-du-Sud
    StructureFactory(finess=None)
    StructureFactory(finess=None)  # several structures without FINESS number
    with pytest.raises(IntegrityError), transaction.atomic():
        StructureFactory(finess="380012345")


def test_team_constraints():
    structure = StructureFactory(team={Profession.GP: 2})
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamCount.objects.create(structure=structure, profession=Profession.GP, headcount=1, fte=Decimal("1.0"))
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamCount.objects.create(structure=structure, profession=Profession.NURSE, headcount=1, fte=Decimal("1.5"))
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamCount.objects.create(structure=structure, profession=Profession.NURSE, headcount=2, fte=Decimal("-0.5"))
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamCount.objects.create(structure=structure, profession="sorcier", headcount=2, fte=Decimal("1"))


def test_covered_commune_is_unique_and_communes_are_protected():
    commune = CommuneFactory()
    cpts = StructureFactory(cpts=True, covers=[commune])
    with pytest.raises(IntegrityError), transaction.atomic():
        CoveredCommune.objects.create(structure=cpts, commune=commune)
    with pytest.raises(ProtectedError), transaction.atomic():
        Territory.objects.filter(pk=commune.pk).delete()


def test_in_territory_includes_cpts_covering_from_outside():
    tree = build_hierarchy(communes=2)
    other = build_hierarchy(department=tree.department, communes=1)
    a, b = tree.communes
    msp = StructureFactory(commune=a)
    closed = StructureFactory(commune=b, stage=Stage.CLOSED)
    elsewhere = StructureFactory(commune=other.communes[0])
    # A CPTS seated in the other EPCI but covering commune B too.
    cpts = StructureFactory(cpts=True, commune=other.communes[0], covers=[other.communes[0], b])

    def names(qs):
        return sorted(s.name for s in qs)

    assert names(Structure.objects.in_territory(a)) == [msp.name]
    assert names(Structure.objects.in_territory(b)) == sorted([closed.name, cpts.name])
    assert names(Structure.objects.in_territory(b).current()) == [cpts.name]
    assert names(Structure.objects.in_territory(tree.epci)) == sorted([msp.name, closed.name, cpts.name])
    assert names(Structure.objects.located_in(tree.epci)) == sorted([msp.name, closed.name])
    assert Structure.objects.in_territory(tree.department).count() == 4  # no duplicate for the CPTS
    assert names(Structure.objects.in_territory(other.epci)) == sorted([elsewhere.name, cpts.name])
    assert names(Structure.objects.for_communes([a.pk, b.pk])) == sorted([msp.name, closed.name, cpts.name])
    assert set(Structure.objects.open()) == {msp, elsewhere, cpts}


def test_communes_of_every_level():
    tree = build_hierarchy(communes=2, iris_per_commune=1)
    outside = CommuneFactory()
    france = Territory.objects.create(level=Level.COUNTRY, code="FR", name="France")
    assert set(Territory.objects.communes_of(tree.communes[0])) == {tree.communes[0]}
    assert set(Territory.objects.communes_of(tree.iris[1])) == {tree.communes[1]}
    assert set(Territory.objects.communes_of(tree.epci)) == set(tree.communes)
    assert set(Territory.objects.communes_of(tree.department)) == set(tree.communes)
    assert set(Territory.objects.communes_of(tree.region)) == set(tree.communes)
    assert outside in set(Territory.objects.communes_of(france))
    assert IrisFactory(commune=tree.communes[0]) not in Territory.objects.communes_of(tree.epci)


def test_team_summary_and_clean():
    msp = StructureFactory(team={Profession.NURSE: 1, Profession.GP: 3, Profession.PHYSIO: 0})
    assert msp.team_summary() == "3 médecins généralistes, 1 infirmier"
    assert str(msp) == f"{msp.name} (MSP)"
    msp.stage = Stage.PREFIGURATION
    msp.latitude = None
    msp.population_covered = 3
    with pytest.raises(ValidationError) as error:
        msp.full_clean()
    assert {"stage", "longitude", "population_covered"} <= set(error.value.message_dict)
    iris = IrisFactory()
    cds = Structure(kind=StructureKind.CDS, name="CDS", commune=iris, stage=Stage.OPEN)
    with pytest.raises(ValidationError, match="Choisissez une commune"):
        cds.full_clean()
