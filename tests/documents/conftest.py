import pytest
from django.core.cache import cache

from territories.services.indicators import generate_demo_data
from tests.factories import (
    AdminFactory,
    DepartmentFactory,
    EluFactory,
    ReferentFactory,
    RegionFactory,
    build_hierarchy,
)


class FicheWorld:
    """One région, two départements with demonstration indicators.

    D1 (Isère): EPCI E1 (communes A, A2, two IRIS each) and EPCI E2 (commune B). D2 (Savoie): E3 (commune C).
    """

    def __init__(self):
        self.region = RegionFactory(name="Auvergne-Rhône-Alpes", code="84")
        self.d1 = DepartmentFactory(region=self.region, name="Isère", code="38")
        self.d2 = DepartmentFactory(region=self.region, name="Savoie", code="73")
        e1 = build_hierarchy(department=self.d1, communes=2, iris_per_commune=2)
        e2 = build_hierarchy(department=self.d1, communes=1)
        e3 = build_hierarchy(department=self.d2, communes=1)
        self.e1, self.e2, self.e3 = e1.epci, e2.epci, e3.epci
        self.e1.name = "Communauté de communes du Trièves"
        self.e1.save()
        self.a, self.a2 = e1.communes
        self.a.name, self.a.population = "Mens", 12345
        self.a.save()
        self.iris = e1.iris
        self.b = e2.communes[0]
        self.c = e3.communes[0]
        for epci in (self.e1, self.e2, self.e3):
            members = [t for t in (self.a, self.a2, self.b, self.c) if t.epci_id == epci.pk]
            epci.population = sum(m.population for m in members)
            epci.save()
        self.source = generate_demo_data(seed=7)
        self.elu_a = EluFactory(territory=self.a)
        self.elu_e1 = EluFactory(territory=self.e1)
        self.elu_c = EluFactory(territory=self.c)
        self.referent_d1 = ReferentFactory(department=self.d1, first_name="Camille", last_name="Référente")
        self.referent_d2 = ReferentFactory(department=self.d2)
        self.admin = AdminFactory()


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def fiche_world(db):
    return FicheWorld()
