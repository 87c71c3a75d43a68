"""Pages of generated documents: request a fiche or a map, follow its progress, download it; batches by département.

Access: a document page and its file are shown only to its requesters who still see its territory
(``services.can_access``), otherwise 404 (never 403: no existence leak). Files are read from
``PRIVATE_MEDIA_ROOT`` and never exposed under a public URL, always as attachments (a map file is a
standalone page with inline scripts: it is meant to be opened from disk, not from our origin).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from portal.maps import choropleth
from portal.territory import selectors
from territories.enums import Level
from territories.models import Territory

from . import services
from .enums import DocumentKind, DocumentStatus
from .forms import AdhocFicheForm, BatchForm
from .models import DocumentBatch, GeneratedDocument

REFRESH_SECONDS = 3


def _accessible_document(request, document_id) -> GeneratedDocument:
    document = get_object_or_404(GeneratedDocument.objects.select_related("territory"), pk=document_id)
    if not services.can_access(user=request.user, document=document):
        raise Http404("Document introuvable.")
    return document


@require_POST
def request_territory_fiche(request, level: str, code: str):
    territory = selectors.get_visible_territory(user=request.user, level=level, code=code)
    try:
        document = services.request_fiche(user=request.user, territory=territory)
    except services.DocumentNotAllowed:
        raise Http404("Territoire introuvable.") from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("portal:territory", level, code)
    return redirect("documents:detail", document.pk)


@require_POST
def request_territory_map(request, level: str, code: str):
    """The map form of the territory page (``indicateur``, ``annee``, ``classes``): a ``map_html`` document."""
    territory = selectors.get_visible_territory(user=request.user, level=level, code=code)
    try:
        document = services.request_map(
            user=request.user,
            territory=territory,
            indicator_code=request.POST.get("indicateur", ""),
            year=request.POST.get("annee", ""),
            scheme=request.POST.get("classes", ""),
        )
    except services.DocumentNotAllowed:
        raise Http404("Territoire introuvable.") from None
    except choropleth.ChoroplethError as exc:
        return render(request, "documents/map_error.html", {"territory": territory, "message": str(exc)}, status=400)
    return redirect("documents:detail", document.pk)


def adhoc_fiche(request):
    form = AdhocFicheForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        document = services.request_fiche(
            user=request.user, commune_codes=form.codes_list, title=form.cleaned_data["title"]
        )
        return redirect("documents:detail", document.pk)
    return render(request, "documents/adhoc_form.html", {"form": form})


@cache_control(private=True, no_store=True)
def document_detail(request, document_id):
    document = _accessible_document(request, document_id)
    return render(
        request,
        "documents/detail.html",
        {
            "document": document,
            "refresh": REFRESH_SECONDS if not document.is_finished else None,
            "file_missing": document.status == DocumentStatus.READY and not _file_exists(document),
        },
    )


@cache_control(private=True, no_store=True)
def document_download(request, document_id):
    document = _accessible_document(request, document_id)
    path = services.document_path(document)
    if document.status != DocumentStatus.READY or path is None or not path.is_file():
        raise Http404("Fichier indisponible.")
    return FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=download_name(document),
        content_type=CONTENT_TYPES[document.kind],
    )


CONTENT_TYPES = {DocumentKind.FICHE_PDF: "application/pdf", DocumentKind.MAP_HTML: "text/html; charset=utf-8"}


def download_name(document: GeneratedDocument) -> str:
    if document.kind == DocumentKind.MAP_HTML:
        return choropleth.map_filename(
            indicator_code=str(document.parameters.get("indicator") or "indicateur"),
            territory_code=document.territory.code if document.territory_id else "territoire",
            day=timezone.localtime(document.created_at).date(),
        )
    day = timezone.localtime(document.finished_at or document.created_at).date().isoformat()
    subject = document.territory.code if document.territory_id else f"ensemble-{len(document.communes)}-communes"
    return f"fiche-territoire-{subject}-{day}.pdf"


def document_list(request):
    documents = services.documents_of(request.user)[:200]
    return render(request, "documents/list.html", {"documents": documents})


@require_POST
def request_batch(request, code: str):
    department = get_object_or_404(Territory, level=Level.DEPARTMENT, code=code)
    if not services.can_request_batch(user=request.user, department=department):
        raise Http404("Département introuvable.")
    form = BatchForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choisissez les EPCI ou les communes du département.")
        return redirect("portal:territory", department.level, department.code)
    batch = services.request_batch(user=request.user, department=department, level=form.cleaned_data["level"])
    return redirect("documents:batch", batch.pk)


@cache_control(private=True, no_store=True)
def batch_detail(request, batch_id):
    batch = get_object_or_404(DocumentBatch.objects.select_related("department"), pk=batch_id)
    if not services.can_request_batch(user=request.user, department=batch.department):
        raise Http404("Lot introuvable.")
    progress = services.batch_progress(batch)
    documents = batch.documents.select_related("territory").order_by("territory__name", "territory__code")
    return render(
        request,
        "documents/batch.html",
        {
            "batch": batch,
            "progress": progress,
            "documents": documents,
            "refresh": REFRESH_SECONDS if not progress["finished"] else None,
        },
    )


def _file_exists(document: GeneratedDocument) -> bool:
    path = services.document_path(document)
    return path is not None and path.is_file()
