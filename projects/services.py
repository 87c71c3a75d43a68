"""Writes on projects and offers: each change is checked, saved, journaled (``ProjectEvent``) and kept in the
history in one transaction; errors are French ``ValidationError`` per field.

Who may write is checked here too (``Project.objects.visible_to``): a caller out of scope gets
``Project.DoesNotExist`` (a 404 for pages), never a half-written project.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from aids.models import Aid
from structures.enums import Stage, StructureKind
from structures.models import Structure
from territories.enums import Level
from territories.models import Territory

from .enums import STAGE_RANK, STRUCTURE_KIND_OF, AidStatus, EventKind, ProjectStage
from .models import Offer, Project, ProjectAid, ProjectDocument, ProjectEvent

logger = logging.getLogger(__name__)

# The page of a project (the web layer serves it at this path; a test keeps them equal).
PROJECT_PATH = "/projets/{pk}/"
OFFER_VALIDITY_DAYS = 90
EDITABLE_FIELDS = ("name", "kind", "porteur", "commune", "blockers")


def project_url(project: Project) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + PROJECT_PATH.format(pk=project.pk)


def _editable(user, project_id) -> Project:
    """The project locked for update, if ``user`` may edit it; else ``Project.DoesNotExist`` (a 404)."""
    return Project.objects.visible_to(user).select_for_update().select_related("territory").get(pk=project_id)


def _event(project: Project, user, kind: str, message: str, **fields) -> ProjectEvent:
    return ProjectEvent.objects.create(project=project, author=user, kind=kind, message=message, **fields)


def _check_owner(project: Project, owner) -> None:
    """The owner of a next step must be able to open the project (else their reminder would lead to a 404)."""
    if owner is not None and not Project.objects.visible_to(owner).filter(pk=project.pk).exists():
        raise ValidationError({"next_step_owner": "Cette personne n'a pas accès au projet : choisissez-en une autre."})


@transaction.atomic
def create_project(
    *,
    user,
    name: str,
    kind: str,
    territory: Territory,
    porteur: str,
    commune: Territory | None = None,
    blockers: str = "",
    today: date | None = None,
) -> Project:
    """A new project at the « idée » stage (or any stage an admin sets later through the journaled services)."""
    today = today or timezone.localdate()
    project = Project(
        name=name.strip(),
        kind=kind,
        territory=territory,
        commune=commune,
        porteur=porteur.strip(),
        blockers=blockers.strip(),
        stage=ProjectStage.IDEA,
        stage_changed_on=today,
        created_by=user,
    )
    if territory.level not in (Level.COMMUNE, Level.EPCI) or not territory.department_id:
        raise ValidationError({"territory": "Le territoire d'un projet est une commune ou un EPCI."})
    project.copy_scope()
    project.full_clean()
    # The creator must see what they create: an élu of another territory, or a referent of another
    # département, cannot create there.
    project.save()
    if not Project.objects.visible_to(user).filter(pk=project.pk).exists():
        raise ValidationError({"territory": "Ce territoire n'est pas dans votre périmètre."})
    _event(project, user, EventKind.CREATED, f"Projet créé au stade « {project.get_stage_display()} ».")
    return project


@transaction.atomic
def update_details(*, user, project_id, **changes) -> Project:
    """Name, kind, porteur, commune d'implantation, blockers: one journal entry listing what changed."""
    project = _editable(user, project_id)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable here: {sorted(unknown)}")
    changed = []
    for field, value in changes.items():
        if isinstance(value, str):
            value = value.strip()
        if getattr(project, field) != value:
            setattr(project, field, value)
            changed.append(field)
    if not changed:
        return project
    project.full_clean()
    project.save()
    labels = [str(Project._meta.get_field(f).verbose_name) for f in changed]
    if changed == ["blockers"]:
        message = "Points de blocage : " + (project.blockers or "levés.")
        _event(project, user, EventKind.BLOCKERS, message)
    else:
        _event(project, user, EventKind.DETAILS, "Modifié : " + ", ".join(labels) + ".")
    return project


@transaction.atomic
def change_stage(*, user, project_id, stage: str, reason: str = "", today: date | None = None) -> Project:
    """Move a project to ``stage``. Going back needs a reason (kept in the journal). Reaching « ouverture » or
    « accord conventionnel signé » creates or updates the structure the project becomes."""
    today = today or timezone.localdate()
    project = _editable(user, project_id)
    if stage not in STAGE_RANK:
        raise ValidationError({"stage": "Stade inconnu."})
    if stage == project.stage:
        return project
    reason = reason.strip()
    backwards = STAGE_RANK[stage] < STAGE_RANK[project.stage]
    if backwards and not reason:
        raise ValidationError(
            {"reason": "Un projet ne revient à un stade antérieur qu'avec un motif : indiquez pourquoi."}
        )
    previous = project.stage
    project.stage = stage
    project.stage_changed_on = today
    if STAGE_RANK[stage] >= STAGE_RANK[ProjectStage.OPENING]:
        _open_structure(project, user=user, today=today)
    project.save()
    labels = dict(ProjectStage.choices)
    message = f"Stade : « {labels[previous]} » → « {labels[stage]} »."
    if backwards:
        message += f" Motif : {reason}"
    _event(project, user, EventKind.STAGE, message, from_stage=previous, to_stage=stage, reason=reason)
    return project


