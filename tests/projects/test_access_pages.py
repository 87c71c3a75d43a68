"""Access per boundary on every project and offer page: an élu of another territory and a referent of another
département (or of another domain) get a 404; anonymous visitors are sent to the login page, on offers too."""

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from projects import services
from projects.enums import ProjectStage
from projects.models import Project

from .factories import make_project, offer_fields

pytestmark = pytest.mark.django_db

GET_PAGES = ["projects:detail", "projects:edit"]
POST_PAGES = ["projects:stage", "projects:next_step", "projects:aid", "projects:document"]


@pytest.fixture
def project(world):
    return make_project(world.elu_a, world.a, name="MSP A")


@pytest.mark.parametrize("outsider", ["elu_b", "elu_a2", "elu_c", "referent_d2", "referent_d1_prev"])
def test_outsiders_get_404_on_every_page_of_a_project(client, world, project, outsider):
    client.force_login(getattr(world, outsider))
    for name in GET_PAGES:
        assert client.get(reverse(name, args=[project.pk])).status_code == 404, name
    for name in POST_PAGES:
        response = client.post(reverse(name, args=[project.pk]), {"stage": ProjectStage.TEAM, "next_step": "x"})
        assert response.status_code == 404, name
    assert "MSP A" not in client.get(reverse("projects:list")).content.decode() or outsider == "elu_a2"
    project.refresh_from_db()
    assert project.stage == ProjectStage.IDEA and project.events.count() == 1


@pytest.mark.parametrize("insider", ["elu_a", "elu_e1", "referent_d1", "admin"])
def test_the_territory_and_the_departement_edit(client, world, project, insider):
    client.force_login(getattr(world, insider))
    assert client.get(reverse("projects:detail", args=[project.pk])).status_code == 200
    response = client.post(reverse("projects:stage", args=[project.pk]), {"stage": ProjectStage.TEAM})
    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).stage == ProjectStage.TEAM


def test_an_unknown_project_is_a_404(client, world):
    client.force_login(world.admin)
    assert client.get(reverse("projects:detail", args=[uuid.uuid4()])).status_code == 404


def test_anonymous_visitors_are_sent_to_login_everywhere(client, world, project):
    offer = services.publish_offer(user=world.elu_a, **offer_fields(world.a, available_from=timezone.localdate()))
    urls = [reverse("projects:list"), reverse("projects:create"), reverse("projects:offers")]
    urls += [reverse(name, args=[project.pk]) for name in GET_PAGES]
    urls += [reverse("projects:offer_print") + f"?offre={offer.pk}", reverse("projects:offer_create")]
    login = reverse("accounts:login")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(login), url
    for name in POST_PAGES:
        response = client.post(reverse(name, args=[project.pk]), {"stage": ProjectStage.TEAM})
        assert response.status_code == 302 and response.url.startswith(login), name
    response = client.post(reverse("projects:offer_renew", args=[offer.pk]))
    assert response.status_code == 302 and response.url.startswith(login)
