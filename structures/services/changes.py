"""Manual changes to structures (admin) are logged as a DataSource row, like any load.

Maps and fiches are cached per data version (the latest DataSource): the log row makes an admin's correction
visible at once instead of at the next load.
"""

from __future__ import annotations

from django.utils import timezone

from territories.models import DataSource

MANUAL_SOURCE_NAME = "Structures — saisies dans l'administration"


def record_manual_change(*, structure_id: int, label: str, user, action: str) -> DataSource:
    """Log one admin change (``action``: « création », « modification », « suppression »)."""
    who = getattr(user, "email", "") or str(user)
    return DataSource.objects.create(
        name=MANUAL_SOURCE_NAME,
        version=timezone.localdate().isoformat(),
        is_demo=False,
        row_counts={"structure": structure_id, "action": action},
        notes=f"{action} de « {label} » par {who}"[:1000],
    )
