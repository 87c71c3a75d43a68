"""The full reference load, shared by every test marked ``fullload`` (imported by tests/conftest.py).

Loading all of France (with contours and synthetic IRIS) takes about a minute, so it happens at most
once per session, committed into the test database before the first ``fullload`` test. Those tests
run last (see ``pytest_collection_modifyitems``), so the other tests keep an empty database; they
must use ``db`` (rolled back), never ``transactional_db`` (which would flush the shared data).
"""

import pytest


@pytest.fixture(scope="session")
def reference_data(request, django_db_setup, django_db_blocker):
    """Load France's reference geography into the test database once; return the load report."""
    from territories.services import load_reference

    with django_db_blocker.unblock():
        report = load_reference()
    yield report
    if request.config.getoption("reuse_db", False):  # otherwise the test database is dropped anyway
        with django_db_blocker.unblock():
            _purge()


def _purge():
    """Remove the loaded geography (matters with --reuse-db), lowest level first (self-FKs are PROTECT)."""
    from territories.models import DataSource, Territory, TerritoryGeometry

    TerritoryGeometry.objects.all().delete()
    for level in ("iris", "commune", "epci", "department", "region"):
        Territory.objects.filter(level=level).delete()
    Territory.objects.all().delete()
    DataSource.objects.all().delete()


def pytest_collection_modifyitems(session, config, items):
    """Run the ``fullload`` tests after all the others (stable order otherwise)."""
    items.sort(key=lambda item: item.get_closest_marker("fullload") is not None)
