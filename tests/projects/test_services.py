"""Project services: every change checked, journaled and kept in the history; stages go back only with a reason;
an opening project becomes (or updates) a structure."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from projects import services
from projects.enums import AidStatus, EventKind, ProjectKind, ProjectStage
from projects.models import Project
from structures.enums import Stage, StructureKind
from structures.models import Structure
from tests.aids.factories import AidFactory
from tests.structures.factories import StructureFactory

from .factories import make_project

pytestmark = pytest.mark.django_db


def test_an_elu_creates_a_project_of_their_commune_at_the_idea_stage(world):
    project = make_project(world.elu_a, world.a, today=date(2026, 12, 1))
    assert project.stage == ProjectStage.IDEA and project.stage_changed_on == date(2026, 12, 1)
    assert (project.department, project.epci) == (world.d1, world.e1)  # copied for scopes and filters
    [event] = project.events.all()
    assert event.kind == EventKind.CREATED and event.author == world.elu_a and "« idée »" in event.message
    assert project.history.count() == 1


@pytest.mark.parametrize(
    ("user", "territory"), [("elu_a", "b"), ("elu_a", "e1"), ("referent_d1", "c"), ("referent_d1_prev", "a")]
)
def test_nobody_creates_a_project_out_of_their_scope(world, user, territory):
    with pytest.raises(ValidationError) as error:
        make_project(getattr(world, user), getattr(world, territory))
    assert error.value.message_dict == {"territory": ["Ce territoire n'est pas dans votre périmètre."]}
    assert not Project.objects.exists()  # nothing half-written


def test_a_project_lies_on_a_commune_or_an_epci(world):
    with pytest.raises(ValidationError) as error:
        make_project(world.admin, world.d1)
    assert "commune ou un EPCI" in error.value.message_dict["territory"][0]


def test_stages_go_forward_freely_and_back_only_with_a_reason(world):
    project = make_project(world.elu_a, world.a)
    project = services.change_stage(user=world.referent_d1, project_id=project.pk, stage=ProjectStage.HEALTH_PROJECT)
    assert project.stage == ProjectStage.HEALTH_PROJECT

    with pytest.raises(ValidationError) as error:
        services.change_stage(user=world.elu_a, project_id=project.pk, stage=ProjectStage.TEAM, reason="  ")
    assert error.value.message_dict == {
        "reason": ["Un projet ne revient à un stade antérieur qu'avec un motif : indiquez pourquoi."]
    }
    project.refresh_from_db()
    assert project.stage == ProjectStage.HEALTH_PROJECT

    services.change_stage(
        user=world.elu_a, project_id=project.pk, stage=ProjectStage.TEAM, reason="Deux médecins se sont retirés."
    )
    back = project.events.filter(kind=EventKind.STAGE).first()  # newest first
    assert (back.from_stage, back.to_stage) == (ProjectStage.HEALTH_PROJECT, ProjectStage.TEAM)
    assert back.reason == "Deux médecins se sont retirés." and "Motif" in back.message
    assert [h.stage for h in project.history.order_by("history_date")] == [
        ProjectStage.IDEA,
        ProjectStage.HEALTH_PROJECT,
        ProjectStage.TEAM,
    ]


def test_an_unknown_stage_is_refused_in_french(world):
    project = make_project(world.elu_a, world.a)
    with pytest.raises(ValidationError) as error:
        services.change_stage(user=world.elu_a, project_id=project.pk, stage="done")
    assert error.value.message_dict == {"stage": ["Stade inconnu."]}


def test_out_of_scope_writers_get_does_not_exist(world):
    project = make_project(world.elu_a, world.a)
    for user in (world.elu_b, world.referent_d2, world.referent_d1_prev):
        with pytest.raises(Project.DoesNotExist):
            services.change_stage(user=user, project_id=project.pk, stage=ProjectStage.TEAM)
    assert project.events.count() == 1


def test_next_step_with_owner_and_date_is_journaled(world):
    project = make_project(world.elu_a, world.a)
    services.set_next_step(
        user=world.referent_d1,
        project_id=project.pk,
        next_step="Réunion avec l'ARS sur le projet de santé",
        owner=world.elu_a,
        due_on=date(2027, 1, 15),
    )
    project.refresh_from_db()
    assert (project.next_step_owner, project.next_step_due) == (world.elu_a, date(2027, 1, 15))
    event = project.events.first()
    assert event.kind == EventKind.NEXT_STEP and "par Camille Maire, pour le 15/01/2027" in event.message


def test_a_next_step_owner_must_see_the_project(world):
    project = make_project(world.elu_a, world.a)
    with pytest.raises(ValidationError) as error:
        services.set_next_step(user=world.elu_a, project_id=project.pk, next_step="Visite", owner=world.elu_b)
    assert "n'a pas accès au projet" in error.value.message_dict["next_step_owner"][0]
    with pytest.raises(ValidationError) as error:
        services.set_next_step(user=world.elu_a, project_id=project.pk, next_step=" ", due_on=date(2027, 1, 1))
    assert error.value.message_dict == {"next_step": ["Décrivez la prochaine étape."]}


def test_details_and_blockers_are_journaled(world):
    project = make_project(world.elu_a, world.a)
    services.update_details(user=world.elu_a, project_id=project.pk, blockers="Pas de terrain constructible.")
    assert project.events.first().message == "Points de blocage : Pas de terrain constructible."
    services.update_details(user=world.elu_a, project_id=project.pk, name="MSP des Tilleuls", porteur="SISA")
    assert project.events.first().message == "Modifié : nom du projet, porteur."
    services.update_details(user=world.elu_a, project_id=project.pk, name="MSP des Tilleuls")  # no change
    assert project.events.count() == 3
    with pytest.raises(ValidationError) as error:
        services.update_details(user=world.elu_e1, project_id=project.pk, commune=world.b)
    assert error.value.message_dict == {
        "commune": ["La commune d'implantation doit être dans le territoire du projet."]
    }


def test_opening_creates_the_structure_then_the_agreement_updates_it(world):
    project = make_project(world.elu_a, world.a, name="MSP des Tilleuls")
    services.change_stage(user=world.referent_d1, project_id=project.pk, stage=ProjectStage.OPENING)
    project.refresh_from_db()
    structure = project.structure
    assert (structure.kind, structure.stage, structure.commune, structure.name) == (
        StructureKind.MSP,
        Stage.OPEN,
        world.a,
        "MSP des Tilleuls",
    )
    assert project.events.filter(kind=EventKind.STRUCTURE).count() == 1
    services.change_stage(user=world.referent_d1, project_id=project.pk, stage=ProjectStage.AGREEMENT)
    assert Structure.objects.count() == 1  # the same structure, not a second one


def test_a_cpts_project_becomes_a_cpts_in_prefiguration_then_aci_signed(world):
    project = make_project(world.elu_e1, world.e1, kind=ProjectKind.CPTS, name="CPTS du Pays")
    with pytest.raises(ValidationError) as error:
        services.change_stage(user=world.elu_e1, project_id=project.pk, stage=ProjectStage.OPENING)
    assert error.value.message_dict == {"commune": ["Indiquez la commune d'implantation avant l'ouverture."]}
    services.update_details(user=world.elu_e1, project_id=project.pk, commune=world.a2)
    services.change_stage(user=world.elu_e1, project_id=project.pk, stage=ProjectStage.OPENING)
    project.refresh_from_db()
    assert (project.structure.kind, project.structure.stage) == (StructureKind.CPTS, Stage.PREFIGURATION)
    services.change_stage(user=world.elu_e1, project_id=project.pk, stage=ProjectStage.AGREEMENT)
    project.structure.refresh_from_db()
    assert project.structure.stage == Stage.SIGNED


def test_an_opening_updates_the_structure_already_linked(world):
    existing = StructureFactory(commune=world.a, stage=Stage.PROJECT, name="Centre de santé municipal")
    project = make_project(world.elu_a, world.a, kind=ProjectKind.CDS_MUNICIPAL)
    Project.objects.filter(pk=project.pk).update(structure=existing)
    services.change_stage(user=world.elu_a, project_id=project.pk, stage=ProjectStage.OPENING)
    existing.refresh_from_db()
    assert existing.stage == Stage.OPEN and Structure.objects.count() == 1


def test_a_secondary_practice_has_no_structure_record_and_says_so(world):
    project = make_project(world.elu_a, world.a, kind=ProjectKind.SECONDARY_PRACTICE)
    services.change_stage(user=world.elu_a, project_id=project.pk, stage=ProjectStage.OPENING)
    project.refresh_from_db()
    assert project.structure is None and not Structure.objects.exists()
    assert "Pas de fiche structure" in project.events.filter(kind=EventKind.STRUCTURE).get().message


def test_aids_of_the_catalogue_requested_then_obtained(world):
    aid = AidFactory(name="Aide au démarrage d'une MSP")
    project = make_project(world.elu_a, world.a)
    services.record_aid(user=world.referent_d1, project_id=project.pk, aid=aid, status=AidStatus.REQUESTED)
    services.record_aid(user=world.referent_d1, project_id=project.pk, aid=aid, status=AidStatus.OBTAINED, amount=50000)
    assert project.aids.get().status == AidStatus.OBTAINED  # one row per aid
    assert project.events.first().message == "Aide « Aide au démarrage d'une MSP » : obtenue."
    with pytest.raises(ValidationError):
        services.record_aid(user=world.elu_a, project_id=project.pk, aid=aid, status=AidStatus.OBTAINED, amount=-1)


def test_documents_are_links_inside_the_portal(world):
    project = make_project(world.elu_a, world.a)
    services.attach_document(user=world.elu_a, project_id=project.pk, title="Fiche territoire", url="/documents/abc/")
    assert project.documents.get().url == "/documents/abc/"
    for url in ("https://ailleurs.exemple.com/x", "//ailleurs.exemple.com/x", "javascript:alert(1)"):
        with pytest.raises(ValidationError) as error:
            services.attach_document(user=world.elu_a, project_id=project.pk, title="Autre", url=url)
        assert "adresse du portail" in error.value.message_dict["url"][0]
