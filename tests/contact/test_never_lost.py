""" "A request written by an élu is never lost, even when Redis is down": real unreachable broker, real failing
mail server, then the sweeper."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal.accounts.enums import ReferentDomain
from portal.contact import services
from portal.contact.enums import RequestStatus
from portal.contact.models import ContactMessage, ContactRequest

pytestmark = pytest.mark.django_db

LATER = timedelta(minutes=30)  # past the sweeper's grace and retry delays


def post_request(client, world, **data):
    client.force_login(world.elu_a)
    payload = {
        "topic": ReferentDomain.EXERCICE_COORDONNE,
        "subject": "Départ du médecin de la commune",
        "body": "Le médecin part en juin, que peut faire la commune ?",
        **data,
    }
    return client.post(reverse("contact:create") + f"?territoire=commune:{world.a.code}", payload)


def test_request_is_saved_when_the_broker_is_unreachable_then_the_sweeper_sends_it(
    client, world, unreachable_broker, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_request(client, world)

    assert len(callbacks) == 1  # the enqueue ran, at commit, against the closed port
    assert response.status_code == 302
    contact_request = ContactRequest.objects.get()
    assert response["Location"] == reverse("contact:detail", args=[contact_request.pk])
    message = ContactMessage.objects.get(request=contact_request)
    assert (contact_request.requester, contact_request.territory, contact_request.department) == (
        world.elu_a,
        world.a,
        world.d1,
    )
    assert message.body == "Le médecin part en juin, que peut faire la commune ?"
    assert message.notified_at is None and message.notification_attempts == 0
    assert mail.outbox == []
    assert "broker unreachable" in caplog.text
    page = client.get(response["Location"])
    assert "Votre demande a été envoyée à la CPAM (Isère)" in page.content.decode()
    assert "Le médecin part en juin" in page.content.decode()

    # Redis is back (here: in-process tasks again); the periodic sweeper sends the notification.
    unreachable_broker.conf.task_always_eager = True
    assert services.sweep_unnotified_messages() == {"requeued": 0, "abandoned": 0}  # too recent: its task may run
    stats = services.sweep_unnotified_messages(now=timezone.now() + LATER)
    assert stats == {"requeued": 1, "abandoned": 0}
    message.refresh_from_db()
    assert message.notified_at is not None and message.notification_attempts == 1
    assert [m.to for m in mail.outbox] == [[world.referent_d1.email]]
    assert f"https://portail.exemple.fr/demandes/{contact_request.pk}/" in mail.outbox[0].body
    # Sent once: the sweeper leaves notified messages alone.
    assert services.sweep_unnotified_messages(now=timezone.now() + LATER) == {"requeued": 0, "abandoned": 0}
    assert len(mail.outbox) == 1


def test_mail_server_failure_is_retried_recorded_and_swept(client, world, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.contact.mail_backends.FailingEmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = post_request(client, world)
    assert response.status_code == 302  # the élu never sees the mail error
    message = ContactMessage.objects.get()
    assert message.notified_at is None
    assert message.notification_attempts == 4  # one try and the task's three retries
    assert message.notification_error.startswith("SMTPServerDisconnected: Connexion au serveur")

    # Retried by the sweeper only once the retry delay has passed, and given up after the maximum.
    assert services.sweep_unnotified_messages(now=timezone.now() + timedelta(minutes=5))["requeued"] == 0
    services.sweep_unnotified_messages(now=timezone.now() + LATER)
    message.refresh_from_db()
    assert message.notification_attempts == 8 and message.notified_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.sweep_unnotified_messages(now=timezone.now() + LATER) == {"requeued": 1, "abandoned": 0}
    message.refresh_from_db()
    assert message.notified_at is not None and message.notification_attempts == 9
    assert message.notification_error == ""
    assert len(mail.outbox) == 1


def test_sweeper_gives_up_after_the_maximum_attempts(world, caplog):
    contact_request = ContactRequest.objects.create(
        territory=world.a,
        department=world.d1,
        requester=world.elu_a,
        topic="prevention",
        subject="Objet",
        due_on="2026-01-10",
    )
    message = ContactMessage.objects.create(
        request=contact_request,
        author=world.elu_a,
        body="Bonjour",
        notification_attempts=services.MAX_NOTIFICATION_ATTEMPTS,
    )
    ContactMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - LATER)
    assert services.sweep_unnotified_messages() == {"requeued": 0, "abandoned": 1}
    assert "never notified" in caplog.text
    assert mail.outbox == []


def test_a_notified_message_is_never_sent_twice(world):
    contact_request = ContactRequest.objects.create(
        territory=world.a,
        department=world.d1,
        requester=world.elu_a,
        topic="prevention",
        subject="Objet",
        due_on="2026-01-10",
    )
    message = ContactMessage.objects.create(request=contact_request, author=world.elu_a, body="Bonjour")
    assert services.send_notification(message_id=str(message.pk)) == "sent"
    assert services.send_notification(message_id=str(message.pk)) == "skipped"
    services.run_eagerly(str(message.pk))
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.notification_attempts == 1


def test_sweeper_is_registered_with_celery_beat(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name=services.SWEEPER_TASK_NAME)
    assert task.task == "portal.contact.tasks.sweep_unnotified_messages" and task.interval.every == 5
    services.setup_periodic_tasks()  # idempotent
    assert PeriodicTask.objects.filter(name=services.SWEEPER_TASK_NAME).count() == 1


def test_the_periodic_task_runs_the_sweeper(world):
    from portal.contact.tasks import sweep_unnotified_messages

    contact_request = ContactRequest.objects.create(
        territory=world.a,
        department=world.d1,
        requester=world.elu_a,
        topic="prevention",
        subject="Objet",
        due_on="2026-01-10",
    )
    message = ContactMessage.objects.create(request=contact_request, author=world.elu_a, body="Bonjour")
    ContactMessage.objects.filter(pk=message.pk).update(created_at=timezone.now() - LATER)
    assert sweep_unnotified_messages.delay().get() == {"requeued": 1, "abandoned": 0}
    assert [m.to for m in mail.outbox] == [[world.referent_d1_prev.email]]
    assert contact_request.status == RequestStatus.NEW
