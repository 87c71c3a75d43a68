"""Services of the web layer: writes and enqueueing. The database row is the source of truth."""

import logging
from functools import partial

import kombu.exceptions
from django.db import transaction

from portal.core.models import WorkerCheck

logger = logging.getLogger(__name__)


def _enqueue_worker_check(check_id: str) -> None:
    from portal.core.tasks import run_worker_check

    try:
        run_worker_check.delay(check_id)
    except kombu.exceptions.OperationalError as exc:
        # The broker is down: the row stays pending for a later retry; the caller's request must not fail.
        logger.error("Could not enqueue worker check %s, broker unreachable: %s", check_id, exc)


@transaction.atomic
def request_worker_check() -> WorkerCheck:
    """Store a pending worker check and enqueue it once the row is committed."""
    check = WorkerCheck.objects.create()
    transaction.on_commit(partial(_enqueue_worker_check, str(check.pk)))
    return check
