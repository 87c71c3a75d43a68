"""Celery tasks of the web layer. Tasks take ids, reload the row and retry with backoff on database errors."""

import logging
import os
import socket

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from portal.core.models import WorkerCheck

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
)
def run_worker_check(self, check_id: str) -> bool:
    """Mark a pending worker check as done by this process. Idempotent: a redelivered message changes nothing."""
    updated = WorkerCheck.objects.filter(pk=check_id, status=WorkerCheck.Status.PENDING).update(
        status=WorkerCheck.Status.DONE,
        done_at=timezone.now(),
        worker_hostname=(self.request.hostname or socket.gethostname())[:255],
        worker_pid=os.getpid(),
    )
    if not updated:
        logger.warning("Worker check %s not found or already done.", check_id)
    return bool(updated)
