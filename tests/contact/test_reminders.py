"""Daily reminder of the requests still open after their due date: one e-mail per person at the CPAM, routed like
the élus' messages (assignee, else the topic's referents, else every referent of the département)."""

import smtplib
from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from portal.contact import services
from portal.contact.enums import RequestStatus
from portal.contact.models import ContactRequest
from portal.contact.tasks import send_overdue_reminders

FAILING_BACKEND = "tests.contact.mail_backends.FailingEmailBackend"

TODAY = date(2026, 11, 24)


def make(world, *, territory=None, topic="exercice_coordonne", due_on=TODAY - timedelta(days=1), **fields):
    territory = territory or world.a
    return ContactRequest.objects.create(
        territory=territory,
        department_id=territory.department_id,
        requester=world.elu_a,
        topic=topic,
        subject=f"Demande {ContactRequest.objects.count() + 1}",
        due_on=due_on,
        **fields,
    )


def test_one_digest_per_referent_with_the_overdue_requests_they_handle(world, django_assert_num_queries):
    late = make(world)
    late_prevention = make(world, topic="prevention")
    taken = make(world, topic="prevention", assignee=world.referent_d1)
    make(world, due_on=TODAY)  # due today: not late yet
    make(world, status=RequestStatus.ANSWERED)  # answered: the élu has what they asked for
    make(world, status=RequestStatus.CLOSED, closed_at=timezone.now())
    savoie = make(world, territory=world.c, topic="acces_aux_droits")

    with django_assert_num_queries(3):  # overdue requests (with territory, assignee), referents, one update
        stats = services.send_overdue_reminders(today=TODAY)
    assert stats == {"requests": 4, "emails": 3}
    by_recipient = {tuple(m.to): m for m in mail.outbox}
    assert set(by_recipient) == {
        (world.referent_d1.email,),
        (world.referent_d1_prev.email,),
        (world.referent_d2.email,),
    }
    to_d1 = by_recipient[(world.referent_d1.email,)]
    assert late.subject in to_d1.body and taken.subject in to_d1.body  # their topic + the one they took
    assert late_prevention.subject not in to_d1.body
    assert "2 demandes d'élus" in to_d1.subject
    assert f"https://portail.exemple.fr/demandes/{late.pk}/" in to_d1.body
    to_prev = by_recipient[(world.referent_d1_prev.email,)].body
    assert late_prevention.subject in to_prev and taken.subject not in to_prev  # taken by someone else
    assert savoie.subject in by_recipient[(world.referent_d2.email,)].body  # another département, its referent

    # Once a day: a second run the same day sends nothing; the next working day reminds again.
    mail.outbox.clear()
    assert services.send_overdue_reminders(today=TODAY) == {"requests": 0, "emails": 0}
    assert mail.outbox == []
    assert services.send_overdue_reminders(today=TODAY + timedelta(days=1))["emails"] == 3


def test_a_mail_failure_leaves_the_requests_to_remind_again(world, settings):
    late = make(world)
    settings.EMAIL_BACKEND = FAILING_BACKEND
    with pytest.raises(smtplib.SMTPException):
        services.send_overdue_reminders(today=TODAY)
    late.refresh_from_db()
    assert late.reminded_on is None  # not marked: the retry (or tomorrow's run) sends it
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.send_overdue_reminders(today=TODAY) == {"requests": 1, "emails": 1}
    late.refresh_from_db()
    assert late.reminded_on == TODAY


def test_the_reminder_is_a_daily_beat_task(world):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name=services.REMINDER_TASK_NAME)
    assert task.task == "portal.contact.tasks.send_overdue_reminders"
    assert (task.crontab.hour, task.crontab.minute, task.crontab.day_of_week) == ("7", "30", "1-5")
    services.setup_periodic_tasks()  # idempotent
    assert PeriodicTask.objects.filter(name=services.REMINDER_TASK_NAME).count() == 1
    make(world, due_on=date(2020, 1, 6))
    assert send_overdue_reminders.delay().get() == {"requests": 1, "emails": 1}
