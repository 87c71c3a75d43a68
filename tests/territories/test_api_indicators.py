"""API: indicator catalogue and values of a territory (scope, secret, validation, schema)."""

import pytest
from django.urls import reverse

from territories.models import IndicatorValue
from tests.factories import AdminFactory, DepartmentFactory, EluFactory, ReferentFactory, RegionFactory, build_hierarchy
from tests.portal.indicator_data import fill, skip_geometry, value_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_geometry(monkeypatch):
    skip_geometry(monkeypatch)


def values_url(code):
    return reverse("territory-values", args=[code])


@pytest.fixture
def tree():
    tree = build_hierarchy(communes=2)
    fill([tree.department, tree.epci, *tree.communes], masked=(tree.communes[1],))
    return tree


def test_catalogue_lists_every_indicator_with_source_and_vintage(client, tree):
    client.force_login(EluFactory(territory=tree.communes[0]))
    response = client.get(reverse("indicator-list"))
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == response.json()["count"] >= 30
    gp = next(r for r in results if r["code"] == "gp_density")
    assert {"label", "unit", "source", "vintage", "method", "is_public", "is_demo", "scale"} <= set(gp)
    assert gp["is_demo"] is True


def test_values_of_a_visible_territory(client, tree, django_assert_num_queries):
    commune = tree.communes[0]
    client.force_login(EluFactory(territory=commune))
    client.get(values_url(commune.code))  # warm-up (session)
    # session, user, user's territory, territory lookup, values
    with django_assert_num_queries(5):
        response = client.get(values_url(commune.code), {"year": 2025})
    assert response.status_code == 200
    body = response.json()
    assert body["territory"] == {"level": "commune", "code": commune.code, "name": commune.name}
    assert {v["year"] for v in body["values"]} == {2025}
    gp = next(v for v in body["values"] if v["indicator"] == "gp_density")
    assert gp == {
        "indicator": "gp_density",
        "year": 2025,
        "value": value_for(commune, "gp_density", 2025),
        "masked": False,
        "is_demo": True,
    }
    series = client.get(values_url(commune.code), {"indicator": "gp_density"}).json()["values"]
    assert [v["year"] for v in series] == [2021, 2022, 2023, 2024, 2025]


def test_masked_values_have_no_value_and_no_counts(client, tree):
    masked = tree.communes[1]
    assert IndicatorValue.objects.filter(territory=masked, denominator=123).exists()
    client.force_login(EluFactory(territory=tree.epci))
    body = client.get(values_url(masked.code)).json()
    assert body["values"] and all(v["value"] is None and v["masked"] is True for v in body["values"])
    assert all(set(v) == {"indicator", "year", "value", "masked", "is_demo"} for v in body["values"])
    assert "123" not in client.get(values_url(masked.code)).content.decode()


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"year": "deux-mille"}, "year", "L'année doit être un nombre entier"),
        ({"year": "1800"}, "year", "comprise entre 1990 et 2100"),
        ({"indicator": "nope"}, "indicator", "Indicateur inconnu : « nope »"),
        ({"level": "planet"}, "level", "Niveau inconnu"),
    ],
)
def test_bad_parameters_are_a_400_with_a_french_message(client, tree, params, field, message):
    client.force_login(AdminFactory())
    response = client.get(values_url(tree.epci.code), params)
    assert response.status_code == 400
    assert message in response.json()[field][0]


def test_ambiguous_code_needs_a_level(client):
    region = RegionFactory(code="11", name="Île-de-France")
    # Its own région given explicitly: a sequenced one would be « 11 » too after 90·k régions in the session.
    department = DepartmentFactory(code="11", name="Aude", region=RegionFactory(code="76", name="Occitanie"))
    fill([region, department])
    client.force_login(AdminFactory())
    response = client.get(values_url("11"))
    assert response.status_code == 400 and "précisez le niveau" in response.json()["level"]
    response = client.get(values_url("11"), {"level": "department", "indicator": "gp_density", "year": 2025})
    assert response.status_code == 200
    assert response.json()["territory"]["name"] == "Aude"
    assert response.json()["values"][0]["value"] == value_for(department, "gp_density", 2025)


def test_values_are_scoped_to_what_the_user_may_see(client, tree):
    other = build_hierarchy(communes=1)
    own, neighbour = tree.communes
    client.force_login(EluFactory(territory=own))
    assert client.get(values_url(own.code)).status_code == 200
    assert client.get(values_url(tree.department.code), {"level": "department"}).status_code == 200  # above
    assert client.get(values_url(neighbour.code)).status_code == 404
    assert client.get(values_url(other.communes[0].code)).status_code == 404
    client.force_login(ReferentFactory(department=tree.department))
    assert client.get(values_url(neighbour.code)).status_code == 200
    assert client.get(values_url(other.epci.code)).status_code == 404
    client.logout()
    assert client.get(values_url(own.code)).status_code == 403


def test_schema_documents_the_indicator_endpoints_without_warnings(client, capsys):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    assert "/api/indicators/" in paths and "/api/territories/{code}/values/" in paths
    params = {p["name"] for p in paths["/api/territories/{code}/values/"]["get"]["parameters"]}
    assert params == {"code", "year", "indicator", "level"}
    errors = capsys.readouterr().err
    assert "indicators" not in errors and "TerritoryValues" not in errors, errors
    client.force_login(AdminFactory())
    assert client.get("/api/schema/").status_code == 200


def test_an_indicator_for_every_profession_conforms_to_the_schema(client, tree):
    """Fuzzing regression: ``profession`` is blank for indicators of no single profession (population), while the
    schema only allowed the professions."""
    client.force_login(EluFactory(territory=tree.communes[0]))
    results = client.get(reverse("indicator-list")).json()["results"]
    assert next(r for r in results if r["code"] == "population")["profession"] == ""
    schema = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in schema["Indicator"]["properties"]["profession"]["oneOf"]
    assert schema["BlankEnum"]["enum"] == [""]


def test_errors_are_documented_in_the_schema(client, tree):
    client.force_login(EluFactory(territory=tree.communes[0]))
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert set(paths["/api/territories/{code}/values/"]["get"]["responses"]) == {"200", "400", "403", "404"}
    assert set(paths["/api/indicators/"]["get"]["responses"]) == {"200", "400", "403"}  # bad limit / offset
    bad = client.get(values_url(tree.communes[0].code), {"year": "deux-mille"})
    assert bad.status_code == 400 and bad.json() == {"year": ["L'année doit être un nombre entier (ex. : 2024)."]}


def test_a_malformed_code_is_a_404_not_a_500(client, tree):
    """Fuzzing regression: a NUL character in the code reached PostgreSQL, which refuses it (DataError, a 500)."""
    client.force_login(EluFactory(territory=tree.communes[0]))
    for code in ("%00", "38%0001", "a%20b", "1" * 13):
        response = client.get(f"/api/territories/{code}/values/")
        assert response.status_code == 404 and response.json() == {"detail": "Territoire introuvable."}, code
    assert client.get("/api/signals/", {"territory": "38\x00"}).status_code == 400  # CharField refuses NUL
