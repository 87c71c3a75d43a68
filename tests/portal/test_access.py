"""Who may open which page: every protected view, every role (issue "Foundation", point 7)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

TERRITORY_VIEWS = ["portal:territory", "portal:territory_map"]


def url(view, territory):
    return reverse(view, args=[territory.level, territory.code])


def status(client, view, territory):
    return client.get(url(view, territory)).status_code


@pytest.mark.parametrize(
    "path",
    [
        "/accueil/",
        "/territoires/recherche/?q=grenoble",
        "/territoires/commune/38185/",
        "/territoires/commune/38185/carte/",
        "/territoires/unknown/0/",
    ],
)
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


def test_anonymous_cannot_see_an_existing_territory(client, world):
    for view in TERRITORY_VIEWS:
        response = client.get(url(view, world.a))
        assert response.status_code == 302
        assert world.a.name not in response.content.decode()


@pytest.mark.parametrize("view", TERRITORY_VIEWS)
def test_elu_of_a_commune(client, world, view):
    client.force_login(world.elu_a)
    for territory in (world.a, world.iris_a, world.e1, world.d1, world.region):
        assert status(client, view, territory) == 200, territory
    # Outside their commune: not even the sibling commune of the same EPCI.
    for territory in (world.a2, world.b, world.c, world.e2, world.e3, world.d2):
        assert status(client, view, territory) == 404, territory


@pytest.mark.parametrize("view", TERRITORY_VIEWS)
def test_elu_of_an_epci(client, world, view):
    client.force_login(world.elu_e1)
    for territory in (world.e1, world.a, world.a2, world.iris_a, world.d1, world.region):
        assert status(client, view, territory) == 200, territory
    for territory in (world.b, world.c, world.e2, world.e3, world.d2):
        assert status(client, view, territory) == 404, territory


@pytest.mark.parametrize("view", TERRITORY_VIEWS)
def test_referent_of_a_department(client, world, view):
    client.force_login(world.referent_d1)
    for territory in (world.d1, world.region, world.e1, world.e2, world.a, world.a2, world.b, world.iris_a):
        assert status(client, view, territory) == 200, territory
    for territory in (world.d2, world.e3, world.c):
        assert status(client, view, territory) == 404, territory


@pytest.mark.parametrize("view", TERRITORY_VIEWS)
def test_admin_sees_everything(client, world, view):
    client.force_login(world.admin)
    for territory in world.all_territories():
        assert status(client, view, territory) == 200, territory


def test_unknown_level_or_code_is_404(client, world):
    client.force_login(world.admin)
    assert client.get("/territoires/planete/38/").status_code == 404
    assert client.get("/territoires/commune/00000/").status_code == 404
    assert client.get("/territoires/planete/38/carte/").status_code == 404


def test_user_without_scope_sees_nothing(client, world):
    """An élu whose territory was not set yet (incomplete account) gets no territory page."""
    from tests.factories import UserFactory

    client.force_login(UserFactory(role="elu", territory=None))
    assert status(client, "portal:territory", world.a) == 404
    assert client.get(reverse("portal:home")).status_code == 302


def test_home_is_the_users_own_territory(client, world):
    client.force_login(world.elu_a)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    assert response.context["territory"] == world.a

    client.force_login(world.elu_e1)
    assert client.get(reverse("portal:home")).context["territory"] == world.e1

    client.force_login(world.referent_d1)
    assert client.get(reverse("portal:home")).context["territory"] == world.d1

    client.force_login(world.admin)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:search")


def test_search_lists_every_match_but_links_only_visible_ones(client, world):
    world.a.name = "Saint-Égrève"
    world.a.save()
    world.c.name = "Saint-Égrève-la-Forêt"  # another département: listed, not linked
    world.c.save()
    client.force_login(world.elu_a)
    response = client.get(reverse("portal:search"), {"q": "saint egreve"})
    assert response.status_code == 200
    assert {t.pk for t in response.context["results"]} == {world.a.pk, world.c.pk}
    html = response.content.decode()
    assert url("portal:territory", world.a) in html
    assert url("portal:territory", world.c) not in html
    assert "Saint-Égrève-la-Forêt" in html


def test_links_on_a_territory_page_follow_visibility(client, world):
    """An élu of commune A on their EPCI's page: A is a link, the sibling A2 is listed without a link."""
    client.force_login(world.elu_a)
    html = client.get(url("portal:territory", world.e1)).content.decode()
    assert url("portal:territory", world.a) in html
    assert world.a2.name in html
    assert url("portal:territory", world.a2) not in html


def test_referent_sees_parent_region_but_not_other_departments_links(client, world):
    client.force_login(world.referent_d1)
    html = client.get(url("portal:territory", world.region)).content.decode()
    assert url("portal:territory", world.d1) in html
    assert world.d2.name in html
    assert url("portal:territory", world.d2) not in html
