import pytest
from django.core.cache import cache

from tests.factories import AdminFactory, DepartmentFactory, EluFactory, ReferentFactory, RegionFactory, build_hierarchy


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rendered maps are cached by territory id, and ids are reused once a test's transaction rolls back."""
    cache.clear()
    yield
    cache.clear()


class World:
    """One région, two départements. D1: EPCI E1 (communes A, A2, IRIS of A) and E2 (commune B). D2: E3 (commune C)."""

    def __init__(self):
        self.region = RegionFactory(name="Auvergne-Rhône-Alpes")
        self.d1 = DepartmentFactory(region=self.region, name="Isère")
        self.d2 = DepartmentFactory(region=self.region, name="Savoie")
        e1 = build_hierarchy(department=self.d1, communes=2, iris_per_commune=1)
        e2 = build_hierarchy(department=self.d1, communes=1)
        e3 = build_hierarchy(department=self.d2, communes=1)
        self.e1, self.e2, self.e3 = e1.epci, e2.epci, e3.epci
        self.a, self.a2 = e1.communes
        self.iris_a = e1.iris[0]
        self.b = e2.communes[0]
        self.c = e3.communes[0]
        self.elu_a = EluFactory(territory=self.a)
        self.elu_e1 = EluFactory(territory=self.e1)
        self.referent_d1 = ReferentFactory(department=self.d1)
        self.admin = AdminFactory()

    def all_territories(self):
        return [
            self.region, self.d1, self.d2, self.e1, self.e2, self.e3,
            self.a, self.a2, self.iris_a, self.b, self.c,
        ]  # fmt: skip


@pytest.fixture
def world(db):
    return World()
