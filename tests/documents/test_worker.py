"""A fiche made by a REAL Celery worker process through Redis, on the test PostgreSQL database.

Skipped without the services (``make test`` on a laptop); ``.ci/run`` sets PORTAL_REQUIRE_SERVICES=1.
The worker writes the PDF under the same PRIVATE_MEDIA_ROOT as the test, which then downloads it.
"""

import io
import time

import pytest
from django.urls import reverse
from pypdf import PdfReader

from portal.documents import services
from portal.documents.enums import DocumentStatus
from tests.documents.conftest import FicheWorld
from tests.test_services_worker import running_worker

WAIT_SECONDS = 180


@pytest.fixture
def media_root(tmp_path_factory, settings):
    root = tmp_path_factory.mktemp("private")
    settings.PRIVATE_MEDIA_ROOT = root
    return root


@pytest.fixture
def fiche_worker(django_db_setup, media_root, tmp_path_factory):
    with running_worker(tmp_path_factory, name="fiche-test", PRIVATE_MEDIA_ROOT=str(media_root)) as process:
        yield process


@pytest.mark.services
@pytest.mark.worker
def test_a_real_worker_makes_the_fiche(fiche_worker, transactional_db, real_broker, client):
    w = FicheWorld()
    document = services.request_fiche(user=w.elu_e1, territory=w.e1)  # autocommit: enqueued at once
    seen = set()
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        document.refresh_from_db()
        seen.add(document.status)
        if document.is_finished or fiche_worker.poll() is not None:
            break
        time.sleep(0.2)
    log_tail = fiche_worker.log_path.read_text(errors="replace")[-3000:]
    assert document.status == DocumentStatus.READY, f"{document.status} {document.error}\n{log_tail}"
    assert document.enqueued_at is not None and document.attempts == 1

    client.force_login(w.elu_e1)
    response = client.get(reverse("documents:download", args=[document.pk]))
    assert response.status_code == 200
    pdf = b"".join(response.streaming_content)
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert w.e1.name in text and "Offre de soins par profession" in text
    assert len(reader.pages) >= 8


def _wait(document, worker, until, seconds=WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and worker.poll() is None:
        document.refresh_from_db()
        if until(document):
            return
        time.sleep(0.05)


@pytest.mark.services
@pytest.mark.worker
def test_a_worker_killed_mid_render_leaves_nothing_served_and_the_sweeper_recovers(
    django_db_setup, media_root, tmp_path_factory, transactional_db, real_broker, client, settings
):
    """SIGKILL while the fiche is being made (no warm shutdown, no retry): the row stays « en cours » and no
    file is served; the sweeper puts it back in the queue and a new worker finishes it."""
    import os
    import signal
    from datetime import timedelta

    from django.utils import timezone

    w = FicheWorld()
    client.force_login(w.elu_e1)
    with running_worker(tmp_path_factory, name="doomed", PRIVATE_MEDIA_ROOT=str(media_root)) as doomed:
        document = services.request_fiche(user=w.elu_e1, territory=w.e1)
        _wait(document, doomed, lambda d: d.status != DocumentStatus.PENDING)
        assert document.status == DocumentStatus.RUNNING, document.status  # caught mid-render
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)
    document.refresh_from_db()
    assert document.status == DocumentStatus.RUNNING and document.file_path == ""
    assert client.get(reverse("documents:download", args=[document.pk])).status_code == 404

    with running_worker(tmp_path_factory, name="rescuer", PRIVATE_MEDIA_ROOT=str(media_root)) as rescuer:
        later = timezone.now() + timedelta(minutes=settings.DOCUMENTS_RUNNING_TIMEOUT_MINUTES + 1)
        assert services.sweep_stuck_documents(now=later) == {"requeued": 1, "recovered": 1, "failed": 0}
        _wait(document, rescuer, lambda d: d.is_finished)
        log_tail = rescuer.log_path.read_text(errors="replace")[-3000:]
    assert document.status == DocumentStatus.READY, f"{document.status} {document.error}\n{log_tail}"
    assert document.attempts == 2
    response = client.get(reverse("documents:download", args=[document.pk]))
    assert response.status_code == 200
    pdf = b"".join(response.streaming_content)
    assert w.e1.name in " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
