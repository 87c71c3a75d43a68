import pytest
from django.core.cache import cache

from portal.accounts.enums import ReferentDomain
from tests.factories import AdminFactory, DepartmentFactory, EluFactory, ReferentFactory, RegionFactory, build_hierarchy


class ContactWorld:
    """One région, two départements.

    D1 (Isère): EPCI E1 (communes A, A2) and E2 (commune B). D2 (Savoie): E3 (commune C).
    Élus of A, A2, B, C and of E1. Referents of D1: ``referent_d1`` (élus territoriaux, exercice coordonné) and
    ``referent_d1_prev`` (prévention); of D2: ``referent_d2`` (every domain).
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
    return ContactWorld()


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PORTAL_BASE_URL = "https://portail.exemple.fr"
    settings.CONTACT_ADMIN_EMAIL = ""
    settings.CONTACT_DUE_DAYS = 10


@pytest.fixture
def unreachable_broker():
    """A REAL broker URL nobody listens on (closed port 1), tasks sent to it instead of running in-process.

    Celery caches its connection and producer pools: they are set aside so that the closed port is really
    dialled, then closed and restored with the previous configuration.
    """
    from config.celery import app

    keys = [
        "task_always_eager",
        "broker_url",
        "broker_connection_timeout",
        "broker_connection_retry",
        "broker_connection_max_retries",
        "task_publish_retry_policy",
    ]
    previous = {key: app.conf[key] for key in keys}
    previous_pool, previous_producers = app._pool, app.amqp._producer_pool
    app._pool = app.amqp._producer_pool = None
    app.conf.update(
        task_always_eager=False,
        broker_url="redis://127.0.0.1:1/0",
        broker_connection_timeout=1,
        broker_connection_retry=False,
        broker_connection_max_retries=1,
        task_publish_retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1},
    )
    try:
        yield app
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool, app.amqp._producer_pool = previous_pool, previous_producers
        app.conf.update(previous)
