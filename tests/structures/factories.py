"""factory_boy factories of care structures (French Faker locale, see tests/factories.py)."""

from __future__ import annotations

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from structures.enums import Stage, StructureKind
from structures.models import CoveredCommune, Structure, TeamCount
from territories.enums import Profession
from tests.factories import CommuneFactory


class StructureFactory(DjangoModelFactory):
    """An open MSP of a new commune; ``StructureFactory(cpts=True, covers=[...])`` for a signed CPTS."""

    class Meta:
        model = Structure
        skip_postgeneration_save = True

    class Params:
        cpts = factory.Trait(kind=StructureKind.CPTS, stage=Stage.SIGNED, population_covered=45_000)
        demo = factory.Trait(is_demo=True)

    kind = StructureKind.MSP
    name = factory.Sequence(lambda n: f"Maison de santé n° {n}")
    stage = Stage.OPEN
    commune = factory.SubFactory(CommuneFactory)
    address = factory.Faker("street_address")
    postal_code = "38710"
    latitude = factory.LazyAttribute(lambda o: o.commune.centroid_lat)
    longitude = factory.LazyAttribute(lambda o: o.commune.centroid_lon)

    @factory.post_generation
    def covers(obj, create, extracted, **kwargs):
        """``covers=[commune, …]``: the CPTS's covered communes."""
        if create and extracted:
            CoveredCommune.objects.bulk_create(CoveredCommune(structure=obj, commune=c) for c in extracted)

    @factory.post_generation
    def team(obj, create, extracted, **kwargs):
        """``team={"gp": 3, "nurse": 2}``: headcounts (FTE = 0.8 per person)."""
        if create and extracted:
            TeamCount.objects.bulk_create(
                TeamCount(structure=obj, profession=p, headcount=n, fte=Decimal(str(round(n * 0.8, 1))))
                for p, n in extracted.items()
            )


def msp_team() -> dict[str, int]:
    return {Profession.GP: 3, Profession.NURSE: 2}
