import os

import pytest

from tests.territories.reference_fixture import pytest_collection_modifyitems, reference_data  # noqa: F401


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Generated files of a test go to its own temporary folder."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _fresh_panels():
    """Territory-page panels cached by another test (same pk, same data version) are never served: a new
    generation per test. Not ``cache.clear()``: on Redis that would also drop the broker's bindings."""
    from portal.territory.panels import bump_generation

    bump_generation()


def pytest_runtest_setup(item):
    """Tests marked ``services`` need PostgreSQL, tests marked ``worker`` need Redis too.

    Without them such tests are skipped (a laptop running ``make test``), except when
    PORTAL_REQUIRE_SERVICES=1 (``.ci/run``), where a missing service fails the test instead.
    Checked here, before any fixture (such as a worker process) is set up.
    """
    missing = []
    if item.get_closest_marker("services") or item.get_closest_marker("worker"):
        from django.db import connection

        if connection.vendor != "postgresql":
            missing.append("PostgreSQL (DATABASE_URL=postgres://…)")
    if item.get_closest_marker("worker"):
        from django.conf import settings

        if not settings.REDIS_URL:
            missing.append("Redis (REDIS_URL=redis://…)")
        elif not _redis_answers(settings.REDIS_URL):
            missing.append(f"Redis answering at {settings.REDIS_URL}")
    if missing:
        message = "needs " + ", ".join(missing)
        if os.environ.get("PORTAL_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PORTAL_REQUIRE_SERVICES=1 but this test {message}", pytrace=False)
        pytest.skip(message)


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(autouse=True)
def _celery_eager():
    """Tasks run in-process during tests, even when REDIS_URL is set (nothing consumes the queue then).

    Tests that need the real broker ask for the ``real_broker`` fixture.
    """
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def real_broker(_celery_eager):
    """Send tasks to the configured broker (REDIS_URL) instead of running them in-process."""
    from config.celery import app

    app.conf.task_always_eager = False
    yield app


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """MD5 for passwords made during tests (PBKDF2 costs ~0.3 s a hash); PBKDF2 still verifies older hashes."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
