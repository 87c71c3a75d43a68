"""A version string of the aid catalogue, for the caches of documents that show aids (fiche territoire)."""

from __future__ import annotations

import hashlib
import json
from datetime import date

from django.db.models import Count, Max
from django.utils import timezone

from ..models import Aid, AidTerms


def catalogue_version(*, on: date | None = None) -> str:
    """Changes whenever an aid or its terms are created, edited or deleted (admin, ``load_aids``), and when the
    set of terms in force changes with the date (``on``, today by default): a fiche cached on 31 December 2025
    is not served on 1 January 2026 when the amounts change that day. Five small queries."""
    on = on or timezone.localdate()
    parts = []
    for model in (Aid, AidTerms):
        parts.append(model.objects.aggregate(n=Count("pk"), top=Max("pk"), last=Max("updated_at")))
        parts.append(model.history.aggregate(top=Max("history_id")))
    parts.append(list(AidTerms.objects.in_force(on=on).order_by("pk").values_list("pk", flat=True)))
    return hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()[:16]
