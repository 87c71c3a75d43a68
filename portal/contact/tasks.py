"""Celery tasks of the requests to the CPAM. They take ids and call a service; the message row records every try."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from . import services


@shared_task(
    # Mail server refusing or unreachable: retried with backoff (30 s, 1 min, 2 min… with jitter), then left to
    # the sweeper. Anything else is a bug: it fails at once and is logged by Celery.
    autoretry_for=(SMTPException, OSError),
    max_retries=3,
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
    acks_late=True,
)
def send_message_notification(message_id: str) -> str:
    """E-mail the other side of a request about one message: see :func:`portal.contact.services.send_notification`."""
    return services.send_notification(message_id=message_id)


@shared_task
def sweep_unnotified_messages() -> dict:
    """Periodic (django-celery-beat): see :func:`portal.contact.services.sweep_unnotified_messages`."""
    return services.sweep_unnotified_messages()


@shared_task(autoretry_for=(SMTPException, OSError), max_retries=3, retry_backoff=300, retry_jitter=True)
def send_overdue_reminders() -> dict:
    """Daily (django-celery-beat, working days): see :func:`portal.contact.services.send_overdue_reminders`."""
    return services.send_overdue_reminders()
