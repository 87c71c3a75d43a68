"""« Et si… ? » pages: compose, compute, save, share; access boundaries; the method page."""

import pytest
from django.urls import reverse

from accessibility.models import Scenario
from tests.factories import EluFactory, ReferentFactory


@pytest.fixture
def elu(world):
    return EluFactory(territory=world.e1)


def page_url(territory):
    return reverse("portal:territory_scenario", args=[territory.level, territory.code])


def rows(*changes):
    data = {"c-TOTAL_FORMS": "5", "c-INITIAL_FORMS": "0", "c-MIN_NUM_FORMS": "0", "c-MAX_NUM_FORMS": "50"}
    for i, change in enumerate(changes):
        data |= {f"c-{i}-{k}": v for k, v in change.items()}
    return data


def test_compose_compute_and_save_a_shared_scenario(client, world, elu):
    client.force_login(elu)
    url = page_url(world.e1)
    assert "Et si… ?" in client.get(url).content.decode()
    response = client.post(url, rows({"action": "addition", "commune": "38003", "fte": "3"}) | {"compute": ""})
    page = response.content.decode()
    assert response.status_code == 200 and "Avant / après" in page and "Hameau (38003)" in page and "<svg" in page
    response = client.post(
        url, rows({"action": "addition", "commune": "38003", "fte": "3"}) | {"save": "", "name": "MSP", "shared": "on"}
    )
    scenario = Scenario.objects.get()
    assert response.status_code == 302 and scenario.is_shared and scenario.author == elu
    referent = ReferentFactory(department=world.department)
    client.force_login(referent)
    detail = client.get(reverse("portal:accessibility_scenario", args=[scenario.pk]))
    assert detail.status_code == 200 and "Scénario « MSP »" in detail.content.decode()


def test_bad_changes_are_shown_in_french(client, world, elu):
    client.force_login(elu)
    response = client.post(page_url(world.e1), rows({"action": "retirement", "commune": "73001", "count": "2"}))
    assert response.status_code == 200
    assert "n&#x27;est pas dans votre territoire" in response.content.decode()
    response = client.post(page_url(world.e1), rows({"action": "retirement", "commune": "38001", "count": "-2"}))
    assert "entier positif" in response.content.decode()


def test_a_private_scenario_is_a_404_for_others(client, world, elu):
    scenario = Scenario.objects.create(
        author=elu, name="Privé", territory=world.e1, department=world.department, changes=[], is_shared=False
    )
    url = reverse("portal:accessibility_scenario", args=[scenario.pk])
    for user in (EluFactory(territory=world.e1), ReferentFactory(department=world.department)):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(ReferentFactory(department=world.other_department))
    scenario.is_shared = True
    scenario.save()
    assert client.get(url).status_code == 404  # shared with the referents of its own département only


def test_other_territories_are_a_404(client, world, elu):
    client.force_login(elu)
    assert client.get(page_url(world.e2)).status_code == 404


def test_method_page_states_the_parameters_and_the_difference_from_drees(client, world, elu):
    client.force_login(elu)
    page = client.get(reverse("portal:accessibility_method")).content.decode()
    assert "Différences avec l'APL de la DREES" in page and "4\u202f000 consultations par an" in page
