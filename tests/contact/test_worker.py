"""A request's notification sent by a REAL Celery worker process through Redis, on the test PostgreSQL database.

Skipped without the services (``make test`` on a laptop); ``.ci/run`` sets PORTAL_REQUIRE_SERVICES=1. The worker
writes its e-mails to a folder (tests/contact/mail_backends.py) that the test reads.
"""

import email
import time

import pytest
from django.urls import reverse

from portal.accounts.enums import ReferentDomain
from portal.contact.models import ContactMessage, ContactRequest
from tests.contact.conftest import ContactWorld
from tests.test_services_worker import running_worker

WAIT_SECONDS = 60


@pytest.fixture
def mail_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("mail")


@pytest.fixture
def contact_worker(django_db_setup, mail_dir, tmp_path_factory):
    with running_worker(
        tmp_path_factory,
        name="contact-test",
        EMAIL_BACKEND="tests.contact.mail_backends.DirectoryEmailBackend",
        PORTAL_TEST_MAIL_DIR=str(mail_dir),
        PORTAL_BASE_URL="https://portail.exemple.fr",
    ) as process:
        yield process


@pytest.mark.services
@pytest.mark.worker
def test_a_real_worker_notifies_the_referent(contact_worker, mail_dir, transactional_db, real_broker, client):
    w = ContactWorld()
    client.force_login(w.elu_a)
    response = client.post(
        reverse("contact:create") + f"?territoire=commune:{w.a.code}",
        {"topic": ReferentDomain.PREVENTION, "subject": "Dépistage", "body": "Une journée de dépistage au marché."},
    )
    assert response.status_code == 302
    message = ContactMessage.objects.get()
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and contact_worker.poll() is None:
        message.refresh_from_db()
        if message.notified_at is not None:
            break
        time.sleep(0.2)
    log_tail = contact_worker.log_path.read_text(errors="replace")[-3000:]
    assert message.notified_at is not None, log_tail
    assert message.notification_attempts == 1
    [sent] = [email.message_from_bytes(p.read_bytes()) for p in mail_dir.iterdir()]
    assert sent["To"] == w.referent_d1_prev.email
    body = sent.get_payload(decode=True).decode()
    assert f"https://portail.exemple.fr/demandes/{ContactRequest.objects.get().pk}/" in body