def _open_structure(project: Project, *, user, today: date) -> None:
    """Create the structure an opening project becomes, or bring its linked structure to « ouverte »."""
    kind = STRUCTURE_KIND_OF.get(project.kind)
    if kind is None:
        _event(
            project,
            user,
            EventKind.STRUCTURE,
            f"Pas de fiche structure pour un projet de type « {project.get_kind_display()} ».",
        )
        return
    if project.commune_id is None and project.territory.level == Level.COMMUNE:
        project.commune = project.territory
    if project.commune_id is None:
        raise ValidationError({"commune": "Indiquez la commune d'implantation avant l'ouverture."})
    agreed = project.stage == ProjectStage.AGREEMENT
    if kind == StructureKind.CPTS:
        stage = Stage.SIGNED if agreed else Stage.PREFIGURATION
    else:
        stage = Stage.OPEN
    structure = project.structure
    if structure is None:
        structure = Structure(kind=kind, name=project.name, commune=project.commune, stage=stage, opened_on=today)
        structure.full_clean()
        structure.save()
        project.structure = structure
        _event(
            project, user, EventKind.STRUCTURE, f"Fiche structure créée : {structure.name} ({structure.short_kind})."
        )
    elif structure.stage != stage:
        structure.stage = stage
        structure.opened_on = structure.opened_on or today
        structure.full_clean()
        structure.save()
        _event(project, user, EventKind.STRUCTURE, f"Fiche structure mise à jour : {structure.get_stage_display()}.")


@transaction.atomic
def set_next_step(*, user, project_id, next_step: str, owner=None, due_on: date | None = None) -> Project:
    """The next step, its owner and its date (empty text: no next step). A new date re-arms the reminder."""
    project = _editable(user, project_id)
    next_step = next_step.strip()
    if not next_step and (owner is not None or due_on is not None):
        raise ValidationError({"next_step": "Décrivez la prochaine étape."})
    _check_owner(project, owner)
    project.next_step = next_step
    project.next_step_owner = owner
    if due_on != project.next_step_due:
        project.next_step_reminded_on = None
    project.next_step_due = due_on
    project.full_clean()
    project.save()
    if next_step:
        parts = [f"Prochaine étape : {next_step}"]
        if owner is not None:
            parts.append(f"par {owner.get_full_name() or owner.email}")
        if due_on is not None:
            parts.append(f"pour le {due_on:%d/%m/%Y}")
        message = ", ".join(parts) + "."
    else:
        message = "Prochaine étape retirée."
    _event(project, user, EventKind.NEXT_STEP, message)
    return project


@transaction.atomic
def record_aid(
    *, user, project_id, aid: Aid, status: str, amount=None, on: date | None = None, note: str = ""
) -> ProjectAid:
    """An aid of the catalogue requested, obtained or refused for the project (one row per aid)."""
    project = _editable(user, project_id)
    if status not in AidStatus.values:
        raise ValidationError({"status": "État inconnu."})
    if amount is not None and amount < 0:
        raise ValidationError({"amount": "Le montant ne peut pas être négatif."})
    row, _ = ProjectAid.objects.update_or_create(
        project=project,
        aid=aid,
        defaults={"status": status, "amount": amount, "on": on or timezone.localdate(), "note": note.strip()},
    )
    _event(project, user, EventKind.AID, f"Aide « {aid.name} » : {row.get_status_display()}.")
    return row


@transaction.atomic
def attach_document(*, user, project_id, title: str, url: str) -> ProjectDocument:
    """Attach a document of the portal (a generated fiche, a scenario…) by its path: never an outside address."""
    project = _editable(user, project_id)
    title, url = title.strip(), url.strip()
    errors = {}
    if not title:
        errors["title"] = "Donnez un titre au document."
    if not url.startswith("/") or url.startswith("//"):
        errors["url"] = "Le lien doit être une adresse du portail, commençant par « / »."
    if errors:
        raise ValidationError(errors)
    document = ProjectDocument.objects.create(project=project, title=title, url=url, added_by=user)
    _event(project, user, EventKind.DOCUMENT, f"Document joint : {title}.")
    return document


