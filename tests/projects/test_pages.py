"""Project and offer pages: the referent's pipeline, the élu's projects and neighbours, a project's page and its
forms (French errors, journal), offers with French field errors; query counts constant whatever the number of
projects."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from projects import services
from projects.enums import ProjectKind, ProjectStage
from projects.models import Offer, Project

from .factories import make_project, offer_fields

pytestmark = pytest.mark.django_db


def test_the_project_path_of_e_mails_is_the_detail_page(world):
    project = make_project(world.elu_a, world.a)
    assert services.PROJECT_PATH.format(pk=project.pk) == reverse("projects:detail", args=[project.pk])


def test_referent_pipeline_by_stage_with_filters_and_late_steps(client, world):
    a = make_project(world.elu_a, world.a, name="MSP A")
    make_project(world.elu_b, world.b, name="CDS B", kind=ProjectKind.CDS_MUNICIPAL)
    make_project(world.elu_c, world.c, name="MSP Savoie")
    services.change_stage(user=world.referent_d1, project_id=a.pk, stage=ProjectStage.HEALTH_PROJECT)
    yesterday = timezone.localdate() - timedelta(days=1)
    services.set_next_step(user=world.referent_d1, project_id=a.pk, next_step="Dépôt à l'ARS", due_on=yesterday)
    client.force_login(world.referent_d1)
    response = client.get(reverse("projects:list"))
    columns = {c.stage: [p.name for p in c.projects] for c in response.context["columns"]}
    assert columns[ProjectStage.HEALTH_PROJECT] == ["MSP A"] and columns[ProjectStage.IDEA] == ["CDS B"]
    assert len(columns) == 9  # every stage shown, empty ones too
    assert response.context["late_count"] == 1
    html = response.content.decode()
    assert "MSP Savoie" not in html and "en retard" in html and "Projet de santé rédigé" in html
    names = lambda r: [p.name for c in r.context["columns"] for p in c.projects]  # noqa: E731
    assert names(client.get(reverse("projects:list"), {"type": "cds_municipal"})) == ["CDS B"]
    assert names(client.get(reverse("projects:list"), {"epci": world.e1.code})) == ["MSP A"]
    assert names(client.get(reverse("projects:list"), {"epci": world.e3.code})) == ["CDS B", "MSP A"]  # not theirs


def test_pipeline_queries_do_not_depend_on_the_number_of_projects(client, world, django_assert_num_queries):
    client.force_login(world.referent_d1)
    make_project(world.elu_a, world.a)
    with django_assert_num_queries(4) as few:  # session, user, EPCI choices, projects
        client.get(reverse("projects:list"))
    for i in range(12):
        p = make_project(world.elu_e1, world.a2 if i % 2 else world.e1, name=f"Projet {i}")
        services.set_next_step(user=world.referent_d1, project_id=p.pk, next_step="x", owner=world.elu_e1)
    with django_assert_num_queries(len(few)):
        response = client.get(reverse("projects:list"))
    assert response.context["count"] == 13


def test_elu_sees_their_projects_and_a_summary_of_the_neighbours(client, world, django_assert_num_queries):
    make_project(world.elu_a, world.a, name="MSP A")
    make_project(world.elu_a2, world.a2, name="MSP A2")
    client.force_login(world.elu_a)
    response = client.get(reverse("projects:list"))
    assert [p.name for c in response.context["columns"] for p in c.projects] == ["MSP A"]
    assert [p.name for p in response.context["neighbours"]] == ["MSP A2"]
    html = response.content.decode()
    assert reverse("projects:detail", args=[Project.objects.get(name="MSP A2").pk]) not in html  # summary only


def test_elu_creates_a_project_with_french_errors_first(client, world):
    client.force_login(world.elu_e1)
    response = client.post(reverse("projects:create"), {"name": "", "kind": "msp", "porteur": "", "commune": ""})
    assert response.status_code == 200 and "Ce champ est obligatoire." in response.content.decode()
    response = client.post(
        reverse("projects:create"),
        {"name": "MSP du Pays", "kind": "msp", "porteur": "Communauté de communes", "commune": world.b.pk},
    )
    assert response.context["form"].errors == {
        "commune": ["La commune d'implantation doit être dans le territoire du projet."]
    }
    response = client.post(
        reverse("projects:create"),
        {"name": "MSP du Pays", "kind": "msp", "porteur": "Communauté de communes", "commune": world.a2.pk},
    )
    project = Project.objects.get()
    assert response.status_code == 302 and response.url == reverse("projects:detail", args=[project.pk])
    assert (project.territory, project.commune) == (world.e1, world.a2)


def test_referents_do_not_create_projects(client, world):
    client.force_login(world.referent_d1)
    assert client.get(reverse("projects:create")).status_code == 403


def test_stage_back_without_reason_is_refused_in_french_and_journal_is_shown(client, world):
    project = make_project(world.elu_a, world.a)
    client.force_login(world.referent_d1)
    url = reverse("projects:stage", args=[project.pk])
    assert client.post(url, {"stage": ProjectStage.ARS_VALIDATED}).status_code == 302
    response = client.post(url, {"stage": ProjectStage.IDEA, "reason": ""})
    assert response.status_code == 400
    assert "avec un motif : indiquez pourquoi." in response.content.decode()
    project.refresh_from_db()
    assert project.stage == ProjectStage.ARS_VALIDATED
    client.post(url, {"stage": ProjectStage.IDEA, "reason": "Le projet de santé est à reprendre."})
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "Motif : Le projet de santé est à reprendre." in html and "Projet créé" in html


def test_next_step_owner_choices_are_the_people_of_the_project(client, world):
    project = make_project(world.elu_a, world.a)
    client.force_login(world.referent_d1)
    response = client.get(reverse("projects:detail", args=[project.pk]))
    owners = dict(response.context["next_step_form"].fields["owner"].choices)
    assert str(world.elu_a.pk) in owners and str(world.referent_d1.pk) in owners and str(world.elu_e1.pk) in owners
    assert str(world.referent_d1_prev.pk) not in owners and str(world.elu_b.pk) not in owners
    response = client.post(
        reverse("projects:next_step", args=[project.pk]),
        {"next_step": "Visite du local", "owner": world.elu_a.pk, "due_on": "2027-02-01"},
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.next_step_owner, project.next_step_due) == (world.elu_a, date(2027, 2, 1))


def test_detail_queries_do_not_depend_on_the_journal(client, world, django_assert_num_queries):
    project = make_project(world.elu_a, world.a)
    client.force_login(world.elu_a)
    url = reverse("projects:detail", args=[project.pk])
    with django_assert_num_queries(9) as few:  # session, user, project, events, aids, documents, owners, aids list
        client.get(url)
    for i in range(10):
        services.update_details(user=world.elu_a, project_id=project.pk, blockers=f"Blocage {i}")
        services.attach_document(user=world.elu_a, project_id=project.pk, title=f"Doc {i}", url=f"/documents/{i}/")
    with django_assert_num_queries(len(few)):
        client.get(url)


def test_offer_form_gives_french_field_errors(client, world):
    client.force_login(world.elu_a)
    data = offer_fields(world.b, surface_m2="-20", available_from=timezone.localdate() - timedelta(days=3))
    data |= {"audience": "", "commune": world.b.pk}
    response = client.post(reverse("projects:offer_create"), {k: v for k, v in data.items() if v is not None})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "surface_m2": ["La surface doit être un nombre de m² positif."],
        "available_from": ["La date de disponibilité ne peut pas être passée."],
        "commune": ["Cette commune n'est pas dans votre territoire."],
    }
    assert not Offer.objects.exists()


def test_offer_published_listed_printed_and_renewed(client, world):
    client.force_login(world.elu_a)
    data = offer_fields(world.a, available_from=timezone.localdate() + timedelta(days=30))
    data |= {"accessible": "on", "commune": world.a.pk}
    response = client.post(reverse("projects:offer_create"), data)
    assert response.status_code == 302
    offer = Offer.objects.get()
    client.force_login(world.referent_d1)
    html = client.get(reverse("projects:offers")).content.decode()
    assert offer.title in html and "Renouveler" not in html  # the referent shares, the élu renews
    printed = client.get(reverse("projects:offer_print"), {"offre": [str(offer.pk), "pas-un-uuid"]})
    assert printed.status_code == 404
    printed = client.get(reverse("projects:offer_print"), {"offre": [str(offer.pk)]})
    assert offer.title in printed.content.decode() and "64,5 m²" in printed.content.decode()
    assert client.post(reverse("projects:offer_renew", args=[offer.pk])).status_code == 404
    client.force_login(world.elu_a)
    assert client.post(reverse("projects:offer_renew", args=[offer.pk])).status_code == 302


def test_an_offer_photo_must_be_an_image(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(world.elu_a)
    data = offer_fields(world.a, available_from=timezone.localdate())
    data["commune"] = world.a.pk
    data["photos"] = SimpleUploadedFile("photo.jpg", b"pas une image", content_type="image/jpeg")
    response = client.post(reverse("projects:offer_create"), data)
    assert response.status_code == 400 and not Offer.objects.exists()
    assert "image" in response.content.decode()
