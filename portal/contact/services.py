"""Requests of élus to the CPAM: create, answer, assign, change status; e-mail notifications and their sweeper.

Contract ("a request is never lost"): :func:`create_request` and :func:`reply` save the request and its message
in the caller's transaction; the e-mail notification is a Celery task enqueued with the message's id once that
transaction commits. When the broker cannot be reached the failure is logged, never raised, and the message
keeps ``notified_at`` empty; when the mail server refuses it the task retries with backoff and records each
attempt. :func:`sweep_unnotified_messages` (periodic, django-celery-beat) sends what is still waiting.

Routing: a message of an élu goes to the referent who took the request, else to the referents of the
département whose domains include the request's topic, else to every referent of the département, else to
``settings.CONTACT_ADMIN_EMAIL`` (or the administrators' addresses). A message of the CPAM goes to the élu
who wrote the request. Requests still open after their due date are recalled once a working day to the same
people (:func:`send_overdue_reminders`, django-celery-beat).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import partial

import kombu.exceptions
from celery.exceptions import Retry
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal.accounts.enums import ReferentDomain, Role
from portal.accounts.models import User
from portal.documents.enums import DocumentStatus
from portal.documents.models import GeneratedDocument
from portal.documents.services import can_access
from territories.enums import Level
from territories.models import Territory

from . import perms
from .enums import OPEN_STATUSES, RequestStatus
from .models import ContactMessage, ContactRequest

logger = logging.getLogger(__name__)

SUBJECT_MAX = 200
BODY_MAX = 5000
BODY_MIN = 10
# One first try and three retries per enqueue (the task's ``max_retries``); the sweeper stops after this many.
MAX_NOTIFICATION_ATTEMPTS = 12
# The sweeper leaves alone a message tried less than this long ago (its task may still be retrying).
SWEEP_RETRY_AFTER = timedelta(minutes=15)
# ...and a message just written (its task is being enqueued).
SWEEP_GRACE = timedelta(minutes=2)
DOCUMENT_NOT_ALLOWED = (
    "Ce document ne peut pas être joint : choisissez une fiche ou une carte prête de ce territoire parmi vos documents."
)
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


class ContactNotAllowed(PermissionDenied):
    """The user may not do this on this request or territory."""


# --- dates -----------------------------------------------------------------------------------------------------


def add_working_days(start: date, days: int) -> date:
    """``start`` + ``days`` working days (Monday to Friday; public holidays are not skipped)."""
    current = start
    remaining = max(0, days)
    while remaining:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def due_date(created_on: date | None = None) -> date:
    return add_working_days(created_on or timezone.localdate(), settings.CONTACT_DUE_DAYS)


# --- validation ------------------------------------------------------------------------------------------------


def _clean_text(value: str, *, field: str, max_length: int, min_length: int = 1, what: str) -> str:
    value = (value or "").strip()
    if len(value) < min_length:
        raise ValidationError({field: f"{what} est trop court ({min_length} caractères au moins)."})
    if len(value) > max_length:
        raise ValidationError({field: f"{what} ne doit pas dépasser {max_length} caractères."})
    return value


def attachable_scope(territory: Territory) -> Q:
    """Documents that may go with a request on ``territory``: of the territory, or of one of its communes."""
    q = Q(territory_id=territory.pk)
    if territory.level == Level.EPCI:
        q |= Q(territory__epci_id=territory.pk, territory__level=Level.COMMUNE)
    return q


def attachable_documents(*, user, territory: Territory):
    """Ready documents ``user`` asked for (or was sent) about ``territory`` or its communes, newest first."""
    return (
        GeneratedDocument.objects.filter(requesters=user, status=DocumentStatus.READY)
        .filter(attachable_scope(territory))
        .select_related("territory")
        .order_by("-created_at")
        .distinct()
    )


def check_attachment(*, user, territory: Territory, document: GeneratedDocument | None) -> None:
    """``ValidationError`` (French, on ``document``) unless the document is ready, of the territory (or one of
    its communes) and accessible to ``user``."""
    if document is None:
        return
    error = ValidationError({"document": DOCUMENT_NOT_ALLOWED})
    if document.status != DocumentStatus.READY or not document.territory_id:
        raise error
    if not GeneratedDocument.objects.filter(attachable_scope(territory), pk=document.pk).exists():
        raise error
    if not can_access(user=user, document=document):
        raise error


def _share(document: GeneratedDocument | None, request: ContactRequest) -> None:
    """Make an attached document downloadable by both sides (``documents:download`` serves its requesters):
    the élu who wrote the request, the referent who took it and the referents of the département."""
    if document is None:
        return
    users = list(
        User.objects.filter(
            Q(pk=request.requester_id)
            | Q(pk=request.assignee_id)
            | Q(role=Role.REFERENT, department=request.department_id),
            is_active=True,
        ).values_list("pk", flat=True)
    )
    document.requesters.add(*users)


# --- writes ------------------------------------------------------------------------------------------------------


@transaction.atomic
def create_request(
    *,
    user: User,
    territory: Territory,
    topic: str,
    subject: str,
    body: str,
    document: GeneratedDocument | None = None,
) -> ContactRequest:
    """A new request of élu ``user`` about ``territory`` and its first message (one transaction).

    The notification to the CPAM is enqueued on commit; a broker failure leaves it for the sweeper and is not
    raised. Raises :class:`ContactNotAllowed` when ``user`` may not write about ``territory``, ``ValidationError``
    (French, by field) on a bad topic, subject, message or attachment.
    """
    if not perms.can_create(user, territory):
        raise ContactNotAllowed("Vous ne pouvez pas contacter la CPAM au sujet de ce territoire.")
    if topic not in ReferentDomain.values:
        raise ValidationError({"topic": "Choisissez un domaine dans la liste."})
    subject = _clean_text(subject, field="subject", max_length=SUBJECT_MAX, min_length=3, what="L'objet")
    body = _clean_text(body, field="body", max_length=BODY_MAX, min_length=BODY_MIN, what="Le message")
    check_attachment(user=user, territory=territory, document=document)

    request = ContactRequest(
        territory=territory,
        department_id=territory.department_id,
        requester=user,
        topic=topic,
        subject=subject,
        due_on=due_date(),
    )
    request._history_user = user
    request.save()
    _add_message(request=request, author=user, body=body, document=document, from_cpam=False)
    return request


@transaction.atomic
def reply(
    *,
    user: User,
    request: ContactRequest,
    body: str,
    document: GeneratedDocument | None = None,
    status: str | None = None,
) -> ContactMessage:
    """Add a message to the thread and notify the other side on commit.

    From the CPAM (a referent of the département or an administrator): the request becomes ``status``
    (default: répondue) and, when nobody had taken it, is taken by the referent who answers. From an élu who
    sees the request: an answered or closed request is re-opened (en cours when taken, else nouvelle).
    """
    request = _locked(request)
    body = _clean_text(body, field="body", max_length=BODY_MAX, min_length=2, what="Le message")
    from_cpam = perms.can_handle(user, request)
    if from_cpam:
        new_status = status or RequestStatus.ANSWERED
        if new_status not in RequestStatus.values:
            raise ValidationError({"status": "Choisissez un statut dans la liste."})
    elif perms.can_follow_up(user, request):
        if status is not None:
            raise ContactNotAllowed("Seule la CPAM change le statut d'une demande.")
        new_status = request.status
        if request.status in (RequestStatus.ANSWERED, RequestStatus.CLOSED):
            new_status = RequestStatus.IN_PROGRESS if request.assignee_id else RequestStatus.NEW
    else:
        raise ContactNotAllowed("Vous ne pouvez pas répondre à cette demande.")
    check_attachment(user=user, territory=request.territory, document=document)

    if from_cpam and request.assignee_id is None and perms.is_referent_of(user, request.department_id):
        request.assignee = user
    message = _add_message(request=request, author=user, body=body, document=document, from_cpam=from_cpam)
    _save_status(request, status=new_status, user=user)
    return message


@transaction.atomic
def assign(*, user: User, request: ContactRequest, assignee: User) -> ContactRequest:
    """``assignee`` (an active referent of the request's département) takes the request; a new one goes en cours."""
    request = _locked(request)
    if not perms.can_handle(user, request):
        raise ContactNotAllowed("Vous ne pouvez pas attribuer cette demande.")
    if not perms.is_referent_of(assignee, request.department_id):
        raise ValidationError({"assignee": "Choisissez un référent CPAM du département de la demande."})
    request.assignee = assignee
    new_status = RequestStatus.IN_PROGRESS if request.status == RequestStatus.NEW else request.status
    _save_status(request, status=new_status, user=user)
    for message in request.messages.exclude(document=None).select_related("document"):
        message.document.requesters.add(assignee)
    return request


@transaction.atomic
def set_status(*, user: User, request: ContactRequest, status: str) -> ContactRequest:
    """Change the status (referent of the département or administrator); kept in the request's history."""
    request = _locked(request)
    if not perms.can_handle(user, request):
        raise ContactNotAllowed("Vous ne pouvez pas changer le statut de cette demande.")
    if status not in RequestStatus.values:
        raise ValidationError({"status": "Choisissez un statut dans la liste."})
    _save_status(request, status=status, user=user)
    return request


@transaction.atomic
def close(*, user: User, request: ContactRequest) -> ContactRequest:
    """Close the request (the CPAM, or the élu who wrote it)."""
    request = _locked(request)
    if not perms.can_close(user, request):
        raise ContactNotAllowed("Vous ne pouvez pas clôturer cette demande.")
    _save_status(request, status=RequestStatus.CLOSED, user=user)
    return request


def _locked(request: ContactRequest) -> ContactRequest:
    """The row again, locked until the transaction ends (two referents acting at once do not overwrite)."""
    return ContactRequest.objects.select_for_update(of=("self",)).select_related("territory").get(pk=request.pk)


def _save_status(request: ContactRequest, *, status: str, user: User) -> None:
    if status == RequestStatus.CLOSED:
        request.closed_at = request.closed_at or timezone.now()
    else:
        request.closed_at = None
    request.status = status
    request._history_user = user
    request.save(update_fields=["status", "closed_at", "assignee", "updated_at"])


def _add_message(
    *, request: ContactRequest, author: User, body: str, document: GeneratedDocument | None, from_cpam: bool
) -> ContactMessage:
    message = ContactMessage.objects.create(
        request=request, author=author, body=body, document=document, from_cpam=from_cpam
    )
    _share(document, request)
    # robust: whatever happens while enqueueing, the committed request is not turned into an error page.
    transaction.on_commit(partial(enqueue_notification, str(message.pk)), robust=True)
    return message


# --- notifications -------------------------------------------------------------------------------------------


def enqueue_notification(message_id: str) -> None:
    """Send the notification task; a broker failure leaves the message for the sweeper (logged, not raised)."""
    from .tasks import send_message_notification

    if send_message_notification.app.conf.task_always_eager:
        run_eagerly(message_id)
        return
    try:
        # A short publish retry: the élu's page waits for this call, the sweeper makes up for a failure.
        send_message_notification.apply_async(args=[message_id], retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except kombu.exceptions.OperationalError as exc:
        logger.error(
            "Could not enqueue the notification of contact message %s, broker unreachable: %s", message_id, exc
        )


def run_eagerly(message_id: str) -> None:
    """Run the task in this process (embedded default, tests), its retries one after the other, never raising.

    Celery stops an eager task's retry chain at the first retry; replaying it with ``retries=n`` gives the same
    attempts as a worker, minus the waiting.
    """
    from .tasks import send_message_notification

    for retries in range(send_message_notification.max_retries + 1):
        try:
            send_message_notification.apply(args=[message_id], retries=retries, throw=True)
            return
        except Retry:
            continue
        except Exception:
            logger.exception("Notification of contact message %s failed; left for the sweeper.", message_id)
            return


def recipients_for(message: ContactMessage) -> list[str]:
    """E-mail addresses to tell about ``message`` (see the module's docstring for the routing)."""
    request = message.request
    if message.from_cpam:
        requester = request.requester
        return [requester.email] if requester is not None and requester.is_active and requester.email else []
    referents = list(
        User.objects.filter(role=Role.REFERENT, is_active=True, department_id=request.department_id).order_by("email")
    )
    return cpam_recipients(request, referents=referents)


def cpam_recipients(request: ContactRequest, *, referents: list[User]) -> list[str]:
    """Who at the CPAM handles ``request``: its assignee, else the referents of its topic, else every referent
    of the département (``referents``: the département's active referents), else the administrators."""
    assignee = request.assignee
    if assignee is not None and perms.is_referent_of(assignee, request.department_id):
        return [assignee.email]
    # JSON containment is not portable (SQLite): a département has a handful of referents, filter here.
    chosen = [r for r in referents if request.topic in (r.referent_domains or [])] or referents
    if chosen:
        return [r.email for r in chosen]
    if settings.CONTACT_ADMIN_EMAIL:
        return [settings.CONTACT_ADMIN_EMAIL]
    admins = User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True).order_by("email")
    return list(admins.values_list("email", flat=True))


def request_url(request: ContactRequest) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse("contact:detail", args=[request.pk])


def render_notification(message: ContactMessage) -> tuple[str, str]:
    """(subject, body) of the e-mail, from ``templates/contact/email/<name>_{subject,body}.txt``."""
    name = "answer_to_elu" if message.from_cpam else "message_to_cpam"
    request = message.request
    context = {
        "message": message,
        "request": request,
        "territory": request.territory,
        "is_first": not ContactMessage.objects.filter(request=request, created_at__lt=message.created_at).exists(),
        "url": request_url(request),
    }
    subject = " ".join(render_to_string(f"contact/email/{name}_subject.txt", context).split())
    body = render_to_string(f"contact/email/{name}_body.txt", context)
    return subject, body


def send_notification(*, message_id: str) -> str:
    """Send the e-mail of one message, once. Returns ``sent``, ``skipped`` (unknown or already sent) or
    ``no_recipient``; a mail error is recorded on the message and raised (the task retries)."""
    claimed = ContactMessage.objects.filter(pk=message_id, notified_at__isnull=True).update(
        notification_attempts=F("notification_attempts") + 1, notification_attempted_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    message = ContactMessage.objects.select_related(
        "author", "request__territory", "request__department", "request__requester", "request__assignee"
    ).get(pk=message_id)
    recipients = recipients_for(message)
    if not recipients:
        logger.error("Contact message %s: nobody to notify (no referent, no CONTACT_ADMIN_EMAIL).", message_id)
        ContactMessage.objects.filter(pk=message_id).update(notification_error="Aucun destinataire.")
        return "no_recipient"
    subject, body = render_notification(message)
    try:
        EmailMessage(subject=subject, body=body, to=recipients).send(fail_silently=False)
    except Exception as exc:
        ContactMessage.objects.filter(pk=message_id).update(notification_error=f"{type(exc).__name__}: {exc}"[:300])
        raise
    ContactMessage.objects.filter(pk=message_id).update(notified_at=timezone.now(), notification_error="")
    return "sent"


def sweep_unnotified_messages(*, now=None) -> dict[str, int]:
    """Enqueue again the notifications not sent (broker down, mail server refusing).

    Picks messages without ``notified_at``, written more than :data:`SWEEP_GRACE` ago, not tried in the last
    :data:`SWEEP_RETRY_AFTER` (a task may still be retrying them) and tried fewer than
    :data:`MAX_NOTIFICATION_ATTEMPTS` times; those past the limit are counted as ``abandoned`` and logged.
    """
    now = now or timezone.now()
    waiting = ContactMessage.objects.filter(notified_at__isnull=True, created_at__lt=now - SWEEP_GRACE)
    abandoned = waiting.filter(notification_attempts__gte=MAX_NOTIFICATION_ATTEMPTS).count()
    due = waiting.filter(notification_attempts__lt=MAX_NOTIFICATION_ATTEMPTS).filter(
        Q(notification_attempted_at__isnull=True) | Q(notification_attempted_at__lt=now - SWEEP_RETRY_AFTER)
    )
    stats = {"requeued": 0, "abandoned": abandoned}
    for pk in due.order_by("created_at").values_list("pk", flat=True)[:1000]:
        enqueue_notification(str(pk))
        stats["requeued"] += 1
    if stats["requeued"]:
        logger.warning("Contact notifications sweeper: %s", stats)
    if abandoned:
        logger.error(
            "Contact notifications sweeper: %s message(s) never notified after %s attempts.",
            abandoned,
            MAX_NOTIFICATION_ATTEMPTS,
        )
    return stats


# --- overdue reminders -----------------------------------------------------------------------------------


def send_overdue_reminders(*, today: date | None = None) -> dict[str, int]:
    """One e-mail per person at the CPAM listing the open requests past their due date that they handle
    (routing of :func:`cpam_recipients`), at most once a day per request (``reminded_on``).

    Three queries whatever the number of requests and e-mails (overdue requests, referents, one update). A
    request is marked reminded only when every e-mail that lists it has gone; a mail error is raised after the others were
    tried, so that the task retries the rest.
    """
    today = today or timezone.localdate()
    overdue = list(
        ContactRequest.objects.filter(status__in=OPEN_STATUSES, due_on__lt=today)
        .exclude(reminded_on=today)
        .select_related("territory", "assignee")
        .order_by("due_on", "created_at")
    )
    if not overdue:
        return {"requests": 0, "emails": 0}
    referents: dict[int, list[User]] = {}
    for referent in User.objects.filter(
        role=Role.REFERENT, is_active=True, department_id__in={r.department_id for r in overdue}
    ).order_by("email"):
        referents.setdefault(referent.department_id, []).append(referent)
    digests: dict[str, list[ContactRequest]] = {}
    for request in overdue:
        for email in cpam_recipients(request, referents=referents.get(request.department_id, [])):
            digests.setdefault(email, []).append(request)
    failed: set = set()
    errors = []
    for email, requests in sorted(digests.items()):
        context = {"requests": requests, "today": today, "urls": {r.pk: request_url(r) for r in requests}}
        subject = " ".join(render_to_string("contact/email/overdue_digest_subject.txt", context).split())
        body = render_to_string("contact/email/overdue_digest_body.txt", context)
        try:
            EmailMessage(subject=subject, body=body, to=[email]).send(fail_silently=False)
        except Exception as exc:  # noqa: BLE001 (the others are still sent; re-raised below)
            logger.exception("Overdue reminder to %s failed", email)
            failed.update(r.pk for r in requests)
            errors.append(exc)
    reminded = [r.pk for r in overdue if r.pk not in failed]
    ContactRequest.objects.filter(pk__in=reminded).update(reminded_on=today)
    if errors:
        raise errors[0]
    return {"requests": len(reminded), "emails": len(digests)}


SWEEPER_TASK_NAME = "Relance des notifications des demandes à la CPAM"
REMINDER_TASK_NAME = "Rappel des demandes à la CPAM en retard"


def setup_periodic_tasks(*, every_minutes: int = 5) -> None:
    """Register the sweeper with django-celery-beat (idempotent; the schedule stays editable in the admin)."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    schedule, _ = IntervalSchedule.objects.get_or_create(every=every_minutes, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.get_or_create(
        name=SWEEPER_TASK_NAME,
        defaults={"task": "portal.contact.tasks.sweep_unnotified_messages", "interval": schedule},
    )
    daily, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="7", day_of_week="1-5", day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE
    )
    PeriodicTask.objects.get_or_create(
        name=REMINDER_TASK_NAME,
        defaults={"task": "portal.contact.tasks.send_overdue_reminders", "crontab": daily},
    )
