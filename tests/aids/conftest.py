from datetime import date

import pytest

from aids.services.catalogue import load_catalogue
from territories.enums import Profession, Zone
from territories.models import Zoning
from tests.factories import DepartmentFactory, EluFactory, RegionFactory, build_hierarchy

BEFORE_2026 = date(2025, 6, 15)
IN_2026 = date(2026, 3, 2)


def zone(commune, value, *, profession=Profession.GP, valid_from=date(2024, 1, 1), valid_until=None):
    return Zoning.objects.create(
        commune=commune,
        profession=profession,
        zone=value,
        reference="Arrêté ARS de test",
        valid_from=valid_from,
        valid_until=valid_until,
    )


class AidsWorld:
    """AURA (84): Isère (38) with EPCI E1 (communes zip, zac, hz, unknown: no zoning) and Savoie (73) with one
    commune in ZIP. GP zonings from 2024; the catalogue is loaded by the ``catalogue`` fixture."""

    def __init__(self):
        self.region = RegionFactory(name="Auvergne-Rhône-Alpes", code="84", with_geometry=False)
        self.isere = DepartmentFactory(region=self.region, name="Isère", code="38", with_geometry=False)
        self.savoie = DepartmentFactory(region=self.region, name="Savoie", code="73", with_geometry=False)
        tree = build_hierarchy(department=self.isere, communes=4, with_geometry=False)
        self.epci = tree.epci
        self.zip, self.zac, self.hz, self.unknown = tree.communes
        zone(self.zip, Zone.ZIP)
        zone(self.zac, Zone.ZAC)
        zone(self.hz, Zone.NONE)
        savoie = build_hierarchy(department=self.savoie, communes=1, with_geometry=False)
        self.savoie_epci = savoie.epci
        self.savoie_zip = savoie.communes[0]
        zone(self.savoie_zip, Zone.ZIP)
        self.elu_zip = EluFactory(territory=self.zip)
        self.elu_epci = EluFactory(territory=self.epci)
        self.elu_savoie = EluFactory(territory=self.savoie_zip)


@pytest.fixture
def world(db):
    return AidsWorld()


@pytest.fixture
def catalogue(world):
    load_catalogue()
    return world
