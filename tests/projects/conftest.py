import pytest

from portal.accounts.enums import ReferentDomain
from tests.factories import AdminFactory, DepartmentFactory, EluFactory, ReferentFactory, RegionFactory, build_hierarchy


class ProjectWorld:
    """One région, two départements.

    D1 (Isère): EPCI E1 (communes A, A2) and E2 (commune B). D2 (Savoie): E3 (commune C).
    Élus of A, A2, B, C and of E1. Referents of D1: ``referent_d1`` (exercice coordonné) and ``referent_d1_prev``
    (prévention only); of D2: ``referent_d2`` (every domain).
    """

    def __init__(self):
        self.region = RegionFactory(name="Auvergne-Rhône-Alpes", with_geometry=False)
        self.d1 = DepartmentFactory(region=self.region, name="Isère", with_geometry=False)
        self.d2 = DepartmentFactory(region=self.region, name="Savoie", with_geometry=False)
        e1 = build_hierarchy(department=self.d1, communes=2, with_geometry=False)
        e2 = build_hierarchy(department=self.d1, communes=1, with_geometry=False)
        e3 = build_hierarchy(department=self.d2, communes=1, with_geometry=False)
        self.e1, self.e2, self.e3 = e1.epci, e2.epci, e3.epci
        self.a, self.a2 = e1.communes
        self.b = e2.communes[0]
        self.c = e3.communes[0]
        self.elu_a = EluFactory(territory=self.a, first_name="Camille", last_name="Maire")
        self.elu_a2 = EluFactory(territory=self.a2)
        self.elu_b = EluFactory(territory=self.b)
        self.elu_c = EluFactory(territory=self.c)
        self.elu_e1 = EluFactory(territory=self.e1)
        self.referent_d1 = ReferentFactory(
            department=self.d1,
            first_name="Sacha",
            last_name="Référent",
            referent_domains=[ReferentDomain.ELUS_TERRITORIAUX, ReferentDomain.EXERCICE_COORDONNE],
        )
        self.referent_d1_prev = ReferentFactory(department=self.d1, referent_domains=[ReferentDomain.PREVENTION])
        self.referent_d2 = ReferentFactory(department=self.d2)
        self.admin = AdminFactory()


@pytest.fixture
def world(db):
    return ProjectWorld()


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PORTAL_BASE_URL = "https://portail.exemple.fr"
