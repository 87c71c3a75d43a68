"""The daily reminder of next steps past their date, to their owner (time frozen with time-machine)."""

import smtplib
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django_celery_beat.models import PeriodicTask

from projects import services
from projects.enums import EventKind
from projects.models import Project
from projects.tasks import send_next_step_reminders

from .factories import make_project

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def with_step(world, territory, owner, due_on, *, name):
    project = make_project(owner, territory, name=name)
    services.set_next_step(user=owner, project_id=project.pk, next_step=f"Étape de {name}", owner=owner, due_on=due_on)
    return project


def test_the_reminder_goes_out_when_the_date_has_passed(world, django_assert_num_queries):
    with time_machine.travel(datetime(2027, 1, 14, 9, 0, tzinfo=PARIS), tick=False):
        late = with_step(world, world.a, world.elu_a, date(2027, 1, 15), name="MSP A")
        with_step(world, world.b, world.elu_b, date(2027, 1, 16), name="MSP B")
        assert send_next_step_reminders.delay().get() == {"projects": 0, "emails": 0}  # nothing late yet
    with time_machine.travel(datetime(2027, 1, 15, 23, 30, tzinfo=PARIS), tick=False):
        assert services.send_next_step_reminders() == {"projects": 0, "emails": 0}  # due today: not late
    with time_machine.travel(datetime(2027, 1, 16, 7, 45, tzinfo=PARIS), tick=False):
        with django_assert_num_queries(3):  # late projects (owner, creator, territory), journal, one update
            assert services.send_next_step_reminders() == {"projects": 1, "emails": 1}
    [message] = mail.outbox
    assert message.to == [world.elu_a.email]
    assert "1 prochaine étape de projet de santé en retard" in message.subject
    assert "Étape de MSP A, prévue le vendredi 15 janvier 2027" in message.body
    assert f"https://portail.exemple.fr/projets/{late.pk}/" in message.body
    assert late.events.first().kind == EventKind.REMINDER

    # Once a day; the next day reminds again; a new date re-arms it.
    mail.outbox.clear()
    assert services.send_next_step_reminders(today=date(2027, 1, 16)) == {"projects": 0, "emails": 0}
    assert services.send_next_step_reminders(today=date(2027, 1, 18))["emails"] == 2  # MSP B is late too now
    services.set_next_step(user=world.elu_a, project_id=late.pk, next_step="Autre", due_on=date(2027, 2, 1))
    assert Project.objects.get(pk=late.pk).next_step_reminded_on is None


def test_without_an_owner_the_creator_is_reminded(world):
    project = make_project(world.elu_a, world.a)
    services.set_next_step(user=world.referent_d1, project_id=project.pk, next_step="Dépôt", due_on=date(2027, 1, 1))
    services.send_next_step_reminders(today=date(2027, 1, 5))
    assert [m.to for m in mail.outbox] == [[world.elu_a.email]]


def test_a_mail_failure_leaves_the_projects_to_remind_again(world, settings):
    project = with_step(world, world.a, world.elu_a, date(2027, 1, 1), name="MSP A")
    settings.EMAIL_BACKEND = "tests.contact.mail_backends.FailingEmailBackend"
    with pytest.raises(smtplib.SMTPException):
        services.send_next_step_reminders(today=date(2027, 1, 5))
    project.refresh_from_db()
    assert project.next_step_reminded_on is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.send_next_step_reminders(today=date(2027, 1, 5)) == {"projects": 1, "emails": 1}


def test_the_reminder_is_scheduled_on_working_days():
    task = PeriodicTask.objects.get(task="projects.tasks.send_next_step_reminders")
    assert (task.crontab.hour, task.crontab.minute, task.crontab.day_of_week) == ("7", "45", "1-5")
    assert str(task.crontab.timezone) == "Europe/Paris"
