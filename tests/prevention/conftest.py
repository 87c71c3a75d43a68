from datetime import date

import pytest
from django.core.cache import cache

from prevention.enums import AccessPointKind, ActionStatus, PreventionTheme
from tests.factories import (
    AdminFactory,
    DepartmentFactory,
    EluFactory,
    ReferentFactory,
    RegionFactory,
    build_hierarchy,
)

from .factories import AccessPointFactory, PreventionActionFactory

TODAY = date(2026, 11, 24)


class World:
    """Région R: D1 (EPCI E1: communes A, A2; EPCI E2: commune B) and D2 (EPCI E3: commune C); région R2: D3 (commune F).

    Points: a CPAM desk in A (demo), a France Services in A2 (real), a CCAS in C. Actions: vaccination in A
    (ongoing, demo), screening at E1's scale (planned), a finished one in A2, one in C.
    """

    def __init__(self):
        self.region = RegionFactory(name="Auvergne-Rhône-Alpes", code="84")
        self.d1 = DepartmentFactory(region=self.region, name="Isère", code="38")
        self.d2 = DepartmentFactory(region=self.region, name="Savoie", code="73")
        self.region2 = RegionFactory(name="Bretagne", code="53")
        self.d3 = DepartmentFactory(region=self.region2, name="Finistère", code="29")
        e1 = build_hierarchy(department=self.d1, communes=2, with_geometry=False)
        e2 = build_hierarchy(department=self.d1, communes=1, with_geometry=False)
        e3 = build_hierarchy(department=self.d2, communes=1, with_geometry=False)
        e4 = build_hierarchy(department=self.d3, communes=1, with_geometry=False)
        self.e1, self.e2, self.e3 = e1.epci, e2.epci, e3.epci
        self.a, self.a2 = e1.communes
        self.b, self.c, self.f = e2.communes[0], e3.communes[0], e4.communes[0]
        self.cpam = AccessPointFactory(
            kind=AccessPointKind.CPAM, commune=self.a, name="Accueil de la CPAM — Mens", demo=True
        )
        self.fs = AccessPointFactory(commune=self.a2, name="France Services du Trièves", latitude=None, longitude=None)
        self.ccas = AccessPointFactory(kind=AccessPointKind.CCAS, commune=self.c, name="CCAS de Chambéry")
        self.vaccination = PreventionActionFactory(
            commune=self.a, title="Vaccination contre la grippe à Mens", demo=True
        )
        self.screening = PreventionActionFactory(
            commune=None,
            territory=self.e1,
            title="Octobre rose du Trièves",
            theme=PreventionTheme.CANCER_SCREENING,
            start_date=date(2027, 10, 1),
            end_date=date(2027, 10, 31),
            status=ActionStatus.PLANNED,
        )
        self.finished = PreventionActionFactory(
            commune=self.a2, title="Bilan terminé", start_date=date(2025, 1, 1), end_date=date(2025, 2, 1)
        )
        self.savoie_action = PreventionActionFactory(commune=self.c, title="Marche santé de Savoie", end_date=None)
        self.elu_a = EluFactory(territory=self.a)
        self.elu_e1 = EluFactory(territory=self.e1)
        self.elu_c = EluFactory(territory=self.c)
        self.referent_d1 = ReferentFactory(department=self.d1)
        self.referent_d2 = ReferentFactory(department=self.d2)
        self.admin = AdminFactory()


@pytest.fixture
def world(db):
    return World()


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()
