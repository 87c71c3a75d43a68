"""Requests for generated documents (fiche territoire PDF, interactive map HTML), their cache by data vintage,
batches and the sweeper.

Contract: the :class:`GeneratedDocument` row is the source of truth. A request creates it in the caller's
transaction and enqueues :func:`portal.documents.tasks.generate_document` with its id once the transaction
commits; when the broker cannot be reached the row stays ``en_attente`` (``enqueued_at`` empty), the failure
is logged, and :func:`sweep_stuck_documents` (periodic) enqueues it again. A document whose ``cache_key``
(subject, data vintage, catalogue, template, what the requester sees: signals for a fiche, values for a map)
matches a ready one whose file still exists is served at once instead of being regenerated.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from datetime import timedelta
from functools import partial
from pathlib import Path

import kombu.exceptions
from celery.exceptions import Retry
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from aids.services import catalogue_version as aids_catalogue_version
from portal.accounts.enums import Role
from portal.maps import choropleth
from portal.maps import territory_map as maps
from territories.catalogue import CATALOGUE
from territories.enums import Level
from territories.models import DataSource, Territory

from .enums import DocumentKind, DocumentStatus
from .models import MAX_ADHOC_COMMUNES, DocumentBatch, GeneratedDocument

logger = logging.getLogger(__name__)

# Bump when the fiche's template or its context builder change what a fiche shows: old fiches are then
# regenerated on the next request instead of being served again.
FICHE_TEMPLATE_VERSION = "fiche-2026-12-accessibility"

FICHE_LEVELS = (Level.REGION, Level.DEPARTMENT, Level.EPCI, Level.COMMUNE)
BATCH_LEVELS = (Level.EPCI, Level.COMMUNE)
# One first try and three retries (the task's ``max_retries``); the sweeper gives up after as many starts.
MAX_ATTEMPTS = 4
COMMUNE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
CODE_SEPARATORS = re.compile(r"[\s,;]+")


class DocumentNotAllowed(PermissionDenied):
    """The user may not see this territory (views answer 404, never 403: no existence leak)."""


# --- cache key ---------------------------------------------------------------------------------------------


@functools.cache
def catalogue_version() -> str:
    """A hash of the indicator catalogue (codes, labels, sources, methods, rules)."""
    return hashlib.sha256(json.dumps(CATALOGUE, sort_keys=True, default=str).encode()).hexdigest()[:16]


def data_vintage() -> str:
    """Changes whenever a dataset is (re)loaded: the count, last id and last load date of DataSource rows."""
    agg = DataSource.objects.aggregate(n=Count("pk"), last_id=Max("pk"), last=Max("loaded_at"))
    last = agg["last"].isoformat() if agg["last"] else "-"
    return f"{agg['n']}:{agg['last_id'] or 0}:{last}"


def _contacts_signature(department_ids: list[int]) -> list:
    """Referents and partners shown in the contacts section: a change of either gives a new fiche."""
    from portal.accounts.models import User
    from projects.models import Partner

    return list(
        User.objects.filter(role=Role.REFERENT, is_active=True, department_id__in=department_ids)
        .order_by("pk")
        .values_list("pk", "email", "first_name", "last_name", "referent_domains")
    ) + list(
        Partner.objects.filter(department_id__in=department_ids)
        .order_by("pk")
        .values_list("pk", "name", "role_for_elus", "email", "phone", "website", "position")
    )


def signals_view(*, user, territory: Territory) -> list:
    """What ``user`` sees of the territory's signals (an élu sees fewer on a territory that is not theirs,
    reported signals depend on who reads them): two users with the same view get the same fiche."""
    from territories.signal_selectors import signals_for

    return [
        (e.origin, e.level, e.title, e.text, e.comparison, e.year, e.status, str(e.created_at), e.territory.pk)
        for e in signals_for(territory, user=user)
    ]


def compute_cache_key(*, kind: str, user, territory: Territory | None, communes: list[Territory]) -> str:
    """Hash of what the document shows: subject, data loads, catalogue, template, contacts, the user's view."""
    if territory is not None:
        subject = f"territory:{territory.level}:{territory.code}:{territory.pk}"
        departments = [territory.department_id or (territory.pk if territory.level == Level.DEPARTMENT else 0)]
        view = signals_view(user=user, territory=territory)
    else:
        subject = "communes:" + ",".join(sorted(c.code for c in communes))
        departments = sorted({c.department_id for c in communes if c.department_id})
        view = []
    parts = [
        kind,
        subject,
        data_vintage(),
        catalogue_version(),
        aids_catalogue_version(),  # amounts in force today: an admin edit or a new year gives a new fiche
        FICHE_TEMPLATE_VERSION,
        json.dumps(_contacts_signature(departments), default=str),
        json.dumps(view, default=str),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def compute_map_cache_key(spec: choropleth.ChoroplethSpec) -> str:
    """Hash of what a map shows: the choropleth's own cache key (territory, indicator, year, classification,
    data version, tiles and layers, day of the zoning in force, and the audience: what the requester may see
    of a non-public indicator), the data loads and the catalogue. Two users whose view differs never share a
    file; users with the same view get the same one."""
    parts = [
        DocumentKind.MAP_HTML,
        choropleth.cache_key(spec, version=maps.data_version()),
        data_vintage(),
        catalogue_version(),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


# --- commune sets -----------------------------------------------------------------------------------------


def parse_commune_codes(text: str) -> list[str]:
    """INSEE codes separated by commas, semicolons, spaces or new lines; duplicates dropped, order kept.

    Raises ``ValidationError`` (French) on a malformed code, an empty list or more than 500 codes.
    """
    codes = list(dict.fromkeys(c.upper() for c in CODE_SEPARATORS.split(text or "") if c))
    if not codes:
        raise ValidationError("Indiquez au moins un code INSEE de commune.", code="empty")
    malformed = [c for c in codes if not COMMUNE_CODE.match(c)]
    if malformed:
        raise ValidationError(
            "Codes INSEE mal formés (5 chiffres, ou 2A/2B suivi de 3 chiffres pour la Corse) : %(codes)s.",
            code="malformed",
            params={"codes": _list_excerpt(malformed)},
        )
    if len(codes) > MAX_ADHOC_COMMUNES:
        raise ValidationError(
            "Un ensemble libre compte au plus %(max)s communes (%(n)s codes indiqués).",
            code="too_many",
            params={"max": MAX_ADHOC_COMMUNES, "n": len(codes)},
        )
    return codes


def resolve_communes(*, user, codes: list[str]) -> list[Territory]:
    """The communes of ``codes`` the user may see, in the given order; ``ValidationError`` naming the others."""
    found = {
        t.code: t
        for t in Territory.objects.visible_to(user)
        .filter(level=Level.COMMUNE, code__in=codes)
        .select_related("department", "region", "epci")
    }
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise ValidationError(
            "Communes inconnues ou hors de votre périmètre : %(codes)s.",
            code="unknown",
            params={"codes": _list_excerpt(unknown)},
        )
    return [found[c] for c in codes]


def _list_excerpt(codes: list[str], limit: int = 10) -> str:
    shown = ", ".join(codes[:limit])
    return shown + (f" et {len(codes) - limit} autre(s)" if len(codes) > limit else "")


# --- requests ----------------------------------------------------------------------------------------------


def document_path(document: GeneratedDocument) -> Path | None:
    """Absolute path of the document's file, or None when it has none."""
    if not document.file_path:
        return None
    return Path(settings.PRIVATE_MEDIA_ROOT) / document.file_path


def _enqueue(document_id: str) -> None:
    """Send the generation task; a broker failure leaves the row en_attente for the sweeper (logged, not raised)."""
    from .tasks import generate_document

    if generate_document.app.conf.task_always_eager:
        run_eagerly(document_id)
        return
    try:
        generate_document.delay(document_id)
    except kombu.exceptions.OperationalError as exc:
        logger.error("Could not enqueue document %s, broker unreachable: %s", document_id, exc)
        return
    GeneratedDocument.objects.filter(pk=document_id).update(enqueued_at=timezone.now())


def run_eagerly(document_id: str) -> None:
    """Run the task in this process (embedded default, ``--sync``), its retries one after the other.

    Celery stops an eager task's retry chain at the first retry when exceptions propagate; replaying it
    with ``retries=n`` gives the task the same attempts (and the same final ``echec``) as a worker, minus
    the waiting.
    """
    from .tasks import generate_document

    GeneratedDocument.objects.filter(pk=document_id).update(enqueued_at=timezone.now())
    for retries in range(generate_document.max_retries + 1):
        try:
            generate_document.apply(args=[str(document_id)], retries=retries, throw=True)
            return
        except Retry:
            continue


def _existing(cache_key: str, kind: str) -> GeneratedDocument | None:
    """A document with this key that is ready (file present), or still being made."""
    candidates = GeneratedDocument.objects.filter(
        cache_key=cache_key,
        kind=kind,
        status__in=[DocumentStatus.READY, DocumentStatus.PENDING, DocumentStatus.RUNNING],
    ).order_by("-created_at")
    for document in candidates[:5]:
        if document.status != DocumentStatus.READY:
            return document
        path = document_path(document)
        if path is not None and path.is_file():
            return document
    return None


@transaction.atomic
def request_fiche(
    *,
    user,
    territory: Territory | None = None,
    commune_codes: list[str] | str | None = None,
    title: str = "",
    batch: DocumentBatch | None = None,
) -> GeneratedDocument:
    """The fiche territoire of ``territory`` (or of an ad-hoc set of communes) for ``user``.

    Returns a ready document of the same data vintage when one exists (served at once), a document
    already being made for the same key, or a new ``en_attente`` document whose task is enqueued on
    commit. Raises :class:`DocumentNotAllowed` when the user may not see the territory, ``ValidationError``
    (French) on a bad commune list.
    """
    if (territory is None) == (commune_codes is None):
        raise ValueError("Give exactly one of territory or commune_codes.")
    communes: list[Territory] = []
    if territory is not None:
        if not Territory.objects.visible_to(user).filter(pk=territory.pk).exists():
            raise DocumentNotAllowed("Territoire introuvable.")
        if territory.level not in FICHE_LEVELS:
            raise ValidationError("La fiche territoire existe pour une région, un département, un EPCI ou une commune.")
    else:
        text = commune_codes if isinstance(commune_codes, str) else " ".join(commune_codes)
        codes = parse_commune_codes(text)
        communes = resolve_communes(user=user, codes=codes)

    kind = DocumentKind.FICHE_PDF
    return _reuse_or_create(
        kind=kind,
        cache_key=compute_cache_key(kind=kind, user=user, territory=territory, communes=communes),
        user=user,
        batch=batch,
        territory=territory,
        communes=[c.code for c in communes],
        title=title[:200],
    )


@transaction.atomic
def request_map(
    *, user, territory: Territory, indicator_code: str = "", year: str | int = "", scheme: str = ""
) -> GeneratedDocument:
    """The interactive map of an indicator over ``territory`` (a self-contained HTML file) for ``user``.

    Parameters as in the map form (``indicateur``, ``annee``, ``classes``; empty: the defaults of
    :func:`portal.maps.choropleth.resolve`). Same reuse and enqueue rules as :func:`request_fiche`. Raises
    :class:`DocumentNotAllowed` when the user may not see the territory, ``ChoroplethError`` (French) when
    the map cannot be drawn (unknown indicator, year without values…): no document is created then.
    """
    if not Territory.objects.visible_to(user).filter(pk=territory.pk).exists():
        raise DocumentNotAllowed("Territoire introuvable.")
    spec = choropleth.resolve(
        territory=territory,
        user=user,
        indicator_code=(indicator_code or "").strip(),
        year=str(year).strip() if year not in (None, "") else "",
        scheme=(scheme or "").strip(),
    )
    return _reuse_or_create(
        kind=DocumentKind.MAP_HTML,
        cache_key=compute_map_cache_key(spec),
        user=user,
        territory=territory,
        title=f"Carte : {spec.indicator.label} ({spec.year})"[:200],
        parameters={"indicator": spec.indicator.code, "year": spec.year, "scheme": spec.scheme},
    )


def _reuse_or_create(
    *, kind: str, cache_key: str, user, batch: DocumentBatch | None = None, **fields
) -> GeneratedDocument:
    """A ready or in-progress document with ``cache_key`` (``user`` and ``batch`` added to it), else a new
    ``en_attente`` row with ``fields`` whose task is enqueued once the caller's transaction commits."""
    document = _existing(cache_key, kind)
    if document is None:
        document = GeneratedDocument.objects.create(kind=kind, cache_key=cache_key, requested_by=user, **fields)
        transaction.on_commit(partial(_enqueue, str(document.pk)))
    document.requesters.add(user)
    if batch is not None:
        document.batches.add(batch)
    return document


# --- access ---------------------------------------------------------------------------------------------------


def can_access(*, user, document: GeneratedDocument) -> bool:
    """Whether ``user`` may follow and download the document.

    They must still see its territory (or every commune of its set) and be one of its requesters: a fiche
    shows what its requesters see (signals reported on their territory), so another user asks for it, and
    gets the same file at once when their view is the same. Administrators see every document.
    """
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    if document.territory_id:
        if not Territory.objects.visible_to(user).filter(pk=document.territory_id).exists():
            return False
    elif document.communes:
        visible = Territory.objects.visible_to(user).filter(level=Level.COMMUNE, code__in=document.communes).count()
        if visible != len(set(document.communes)):
            return False
    else:
        return False
    return document.requesters.filter(pk=user.pk).exists()


def documents_of(user):
    """The documents ``user`` asked for (directly or through a batch), newest first."""
    return (
        GeneratedDocument.objects.filter(requesters=user).select_related("territory").order_by("-created_at").distinct()
    )


# --- batches ---------------------------------------------------------------------------------------------


def can_request_batch(*, user, department: Territory) -> bool:
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    return user.role == Role.REFERENT and user.department_id == department.pk


@transaction.atomic
def request_batch(*, user, department: Territory, level: str = Level.EPCI) -> DocumentBatch:
    """The fiches of every EPCI (or every commune) of ``department``, in one batch (referent of the
    département or administrator). EPCI: those with at least one commune in the département."""
    if department.level != Level.DEPARTMENT or not can_request_batch(user=user, department=department):
        raise DocumentNotAllowed("Département introuvable.")
    if level not in BATCH_LEVELS:
        raise ValidationError("Choisissez les EPCI ou les communes du département.")
    batch = DocumentBatch.objects.create(
        kind=DocumentKind.FICHE_PDF, department=department, level=level, requested_by=user
    )
    for territory in batch_territories(department=department, level=level):
        request_fiche(user=user, territory=territory, batch=batch)
    return batch


def batch_territories(*, department: Territory, level: str) -> list[Territory]:
    communes = Territory.objects.communes().filter(department=department)
    if level == Level.EPCI:
        qs = Territory.objects.filter(level=Level.EPCI, pk__in=communes.values("epci_id"))
    else:
        qs = communes
    return list(qs.order_by("code"))


def batch_progress(batch: DocumentBatch) -> dict:
    """Overall progress of a batch: finished documents count for 100 %, others for their own progress."""
    rows = list(batch.documents.values("status", "progress"))
    counts = {s.value: 0 for s in DocumentStatus}
    total = 0
    for row in rows:
        counts[row["status"]] += 1
        total += 100 if row["status"] in (DocumentStatus.READY, DocumentStatus.FAILED) else row["progress"]
    n = len(rows)
    return {
        "total": n,
        "percent": round(total / n) if n else 100,
        "ready": counts[DocumentStatus.READY],
        "failed": counts[DocumentStatus.FAILED],
        "pending": counts[DocumentStatus.PENDING],
        "running": counts[DocumentStatus.RUNNING],
        "finished": counts[DocumentStatus.READY] + counts[DocumentStatus.FAILED] == n,
    }


# --- sweeper ------------------------------------------------------------------------------------------


def sweep_stuck_documents(
    *, pending_minutes: int | None = None, running_minutes: int | None = None, now=None
) -> dict[str, int]:
    """Re-enqueue documents stuck in the queue, recover documents whose worker died.

    - ``en_attente`` never enqueued (broker down) for over a minute, or enqueued more than
      ``pending_minutes`` ago: enqueued again;
    - ``en_cours`` started more than ``running_minutes`` ago (the worker died and the message was not
      redelivered): back to ``en_attente`` and enqueued again, or ``echec`` once :data:`MAX_ATTEMPTS`
      starts were made (``attempts`` counts the starts).
    """
    now = now or timezone.now()
    pending_minutes = pending_minutes or settings.DOCUMENTS_PENDING_REQUEUE_MINUTES
    running_minutes = running_minutes or settings.DOCUMENTS_RUNNING_TIMEOUT_MINUTES
    stats = {"requeued": 0, "recovered": 0, "failed": 0}

    stale_running = GeneratedDocument.objects.filter(
        status=DocumentStatus.RUNNING, started_at__lt=now - timedelta(minutes=running_minutes)
    )
    stats["failed"] = stale_running.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=DocumentStatus.FAILED,
        finished_at=now,
        error="La génération a été interrompue à plusieurs reprises (worker arrêté ?). Relancez la demande.",
    )
    recovered = list(stale_running.filter(attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True))
    stats["recovered"] = GeneratedDocument.objects.filter(pk__in=recovered, status=DocumentStatus.RUNNING).update(
        status=DocumentStatus.PENDING, progress=0, enqueued_at=None
    )

    pending = GeneratedDocument.objects.filter(status=DocumentStatus.PENDING).filter(
        Q(enqueued_at__isnull=True, created_at__lt=now - timedelta(minutes=1))
        | Q(enqueued_at__lt=now - timedelta(minutes=pending_minutes))
        | Q(pk__in=recovered)
    )
    for pk in pending.values_list("pk", flat=True)[:1000]:
        _enqueue(str(pk))
        stats["requeued"] += 1
    if any(stats.values()):
        logger.warning("Documents sweeper: %s", stats)
    return stats


SWEEPER_TASK_NAME = "Relance des documents bloqués"


def setup_periodic_tasks(*, every_minutes: int = 5) -> None:
    """Register the sweeper with django-celery-beat (idempotent; the schedule stays editable in the admin)."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    schedule, _ = IntervalSchedule.objects.get_or_create(every=every_minutes, period=IntervalSchedule.MINUTES)
    PeriodicTask.objects.get_or_create(
        name=SWEEPER_TASK_NAME,
        defaults={"task": "portal.documents.tasks.sweep_stuck_documents", "interval": schedule},
    )
