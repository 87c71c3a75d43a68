"""The API fuzzed from its own OpenAPI schema (schemathesis): every operation, generated parameters (valid and
invalid), as a signed-in élu and as a CPAM referent.

Non-negotiable: "the API answers 4xx with a message, never a 500". Checked on every response: no 5xx, a status
code and a content type documented in the schema, a body conforming to the documented schema. Bounded and
derandomized (same examples on every run), so CI is reproducible and the file stays well under a minute.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.db import close_old_connections, transaction
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from aids.services.catalogue import load_catalogue
from config.wsgi import application
from structures.services.demo import generate_demo_structures
from tests.documents.conftest import FicheWorld

# A deeper search locally: API_FUZZ_EXAMPLES=500 API_FUZZ_RANDOM=1 pytest tests/portal/test_api_fuzz.py
MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "25"))
DERANDOMIZE = not os.environ.get("API_FUZZ_RANDOM")

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

try:  # the prevention API is developed concurrently: fuzz its data too once it exists
    from prevention.services.demo import generate_demo_prevention
except ImportError:  # pragma: no cover
    generate_demo_prevention = None


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker):
    """A small France (FicheWorld: 1 région, 2 départements, 3 EPCI, 4 communes with demonstration
    indicators and zonings), the aid catalogue, demonstration structures: valid ids exist for the fuzzer.
    Built once for the module, inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = FicheWorld()
        load_catalogue()
        generate_demo_structures(seed=3)
        if generate_demo_prevention is not None:
            generate_demo_prevention(seed=3)
        yield world
        transaction.set_rollback(True)


@pytest.fixture(params=["elu", "referent"])
def session_cookie(request, fuzz_world, db):
    """The session cookie of a signed-in élu (of a commune) or referent (of a département)."""
    user = {"elu": fuzz_world.elu_a, "referent": fuzz_world.referent_d1}[request.param]
    client = Client()
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"


def signed_in(app, cookie: str):
    """The WSGI application as seen by a browser holding ``cookie`` (werkzeug's test client, which schemathesis
    drives, replaces any ``Cookie`` header by its own, empty, cookie jar)."""

    def signed_in_app(environ, start_response):
        environ["HTTP_COOKIE"] = cookie
        return app(environ, start_response)

    return signed_in_app


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go through the real WSGI handler, whose ``close_old_connections`` would close the test's
    transaction on PostgreSQL (outside autocommit): disconnected meanwhile, as Django's test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(session_cookie):
    """The OpenAPI schema served by the application itself (it is only served to signed-in users)."""
    schema = schemathesis.openapi.from_wsgi("/api/schema/", signed_in(application, session_cookie))
    # The session cookie is the real one (not generated from the schema's cookieAuth security scheme).
    schema.config.generation.update(with_security_parameters=False)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=DERANDOMIZE,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_documented_4xx_never_a_500(case):
    case.call_and_validate(checks=CHECKS)
