"""API glue (portal/api/base.py, portal/api/schema.py): strict pagination, JSON 404 for unknown addresses, documented
errors. Found by the schema fuzzing (test_api_fuzz.py)."""

import pytest
from django.urls import reverse

from territories.services.indicators import sync_indicator_catalogue
from tests.factories import EluFactory, build_hierarchy

pytestmark = pytest.mark.django_db

INDICATORS = "/api/indicators/"


@pytest.fixture
def elu_client(client):
    client.force_login(EluFactory(territory=build_hierarchy(communes=1).communes[0]))
    return client


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "dix"}, "« limit » doit être un nombre entier entre 1 et 1000."),
        ({"limit": "0"}, "« limit » doit être un nombre entier entre 1 et 1000."),
        ({"limit": "1001"}, "« limit » doit être un nombre entier entre 1 et 1000."),
        ({"offset": "-1"}, "« offset » doit être un nombre entier entre 0 et 1000000000."),
        ({"offset": "null"}, "« offset » doit être un nombre entier entre 0 et 1000000000."),
        ({"offset": "99999999999999999999"}, "« offset » doit être un nombre entier entre 0 et 1000000000."),
        ({"offset": "١"}, "« offset » doit être un nombre entier entre 0 et 1000000000."),  # a non-ASCII digit
    ],
)
def test_a_bad_limit_or_offset_is_a_400_with_a_french_message(elu_client, params, message):
    """Fuzzing regression: DRF's pagination silently ignored them (a 200 for a request the schema forbids)."""
    response = elu_client.get(INDICATORS, params)
    assert response.status_code == 400
    assert response.json() == {next(iter(params)): [message]}


def test_valid_or_empty_limit_and_offset(elu_client):
    sync_indicator_catalogue()
    page = elu_client.get(INDICATORS, {"limit": "2", "offset": "1"}).json()
    assert len(page["results"]) == 2 and page["count"] > 3
    everything = elu_client.get(INDICATORS, {"limit": "", "offset": ""}).json()  # empty: absent
    assert len(everything["results"]) == everything["count"]


def test_bounds_and_errors_are_in_the_schema(elu_client):
    schema = elu_client.get(reverse("api-schema"), {"format": "json"}).json()
    operation = schema["paths"][INDICATORS]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 1000}
    assert parameters["offset"]["schema"] == {"type": "integer", "minimum": 0, "maximum": 1_000_000_000}
    assert operation["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationError"
    }
    assert operation["responses"]["403"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_an_unknown_api_address_is_a_json_404(elu_client):
    """Fuzzing regression: a territory code containing « / » (``/api/territories/a%2Fb/values/``) reached no view
    and got Django's HTML 404 page, not a JSON message."""
    for url in ("/api/territories/a%2Fb/values/", "/api/nimporte/quoi/"):
        response = elu_client.get(url)
        assert response.status_code == 404 and response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Adresse d'API inconnue : voir /api/docs/."}
    assert elu_client.get("/api/indicators").status_code == 301  # APPEND_SLASH still redirects
    assert elu_client.get("/api/schema/").status_code == 200


def test_a_value_the_database_refuses_is_a_400(elu_client, monkeypatch):
    """Safety net of the exception handler: a ``DataError`` (value refused by PostgreSQL) is the input's fault."""
    from django.db import DataError

    from territories.api import indicators

    def refuse(self):
        raise DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")

    monkeypatch.setattr(indicators.IndicatorListView, "get_queryset", refuse)
    response = elu_client.get(INDICATORS)
    assert response.status_code == 400 and response.json() == {"detail": "Paramètre invalide."}
