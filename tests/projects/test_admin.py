"""Admin of projects and levers: every model has its pages; a stage goes back only with a motif, and changes made
in the admin are journaled like the portal's."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from projects.enums import EventKind, ProjectStage

from .factories import make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, world):
    world.admin.is_staff = True
    world.admin.save()
    client.force_login(world.admin)
    return client


def test_every_model_of_the_app_has_an_admin_with_pages(admin_client):
    for model in apps.get_app_config("projects").get_models():
        if model.__name__.startswith("Historical"):
            continue
        assert admin.site.is_registered(model), model
        url = reverse(f"admin:projects_{model._meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url
    assert admin.site.is_registered(apps.get_model("structures", "TeamRoleCount"))


def form_data(project, **overrides):
    data = {
        "name": project.name,
        "kind": project.kind,
        "territory": project.territory_id,
        "commune": "",
        "porteur": project.porteur,
        "stage": project.stage,
        "next_step": "",
        "next_step_owner": "",
        "next_step_due": "",
        "blockers": "",
        "structure": "",
        "reason": "",
    }
    for prefix in ("aids", "documents", "events"):
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
    data.update(overrides)
    return data


def test_the_admin_moves_a_stage_back_only_with_a_motif_and_journals_it(admin_client, world):
    project = make_project(world.elu_a, world.a)
    project.stage = ProjectStage.ARS_VALIDATED
    project.save()
    url = reverse("admin:projects_project_change", args=[project.pk])
    response = admin_client.post(url, form_data(project, stage=ProjectStage.TEAM))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reason"] == [
        "Un projet ne revient à un stade antérieur qu'avec un motif : indiquez pourquoi."
    ]
    response = admin_client.post(
        url, form_data(project, stage=ProjectStage.TEAM, reason="Erreur de saisie", blockers="Foncier")
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.stage == ProjectStage.TEAM and project.stage_changed_on == timezone.localdate()
    kinds = list(project.events.values_list("kind", "reason"))
    assert (EventKind.STAGE, "Erreur de saisie") in kinds and (EventKind.DETAILS, "") in kinds
