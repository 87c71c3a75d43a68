"""The fiche territoire end to end, in-process (eager Celery): request → pret → download → PDF text.

Each render costs a second or more, so the tests that need a real PDF share what they can (request,
cache hit and new data vintage in one test); access and failure tests use rows without rendering.
"""

import io
import re
from pathlib import Path

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import IntegrityError, transaction
from django.urls import reverse
from pypdf import PdfReader

from portal.documents import services
from portal.documents.enums import DocumentStatus
from portal.documents.fiche import SECTIONS
from portal.documents.models import MAX_ADHOC_COMMUNES, GeneratedDocument
from portal.documents.rendering import LocalOnlyFetcher, html_to_pdf
from portal.territory.dashboard import build_dashboard
from territories.models import DataSource

SECTION_TITLES = [
    "Identité du territoire",
    "Signaux d'alerte",
    "Population et besoins de santé",
    "Offre de soins par profession",
    "Différences infra-territoriales",
    "Accès aux soins",
    "Carte du territoire",
    "Structures d'exercice coordonné",
    "Aides à l'installation et leviers",
    "Prévention et accès aux droits",
    "Vos contacts à la CPAM",
    "Sources, millésimes et précautions de lecture",
]


def _login(client, user):
    client.force_login(user)
    return client


def _text(pdf_bytes: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf_bytes))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def _norm(value: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", value)


def _pdf_files(settings) -> list[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return sorted(root.rglob("*")) if root.exists() else []


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run on-commit hooks (the enqueue) inside the test transaction, as a real commit would."""

    def run(callable_, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return callable_(*args, **kwargs)

    return run


def test_fiche_of_an_epci_matches_the_dashboard_and_is_cached_by_data_vintage(
    fiche_world, client, settings, django_capture_on_commit_callbacks
):
    w = fiche_world
    _login(client, w.elu_e1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("documents:request_fiche", args=["epci", w.e1.code]))
    document = GeneratedDocument.objects.get()
    assert response.status_code == 302 and response.url == reverse("documents:detail", args=[document.pk])
    assert document.status == DocumentStatus.READY, document.error
    assert document.progress == 100 and document.attempts == 1 and document.page_count >= 8

    page = client.get(response.url)
    assert page.status_code == 200
    assert "Télécharger la fiche" in page.content.decode()
    assert 'http-equiv="refresh"' not in page.content.decode()  # finished: no more refreshing

    download = client.get(reverse("documents:download", args=[document.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    day = document.finished_at.astimezone().date().isoformat()
    assert download["Content-Disposition"] == f'attachment; filename="fiche-territoire-{w.e1.code}-{day}.pdf"'
    pdf = b"".join(download.streaming_content)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 8
    assert reader.pages[0].extract_text()  # text, not images
    text = _text(pdf)

    assert w.e1.name in text
    assert f"{_norm(intcomma(w.e1.population))} habitants" in text  # as on the territory page
    for title in SECTION_TITLES:
        assert title in text, title
    assert "page 1 / " in text and f"page {len(reader.pages)} / {len(reader.pages)}" in text
    assert "Données de démonstration" in text
    assert "Camille Référente" in text and w.referent_d1.email in text  # the département's CPAM contact
    assert w.referent_d2.email not in text  # another département's
    assert w.a.name in text and w.a2.name in text  # the communes of the EPCI
    # Nothing recorded for prevention in this world: the section says so (no section says « À venir » any more).
    assert "Aucun point d'accès aux droits" in text and "Aucune initiative inspirante n'est chargée" in text

    # Every key figure of the dashboard, with its year and comparisons, appears as one table row. Spaces are
    # dropped on both sides: text extraction splits some numbers (« 7 ,1 ») and wraps cells.
    dashboard = build_dashboard(w.e1, user=w.elu_e1)
    assert len(dashboard.key_figures) >= 20
    compact = re.sub(r"\s+", "", text)
    for row in dashboard.key_figures:
        expected = f"{row.year}{row.figure.display}" + "".join(c.display for c in row.comparisons)
        assert re.sub(r"\s+", "", expected) in compact, (row.indicator.code, expected)
    assert not [p for p in _pdf_files(settings) if p.suffix == ".part"]

    # Same data vintage: the ready document is served at once, nothing is rendered again.
    finished_at = document.finished_at
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = services.request_fiche(user=w.elu_e1, territory=w.e1)
    assert again.pk == document.pk and callbacks == []
    again.refresh_from_db()
    assert again.finished_at == finished_at and GeneratedDocument.objects.count() == 1

    # A new data load (a DataSource row): a new document.
    DataSource.objects.create(name="zonage ARS", version="arrêté 2026")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        fresh = services.request_fiche(user=w.elu_e1, territory=w.e1)
    assert fresh.pk != document.pk and len(callbacks) == 1
    fresh.refresh_from_db()
    assert fresh.status == DocumentStatus.READY and fresh.cache_key != document.cache_key
    assert "zonage ARS" in _text(Path(settings.PRIVATE_MEDIA_ROOT, fresh.file_path).read_bytes())


def test_adhoc_set_of_communes(fiche_world, client, django_capture_on_commit_callbacks, settings):
    w = fiche_world
    _login(client, w.referent_d1)
    codes = f"{w.a.code}, {w.b.code}\n{w.a2.code}"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("documents:adhoc"), {"title": "CPTS du Trièves", "codes": codes})
    document = GeneratedDocument.objects.get()
    assert response.status_code == 302
    assert document.territory is None and document.communes == [w.a.code, w.b.code, w.a2.code]
    assert document.status == DocumentStatus.READY, document.error
    download = client.get(reverse("documents:download", args=[document.pk]))
    assert download["Content-Disposition"].endswith(
        'filename="fiche-territoire-ensemble-3-communes-'
        + (document.finished_at.astimezone().date().isoformat() + '.pdf"')
    )
    text = _text(b"".join(download.streaming_content))
    assert "CPTS du Trièves" in text
    assert _norm(intcomma(w.a.population + w.b.population + w.a2.population)) in text
    assert w.b.name in text and "Ensemble libre de communes" in text
    assert "secret statistique" in text  # secret-bearing indicators are not computed for a free set


@pytest.mark.parametrize(
    "codes, message",
    [
        ("99999", "Communes inconnues ou hors de votre périmètre : 99999."),
        ("ABCDE", "Codes INSEE mal formés"),
        ("", "Ce champ est obligatoire."),
        (" ".join(f"{38000 + i:05d}" for i in range(MAX_ADHOC_COMMUNES + 1)), "au plus 500 communes (501 codes"),
    ],
)
def test_adhoc_form_errors_are_french_field_errors(fiche_world, client, codes, message):
    _login(client, fiche_world.referent_d1)
    response = client.post(reverse("documents:adhoc"), {"codes": codes})
    assert response.status_code == 200
    assert message in response.context["form"].errors["codes"][0]
    assert message.split(" :")[0] in response.content.decode().replace("&#x27;", "'")
    assert not GeneratedDocument.objects.exists()


def test_adhoc_commune_outside_the_users_scope_is_refused(fiche_world, client):
    w = fiche_world
    _login(client, w.referent_d1)
    response = client.post(reverse("documents:adhoc"), {"codes": f"{w.a.code} {w.c.code}"})  # C is in Savoie
    assert f"hors de votre périmètre : {w.c.code}." in response.context["form"].errors["codes"][0]


def _ready_document(settings, **fields) -> GeneratedDocument:
    """A ready row with a (fake) file, without rendering: for access tests."""
    requesters = fields.pop("requesters")
    document = GeneratedDocument.objects.create(
        kind="fiche_pdf", status=DocumentStatus.READY, progress=100, cache_key="k", file_path="fiches/x.pdf", **fields
    )
    document.requesters.set(requesters)
    path = Path(settings.PRIVATE_MEDIA_ROOT, "fiches/x.pdf")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.7 test")
    return document


def test_access_rules(fiche_world, client, settings):
    w = fiche_world
    document = _ready_document(settings, territory=w.e1, requested_by=w.elu_e1, requesters=[w.elu_e1])
    download = reverse("documents:download", args=[document.pk])
    detail = reverse("documents:detail", args=[document.pk])

    _login(client, w.elu_e1)
    assert client.get(download).status_code == 200

    _login(client, w.elu_c)  # élu of another département: neither the territory nor the document
    assert client.get(download).status_code == 404
    assert client.get(detail).status_code == 404
    assert client.post(reverse("documents:request_fiche", args=["epci", w.e1.code])).status_code == 404
    assert client.post(reverse("documents:request_fiche", args=["commune", w.a.code])).status_code == 404

    _login(client, w.elu_a)  # sees E1 (their EPCI) but did not ask for this fiche: it may show E1's reports
    assert client.get(download).status_code == 404
    assert client.post(reverse("documents:request_fiche", args=["commune", w.b.code])).status_code == 404

    _login(client, w.referent_d2)  # referent: their département only
    assert client.get(download).status_code == 404
    assert client.post(reverse("documents:request_fiche", args=["epci", w.e1.code])).status_code == 404
    assert client.post(reverse("documents:request_batch", args=[w.d1.code]), {"level": "epci"}).status_code == 404

    _login(client, w.admin)
    assert client.get(download).status_code == 200

    assert client.post(reverse("documents:request_fiche", args=["epci", "000000000"])).status_code == 404
    assert client.get(reverse("documents:download", args=["00000000-0000-0000-0000-000000000000"])).status_code == 404
    client.logout()
    assert client.get(download).status_code == 302  # to the login page


def test_missing_file_is_not_served(fiche_world, client, settings):
    w = fiche_world
    document = _ready_document(settings, territory=w.a, requested_by=w.elu_a, requesters=[w.elu_a])
    Path(settings.PRIVATE_MEDIA_ROOT, document.file_path).unlink()
    _login(client, w.elu_a)
    assert client.get(reverse("documents:download", args=[document.pk])).status_code == 404
    assert "n'est plus disponible" in client.get(reverse("documents:detail", args=[document.pk])).content.decode()


def test_a_failing_task_retries_then_records_a_french_error(fiche_world, settings):
    w = fiche_world
    document = GeneratedDocument.objects.create(kind="fiche_pdf", cache_key="k", requested_by=w.elu_a)
    document.requesters.add(w.elu_a)

    services.run_eagerly(str(document.pk))  # a row with neither territory nor communes cannot be described

    document.refresh_from_db()
    assert document.status == DocumentStatus.FAILED
    assert document.attempts == services.MAX_ATTEMPTS
    assert document.error == (
        "La génération du document a échoué après 4 tentatives : "
        "Ce document n'a ni territoire ni communes : rien à décrire."
    )
    assert document.file_path == "" and not _pdf_files(settings)


def test_a_rendering_error_leaves_no_half_written_file(settings, tmp_path):
    target = tmp_path / "fiches" / "f.pdf"
    with pytest.raises(ZeroDivisionError):
        from portal.documents.storage import atomic_write

        with atomic_write(target) as tmp:
            tmp.write_bytes(b"%PDF-1.7 half")
            1 / 0  # noqa: B018
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_the_renderer_never_fetches_remote_resources(settings, tmp_path):
    html = """<html><head><link rel="stylesheet" href="https://cdn.example.org/x.css">
      <style>@import url("http://example.org/y.css"); body { background: url("https://example.org/bg.png") }</style>
      </head><body><p>Texte local</p><img src="https://example.org/logo.png" alt="logo">
      <img src="file:///etc/passwd"></body></html>"""
    fetcher = LocalOnlyFetcher()
    pages = html_to_pdf(html, tmp_path / "t.pdf", fetcher=fetcher)
    assert pages == 1 and (tmp_path / "t.pdf").read_bytes().startswith(b"%PDF-")
    assert "Texte local" in _text((tmp_path / "t.pdf").read_bytes())
    assert set(fetcher.refused) == {
        "https://cdn.example.org/x.css",
        "http://example.org/y.css",
        "https://example.org/bg.png",
        "https://example.org/logo.png",
        "file:///etc/passwd",
    }
    assert fetcher.fetched == []


def test_the_fiche_reads_only_local_fonts(fiche_world, settings, tmp_path):
    from portal.documents.fiche import build_fiche_context
    from portal.documents.rendering import render_fiche_html

    w = fiche_world
    document = GeneratedDocument.objects.create(kind="fiche_pdf", cache_key="k", territory=w.a, requested_by=w.elu_a)
    html = render_fiche_html(build_fiche_context(document))
    assert not re.search(r"""(src|href)=["']https?:""", html)
    fetcher = LocalOnlyFetcher()
    assert html_to_pdf(html, tmp_path / "a.pdf", fetcher=fetcher) >= 8
    assert fetcher.refused == []
    assert fetcher.fetched and all(u.startswith("file://") and "Marianne" in u for u in fetcher.fetched)
    text = _text((tmp_path / "a.pdf").read_bytes())
    assert "IRIS synthétiques" in text and w.iris[0].code in text  # the commune's IRIS table


def test_documents_page_lists_the_users_documents(fiche_world, client, settings):
    w = fiche_world
    _ready_document(settings, territory=w.e1, requested_by=w.elu_e1, requesters=[w.elu_e1])
    _login(client, w.elu_e1)
    body = client.get(reverse("documents:list")).content.decode()
    assert w.e1.name in body and "Télécharger" in body
    _login(client, w.elu_a)
    assert w.e1.name not in client.get(reverse("documents:list")).content.decode()


def test_territory_page_offers_the_fiche_and_the_batch_to_the_referent(fiche_world, client):
    w = fiche_world
    _login(client, w.elu_a)
    body = client.get(reverse("portal:territory", args=["commune", w.a.code])).content.decode()
    assert "Générer la fiche territoire" in body
    assert reverse("documents:request_fiche", args=["commune", w.a.code]) in body
    _login(client, w.referent_d1)
    body = client.get(reverse("portal:territory", args=["department", w.d1.code])).content.decode()
    assert "Générer le lot de fiches" in body
    _login(client, w.elu_a)
    body = client.get(reverse("portal:territory", args=["department", w.d1.code])).content.decode()
    assert "Générer le lot de fiches" not in body


def test_pending_document_page_refreshes_and_shows_progress(fiche_world, client):
    w = fiche_world
    document = GeneratedDocument.objects.create(
        kind="fiche_pdf", cache_key="k", territory=w.a, requested_by=w.elu_a, status="en_cours", progress=40
    )
    document.requesters.add(w.elu_a)
    _login(client, w.elu_a)
    body = client.get(reverse("documents:detail", args=[document.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in body
    assert '<progress id="avancement" max="100" value="40">' in body
    assert re.findall(r"<script(?![^>]*\bsrc=)", body) == []  # refreshed by a meta tag, no inline script


def test_database_constraints(fiche_world):
    w = fiche_world
    for fields in ({"progress": 101}, {"status": "termine"}, {"status": "pret", "progress": 100}):
        with pytest.raises(IntegrityError), transaction.atomic():
            GeneratedDocument.objects.create(kind="fiche_pdf", cache_key="k", territory=w.a, **fields)


def test_sweeper(fiche_world, settings):
    from datetime import timedelta

    from django.utils import timezone

    w = fiche_world
    old = timezone.now() - timedelta(hours=2)
    lost = GeneratedDocument.objects.create(kind="fiche_pdf", cache_key="k1", requested_by=w.elu_a)  # broker was down
    dead = GeneratedDocument.objects.create(
        kind="fiche_pdf", cache_key="k2", status="en_cours", started_at=old, attempts=services.MAX_ATTEMPTS
    )
    fresh = GeneratedDocument.objects.create(
        kind="fiche_pdf", cache_key="k3", status="en_cours", started_at=timezone.now()
    )
    GeneratedDocument.objects.filter(pk=lost.pk).update(created_at=old)

    stats = services.sweep_stuck_documents()

    assert stats == {"requeued": 1, "recovered": 0, "failed": 1}
    lost.refresh_from_db(), dead.refresh_from_db(), fresh.refresh_from_db()
    assert lost.attempts == services.MAX_ATTEMPTS and lost.status == DocumentStatus.FAILED  # it ran (and failed)
    assert dead.status == DocumentStatus.FAILED and "interrompue" in dead.error
    assert fresh.status == DocumentStatus.RUNNING  # a live worker is on it


def test_sweeper_is_registered_with_celery_beat(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name=services.SWEEPER_TASK_NAME)
    assert task.task == "portal.documents.tasks.sweep_stuck_documents" and task.interval.every == 5
    services.setup_periodic_tasks()  # idempotent
    assert PeriodicTask.objects.filter(name=services.SWEEPER_TASK_NAME).count() == 1


def test_batch_of_a_department_and_the_command(fiche_world, client, django_capture_on_commit_callbacks, capsys):
    from django.core.management import call_command

    w = fiche_world
    _login(client, w.referent_d1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("documents:request_batch", args=[w.d1.code]), {"level": "epci"})
    assert response.status_code == 302
    page = client.get(response.url)
    progress = page.context["progress"]
    assert progress == {
        "total": 2, "percent": 100, "ready": 2, "failed": 0, "pending": 0, "running": 0, "finished": True
    }  # fmt: skip
    assert {d.territory for d in page.context["documents"]} == {w.e1, w.e2}
    assert 'http-equiv="refresh"' not in page.content.decode()

    # The command reuses the ready fiches of the same data vintage (the admin sees the same signals).
    call_command("generate_fiches", "--department", w.d1.code, "--sync")
    out = capsys.readouterr().out
    assert f"{w.d1.code} {w.d1.name} : 2 fiche(s)" in out and "prêt : 2" in out
    assert GeneratedDocument.objects.filter(territory__in=[w.e1, w.e2]).count() == 2


def test_sections_are_functions_in_order():
    assert [s.__name__ for s in SECTIONS][:2] == ["section_identity", "section_signals"]
    assert SECTIONS[-1].__name__ == "section_sources"


@pytest.mark.django_db
def test_header_links_to_the_users_documents(client):
    from tests.factories import AdminFactory

    client.force_login(AdminFactory())
    html = client.get(reverse("documents:list")).content.decode()
    assert f'href="{reverse("documents:list")}" aria-current="page">Mes documents</a>' in html
