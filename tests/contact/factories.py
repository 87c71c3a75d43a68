"""Test data of the requests to the CPAM."""

from portal.documents.enums import DocumentKind, DocumentStatus
from portal.documents.models import GeneratedDocument


def ready_document(territory, *requesters, kind=DocumentKind.FICHE_PDF, settings=None) -> GeneratedDocument:
    """A ready fiche of ``territory`` asked for by ``requesters``; its file is written when ``settings`` is given."""
    document = GeneratedDocument.objects.create(
        kind=kind,
        territory=territory,
        status=DocumentStatus.READY,
        progress=100,
        cache_key="cle-de-test",
        file_path=f"fiches/test/{territory.code}-{GeneratedDocument.objects.count()}.pdf",
        requested_by=requesters[0] if requesters else None,
    )
    document.requesters.add(*requesters)
    if settings is not None:
        path = settings.PRIVATE_MEDIA_ROOT / document.file_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.7 fiche de test")
    return document
