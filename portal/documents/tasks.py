"""Celery tasks of generated documents. They take ids, reload the row, and record every outcome on it.

``generate_document`` is safe to run twice for one row (a redelivered message, a sweeper re-enqueue): a
ready row is left alone, and two renders of one row write the same file through an atomic rename.
With ``acks_late`` and ``reject_on_worker_lost`` (settings) a worker dying mid-render gets the message
redelivered; the sweeper recovers rows whose message was lost.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from celery import shared_task
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from .enums import DocumentKind, DocumentStatus
from .models import GeneratedDocument
from .services import MAX_ATTEMPTS
from .storage import write_atomically

logger = logging.getLogger(__name__)

FAILURE_MESSAGE = "La génération du document a échoué après {attempts} tentative{s} : {reason}"


def _set_progress(document_id, percent: int) -> None:
    GeneratedDocument.objects.filter(pk=document_id, status=DocumentStatus.RUNNING).update(
        progress=max(0, min(99, percent))
    )


def _claim(task, document_id) -> GeneratedDocument | None:
    """Move the row to en_cours (attempts + 1) unless it is finished or being made by a live worker."""
    now = timezone.now()
    redelivered = bool((task.request.delivery_info or {}).get("redelivered"))
    stale = now - timedelta(minutes=settings.DOCUMENTS_RUNNING_TIMEOUT_MINUTES)
    claimable = Q(status=DocumentStatus.PENDING) | Q(status=DocumentStatus.RUNNING, started_at__lt=stale)
    if redelivered:
        claimable |= Q(status=DocumentStatus.RUNNING)
    claimed = GeneratedDocument.objects.filter(claimable, pk=document_id).update(
        status=DocumentStatus.RUNNING, started_at=now, progress=5, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return GeneratedDocument.objects.select_related("territory", "requested_by").get(pk=document_id)


# Folder and extension of each kind's files under PRIVATE_MEDIA_ROOT.
FILE_LOCATIONS = {DocumentKind.FICHE_PDF: ("fiches", "pdf"), DocumentKind.MAP_HTML: ("cartes", "html")}


def _relative_path(document: GeneratedDocument) -> str:
    created = timezone.localtime(document.created_at)
    folder, extension = FILE_LOCATIONS[document.kind]
    return f"{folder}/{created:%Y/%m}/{document.pk}.{extension}"


def render_document(document: GeneratedDocument) -> tuple[str, int, int | None]:
    """Render ``document`` to its file. Returns (relative path, size in bytes, pages or None for a map)."""
    if document.kind == DocumentKind.FICHE_PDF:
        return _render_fiche(document)
    if document.kind == DocumentKind.MAP_HTML:
        return _render_map(document)
    raise ValueError(f"Type de document non pris en charge par cette tâche : {document.kind}.")


def _render_fiche(document: GeneratedDocument) -> tuple[str, int, int]:
    from .fiche import build_fiche_context
    from .rendering import html_to_pdf, render_fiche_html

    context = build_fiche_context(document, progress=lambda p: _set_progress(document.pk, p))
    html = render_fiche_html(context)
    _set_progress(document.pk, 80)
    relative = _relative_path(document)
    target = Path(settings.PRIVATE_MEDIA_ROOT) / relative
    pages = html_to_pdf(html, target)
    return relative, target.stat().st_size, pages


def _render_map(document: GeneratedDocument) -> tuple[str, int, None]:
    """The self-contained map page (Leaflet inlined) of the document's indicator, year and classification,
    drawn with what its requester may see (the cache key holds their audience)."""
    from portal.maps import choropleth

    if document.territory is None:
        raise choropleth.ChoroplethError("Le territoire de cette carte n'existe plus : rien à cartographier.")
    user = document.requested_by or document.requesters.order_by("pk").first()
    if user is None:
        raise choropleth.ChoroplethError("Plus aucun demandeur de cette carte n'a de compte : rien à générer.")
    parameters = document.parameters or {}
    spec = choropleth.resolve(
        territory=document.territory,
        user=user,
        indicator_code=str(parameters.get("indicator") or ""),
        year=str(parameters.get("year") or ""),
        scheme=str(parameters.get("scheme") or ""),
    )
    _set_progress(document.pk, 20)
    page = choropleth.standalone_html(spec)
    _set_progress(document.pk, 90)
    relative = _relative_path(document)
    size = write_atomically(Path(settings.PRIVATE_MEDIA_ROOT) / relative, page.encode("utf-8"))
    return relative, size, None


def _reason(exc: Exception) -> str:
    from portal.maps.choropleth import ChoroplethError

    from .fiche import FicheError

    if isinstance(exc, (FicheError, ChoroplethError)):
        return str(exc)
    return f"erreur interne ({type(exc).__name__}). L'équipe technique a été prévenue par le journal."


@shared_task(
    bind=True,
    autoretry_for=(Exception,),
    max_retries=MAX_ATTEMPTS - 1,
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def generate_document(self, document_id: str) -> str:
    """Generate one document; returns its final status. Failures retry with backoff, the last one is recorded."""
    document = _claim(self, document_id)
    if document is None:
        logger.info("Document %s not found, finished, or being made elsewhere: nothing to do.", document_id)
        return "skipped"
    try:
        relative, size, pages = render_document(document)
    except Exception as exc:
        last = self.request.retries >= self.max_retries or document.attempts >= MAX_ATTEMPTS
        logger.exception("Document %s: attempt %s failed%s", document_id, document.attempts, " (last)" if last else "")
        if last:
            GeneratedDocument.objects.filter(pk=document_id).update(
                status=DocumentStatus.FAILED,
                finished_at=timezone.now(),
                error=FAILURE_MESSAGE.format(
                    attempts=document.attempts, s="s" if document.attempts > 1 else "", reason=_reason(exc)
                ),
            )
            return DocumentStatus.FAILED
        GeneratedDocument.objects.filter(pk=document_id).update(
            status=DocumentStatus.PENDING,
            progress=0,
            error=f"Tentative {document.attempts} échouée ({_reason(exc)}) ; nouvelle tentative programmée.",
        )
        raise  # autoretry_for: retried with exponential backoff
    GeneratedDocument.objects.filter(pk=document_id).update(
        status=DocumentStatus.READY,
        progress=100,
        file_path=relative,
        file_size=size,
        page_count=pages,
        error="",
        finished_at=timezone.now(),
    )
    return DocumentStatus.READY


@shared_task
def sweep_stuck_documents() -> dict:
    """Periodic (django-celery-beat): see :func:`portal.documents.services.sweep_stuck_documents`."""
    from .services import sweep_stuck_documents as sweep

    return sweep()
