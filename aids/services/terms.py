"""Writing aid terms: validation of the periods of one aid (no overlap) and the « new amount from a date » flow."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Aid, AidTerms, overlap_message, periods_overlap


def overlap_errors(periods: list[tuple[date, date | None]]) -> list[str]:
    """French messages for the pairs of periods (start, end included or None) that share a day."""
    ordered = sorted(periods, key=lambda p: p[0])
    errors = []
    for index, (start, end) in enumerate(ordered):
        for other_start, other_end in ordered[index + 1 :]:
            if periods_overlap(start, end, other_start, other_end):
                errors.append(overlap_message(start, end, other_start, other_end))
    return errors


@transaction.atomic
def save_terms(*, terms: AidTerms, reason: str = "") -> AidTerms:
    """Validate ``terms`` (constraints and no overlap with the aid's other terms) and save them; ``reason`` is
    the history's « motif ».

    The aid row is locked first (``select_for_update``; a no-op on SQLite), so that two concurrent saves
    cannot both pass the overlap check; on PostgreSQL an exclusion constraint backs the check.
    """
    Aid.objects.select_for_update().only("pk").get(pk=terms.aid_id)
    terms.full_clean()
    terms._change_reason = reason or None  # read by django-simple-history
    terms.save()
    return terms


def supersede_error(*, aid: Aid, valid_from: date) -> str:
    """Why new terms cannot start on ``valid_from`` ("" when they can): later terms exist (edit those)."""
    if AidTerms.objects.filter(aid=aid, valid_from__gte=valid_from).exists():
        return "Des conditions commencent déjà à cette date ou après : modifiez-les plutôt."
    return ""


@transaction.atomic
def supersede_terms(*, aid: Aid, valid_from: date, reason: str = "", **fields) -> AidTerms:
    """New terms from ``valid_from`` (DESIGN.md flow 4): the terms in force the day before end that day, the new
    ones start; both rows keep their history, with ``reason`` as its « motif ». ``ValidationError`` (French)
    if terms already start that day or later terms exist (edit those instead)."""
    Aid.objects.select_for_update().only("pk").get(pk=aid.pk)
    if message := supersede_error(aid=aid, valid_from=valid_from):
        raise ValidationError({"valid_from": message})
    previous = AidTerms.objects.in_force(on=valid_from - timedelta(days=1)).filter(aid=aid).first()
    if previous is not None and (previous.valid_until is None or previous.valid_until >= valid_from):
        previous.valid_until = valid_from - timedelta(days=1)
        previous.full_clean()
        previous._change_reason = reason or None
        previous.save()
    return save_terms(terms=AidTerms(aid=aid, valid_from=valid_from, **fields), reason=reason)
