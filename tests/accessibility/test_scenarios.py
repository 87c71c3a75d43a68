"""« Et si… ? » scenarios: validation in French, exact before/after, access boundaries, API."""

import json

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accessibility import services
from accessibility.indicators import APL_COMPUTED
from accessibility.models import Scenario
from accessibility.scenarios import read_changes, simulate
from structures.models import Structure, TeamCount
from territories.models import IndicatorValue
from tests.factories import AdminFactory, EluFactory, ReferentFactory

from .conftest import stored

API = "/api/accessibilite/scenarios/"
VALUES_API = "/api/accessibilite/communes/"


@pytest.fixture
def elu(world):
    return EluFactory(territory=world.e1)


@pytest.fixture
def referent(world):
    return ReferentFactory(department=world.department)


def messages(error: ValidationError) -> list[str]:
    return error.message_dict["changes"]


# --- validation ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"action": "retirement", "commune": "38001", "count": -2}, "entier positif"),
        ({"action": "retirement", "commune": "38001", "count": 40}, "ne compte que 18"),
        ({"action": "addition", "commune": "38001", "fte": -1}, "ETP doit être positif"),
        ({"action": "addition", "commune": "38001", "fte": "2"}, "« fte » doit être un nombre"),
        ({"action": "addition", "commune": "38004", "fte": 1}, "n'est pas dans votre territoire"),  # other EPCI
        ({"action": "addition", "commune": "73001", "fte": 1}, "n'est pas dans votre territoire"),
        ({"action": "moving", "commune": "38001"}, "action inconnue"),
        ({"action": "advanced_consultation", "commune": "38001", "from_commune": None}, "code INSEE"),
        ("38001", "un objet est attendu"),
    ],
)
def test_bad_changes_get_a_french_message_naming_the_change(world, elu, change, expected):
    with pytest.raises(ValidationError) as error:
        read_changes(user=elu, changes=[{"action": "addition", "commune": "38001", "fte": 1}, change])
    assert len(messages(error.value)) == 1
    assert messages(error.value)[0].startswith("Changement 2 : ") and expected in messages(error.value)[0]


def test_more_than_50_changes_or_none_are_refused(world, elu):
    with pytest.raises(ValidationError, match="au plus 50 changements"):
        read_changes(user=elu, changes=[{"action": "addition", "commune": "38001", "fte": 1}] * 51)
    with pytest.raises(ValidationError, match="au moins un changement"):
        read_changes(user=elu, changes=[])


def test_a_commune_without_coordinates_is_refused(world):
    referent = ReferentFactory(department=world.department)
    with pytest.raises(ValidationError, match="n'a pas de coordonnées"):
        read_changes(user=referent, changes=[{"action": "addition", "commune": "38999", "fte": 1}])


def test_retirement_defaults_to_the_gps_aged_60_or_more(world, elu):
    (change,) = read_changes(user=elu, changes=[{"action": "retirement", "commune": "38001"}])
    assert change.fte == -12


def test_addition_at_a_structure_goes_to_its_commune(world, elu):
    msp = Structure.objects.create(kind="msp", name="MSP du Hameau", commune=world.communes["Hameau"])
    TeamCount.objects.create(structure=msp, profession="gp", headcount=2, fte=2)
    (change,) = read_changes(user=elu, changes=[{"action": "addition", "structure": msp.pk, "fte": 2}])
    assert change.commune == world.communes["Hameau"]


# --- computation ---------------------------------------------------------------------------------------------


def test_before_matches_the_national_computation_and_after_rises_near_the_new_gps(world, elu):
    services.store_france()
    changes = read_changes(user=elu, changes=[{"action": "addition", "commune": "38003", "fte": 3}])
    result = simulate(changes)
    rows = {r.code: r for r in result.rows}
    assert set(rows) >= {"38003", "38002"}
    assert "38005" not in rows  # Lointaine is more than 30 minutes away
    for code, row in rows.items():
        commune = next(c for c in [*world.communes.values(), world.savoie] if c.code == code)
        assert row.before == pytest.approx(stored(APL_COMPUTED, commune))
        assert row.after > row.before


def test_retirement_lowers_and_counts_the_population_under_the_threshold(world, elu):
    changes = read_changes(user=elu, changes=[{"action": "retirement", "commune": "38001", "count": 18}])
    result = simulate(changes)
    assert all(r.after < r.before for r in result.rows)
    assert result.population_under_after > result.population_under_before
    assert result.population_under_after >= world.communes["Pôle"].population


def test_a_moved_consultation_day_conserves_supply(world, elu):
    changes = read_changes(
        user=elu, changes=[{"action": "advanced_consultation", "commune": "38003", "from_commune": "38001"}]
    )
    result = simulate(changes)
    rows = {r.code: r for r in result.rows}
    assert rows["38003"].after > rows["38003"].before  # Hameau gains the day…
    assert rows["38001"].after < rows["38001"].before  # …that Pôle loses


