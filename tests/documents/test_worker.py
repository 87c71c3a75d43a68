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
