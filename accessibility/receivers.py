"""Recompute the accessibility once a supply load has committed (``territories.events.supply_changed``)."""

from __future__ import annotations

import logging

import kombu.exceptions
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_recompute() -> None:
    from .tasks import recompute_accessibility

    try:
        recompute_accessibility.delay()
    except kombu.exceptions.OperationalError:  # broker down: the load stands; `compute_accessibility` catches up
        logger.exception("accessibility: recompute not enqueued (broker unreachable)")


def on_supply_changed(sender, **kwargs) -> None:
    transaction.on_commit(enqueue_recompute)