def test_scenario_never_touches_stored_data(world, elu):
    services.store_france()
    before = list(IndicatorValue.objects.order_by("pk").values_list("pk", "value"))
    simulate(read_changes(user=elu, changes=[{"action": "retirement", "commune": "38001", "count": 3}]))
    assert list(IndicatorValue.objects.order_by("pk").values_list("pk", "value")) == before


# --- access --------------------------------------------------------------------------------------------------


def make_scenario(world, author, *, shared):
    return Scenario.objects.create(
        author=author, name="MSP", territory=world.e1, department=world.department, changes=[], is_shared=shared
    )


def test_a_scenario_is_visible_to_its_author_only_until_shared(world, elu, referent):
    other_elu = EluFactory(territory=world.e1)
    other_referent = ReferentFactory(department=world.other_department)
    scenario = make_scenario(world, elu, shared=False)
    assert list(Scenario.objects.visible_to(elu)) == [scenario]
    for user in (other_elu, referent, other_referent):
        assert not Scenario.objects.visible_to(user).exists()
    scenario.is_shared = True
    scenario.save()
    assert list(Scenario.objects.visible_to(referent)) == [scenario]
    assert list(Scenario.objects.visible_to(AdminFactory())) == [scenario]
    for user in (other_elu, other_referent):  # sharing is with the département's referents, not other élus
        assert not Scenario.objects.visible_to(user).exists()


# --- API -----------------------------------------------------------------------------------------------------


def post(client, body):
    return client.post(API, data=json.dumps(body), content_type="application/json")


def test_api_returns_the_before_after_table_and_saves(client, world, elu):
    client.force_login(elu)
    response = post(
        client,
        {
            "changes": [{"action": "addition", "commune": "38003", "fte": 3}],
            "name": "MSP du Hameau",
            "save": True,
            "shared": True,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["territory"] == world.e1.name and body["threshold"] == 2.5
    assert {r["code"] for r in body["communes"]} >= {"38003"}
    assert all(r["after"] >= r["before"] for r in body["communes"])
    scenario = Scenario.objects.get(pk=body["scenario"])
    assert scenario.author == elu and scenario.department == world.department and scenario.is_shared


@pytest.mark.parametrize(
    "body, field",
    [
        ({"changes": [{"action": "retirement", "commune": "38001", "count": -1}]}, "changes"),
        ({"changes": [{"action": "addition", "commune": "73001", "fte": 1}]}, "changes"),
        ({"changes": [{"action": "addition", "commune": "38001", "fte": 1}] * 51}, "changes"),
        ({"changes": "38001"}, "changes"),
        ({"changes": [{"action": "addition", "commune": "38001", "fte": 1}], "save": True}, "name"),
        ({"changes": [{"action": "addition", "commune": "38001", "fte": 1}], "territoire": "commune"}, "territoire"),
    ],
)
def test_api_bad_input_is_a_400_with_a_french_field_error(client, world, elu, body, field):
    client.force_login(elu)
    response = post(client, body)
    assert response.status_code == 400
    assert field in response.json()


def test_api_territory_without_coordinates_is_a_400(client, world):
    client.force_login(ReferentFactory(department=world.department))
    response = post(client, {"changes": [{"action": "addition", "commune": "38999", "fte": 1}]})
    assert response.status_code == 400 and "coordonnées" in response.json()["changes"][0]


def test_api_requires_login_and_hides_other_territories(client, world, elu):
    assert post(client, {"changes": []}).status_code == 403
    client.force_login(elu)
    assert post(client, {"territoire": "department:73", "changes": []}).status_code == 404


def test_values_api_lists_communes_with_computed_and_drees_values(client, world, elu):
    services.store_france()
    client.force_login(elu)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(VALUES_API, {"territoire": f"epci:{world.e1.code}"})
    assert response.status_code == 200
    rows = {r["code"]: r for r in response.json()["results"]}
    assert set(rows) == {"38001", "38002", "38003"}
    assert rows["38001"]["computed"] == pytest.approx(stored(APL_COMPUTED, world.communes["Pôle"]))
    assert rows["38001"]["drees_apl"] is None and rows["38001"]["year"] == 2025
    assert rows["38001"]["outlook_change_pct"] < 0
    count = len(queries)
    world.set_supply(world.communes["Hameau"], 1, 0)
    with CaptureQueriesContext(connection) as queries:
        client.get(VALUES_API, {"territoire": f"department:{world.department.code}"})
    assert len(queries) == count  # constant whatever the number of communes
    assert client.get(VALUES_API, {"territoire": "department:73"}).status_code == 404
    assert client.get(VALUES_API, {"year": "deux"}).status_code == 400


def test_a_commune_out_of_every_catchment_gains_from_a_gp_of_its_own(world):
    services.store_france()
    referent = ReferentFactory(department=world.department)
    result = simulate(read_changes(user=referent, changes=[{"action": "addition", "commune": "38005", "fte": 1}]))
    (row,) = [r for r in result.rows if r.code == "38005"]
    assert row.before == 0 and row.after > 0
    assert np.isfinite(row.after)