# --- next-step reminders --------------------------------------------------------------------------------------


def send_next_step_reminders(*, today: date | None = None) -> dict[str, int]:
    """One e-mail per owner listing their next steps past their date, at most once a day per project.

    The owner is the step's owner, else the project's creator; a project without either is skipped. Three
    queries whatever the number of projects (late projects with owner and creator, the journal entries, one
    update). A mail error is raised after the others were tried, so that the task retries the rest.
    """
    today = today or timezone.localdate()
    late = list(
        Project.objects.late(on=today)
        .exclude(next_step_reminded_on=today)
        .select_related("next_step_owner", "created_by", "territory")
        .order_by("next_step_due", "name")
    )
    digests: dict[str, list[Project]] = {}
    for project in late:
        owner = project.next_step_owner or project.created_by
        if owner is not None and owner.is_active and owner.email:
            digests.setdefault(owner.email, []).append(project)
    failed: set = set()
    errors = []
    sent = 0
    for email, projects in sorted(digests.items()):
        context = {"projects": projects, "today": today, "urls": {p.pk: project_url(p) for p in projects}}
        subject = " ".join(render_to_string("projects/email/next_step_digest_subject.txt", context).split())
        body = render_to_string("projects/email/next_step_digest_body.txt", context)
        try:
            EmailMessage(subject=subject, body=body, to=[email]).send(fail_silently=False)
            sent += 1
        except Exception as exc:  # noqa: BLE001 (the others are still sent; re-raised below)
            logger.exception("Next-step reminder to %s failed", email)
            failed.update(p.pk for p in projects)
            errors.append(exc)
    reminded = [p for ps in digests.values() for p in ps if p.pk not in failed]
    if reminded:
        ProjectEvent.objects.bulk_create(
            ProjectEvent(
                project=p,
                kind=EventKind.REMINDER,
                message=f"Rappel envoyé : prochaine étape prévue le {p.next_step_due:%d/%m/%Y}.",
            )
            for p in reminded
        )
        Project.objects.filter(pk__in=[p.pk for p in reminded]).update(next_step_reminded_on=today)
    if errors:
        raise errors[0]
    return {"projects": len(reminded), "emails": sent}


# --- premises and housing offers ------------------------------------------------------------------------------


def _check_offer(user, offer: Offer, *, today: date) -> None:
    errors = {}
    try:
        offer.full_clean(exclude=["published_on", "expires_on", "published_by"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if offer.available_from and offer.available_from < today:
        errors.setdefault("available_from", []).append("La date de disponibilité ne peut pas être passée.")
    if offer.commune_id and not _commune_in_scope(user, offer.commune):
        errors.setdefault("commune", []).append("Cette commune n'est pas dans votre territoire.")
    if errors:
        raise ValidationError(errors)


def _commune_in_scope(user, commune: Territory) -> bool:
    """An élu publishes on their commune or the communes of their EPCI; an administrator anywhere."""
    if user.is_superuser or getattr(user, "is_portal_admin", False):
        return True
    if not getattr(user, "is_elu", False) or not user.territory_id:
        return False
    return commune.pk == user.territory_id or commune.epci_id == user.territory_id


@transaction.atomic
def publish_offer(*, user, today: date | None = None, **fields) -> Offer:
    """Publish premises or housing on the élu's territory, for :data:`OFFER_VALIDITY_DAYS` days."""
    today = today or timezone.localdate()
    offer = Offer(**fields, published_by=user, published_on=today, expires_on=today + timedelta(OFFER_VALIDITY_DAYS))
    _check_offer(user, offer, today=today)
    offer.save()
    return offer


@transaction.atomic
def update_offer(*, user, offer_id, today: date | None = None, **fields) -> Offer:
    today = today or timezone.localdate()
    offer = Offer.objects.editable_by(user).select_for_update().get(pk=offer_id)
    for name, value in fields.items():
        setattr(offer, name, value)
    _check_offer(user, offer, today=today)
    offer.save()
    return offer


@transaction.atomic
def renew_offer(*, user, offer_id, today: date | None = None) -> Offer:
    """Keep an offer published for another :data:`OFFER_VALIDITY_DAYS` days from today."""
    today = today or timezone.localdate()
    offer = Offer.objects.editable_by(user).select_for_update().get(pk=offer_id)
    offer.expires_on = today + timedelta(OFFER_VALIDITY_DAYS)
    offer.withdrawn = False
    offer.save(update_fields=["expires_on", "withdrawn"])
    return offer


@transaction.atomic
def withdraw_offer(*, user, offer_id) -> Offer:
    offer = Offer.objects.editable_by(user).select_for_update().get(pk=offer_id)
    offer.withdrawn = True
    offer.save(update_fields=["withdrawn"])
    return offer
