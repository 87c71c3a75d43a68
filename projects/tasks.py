"""Celery tasks of the health projects: they call a service; the project row records each reminder."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from . import services


@shared_task(autoretry_for=(SMTPException, OSError), max_retries=3, retry_backoff=300, retry_jitter=True)
def send_next_step_reminders() -> dict:
    """Daily (django-celery-beat, working days): see :func:`projects.services.send_next_step_reminders`."""
    return services.send_next_step_reminders()
