from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from territories.services.signals import evaluate_signals, sync_signal_rules

from .services import store_france


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def recompute_accessibility() -> int:
    """Recompute and store the accessibility of all France from the stored supply, then the signals.

    No argument: the stored supply is the source of truth; two runs in a row give the same rows.
    """
    source = store_france()
    sync_signal_rules()
    evaluate_signals()
    return source.pk
