"""Amounts of aid terms as French text (« 10 000 € », « 50 % de la dépense, plafond 10 000 € »)."""

from __future__ import annotations

from decimal import Decimal

from .enums import AmountKind

NBSP = "\xa0"
NNBSP = "\u202f"  # narrow no-break space: the French thousands separator (« 38 000 € »)


def format_number(value: Decimal | int | float) -> str:
    """French number: narrow no-break space between thousands, decimal comma, no decimals for a whole number."""
    value = Decimal(str(value))
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    return text.replace(",", NNBSP).replace(".", ",")


def format_euros(value: Decimal | int | float) -> str:
    """« 10 000 € » (no-break spaces)."""
    return f"{format_number(value)}{NBSP}€"


def _fte(value) -> str:
    """« 0,5 ETP », « 1 ETP »."""
    return f"{Decimal(str(value)).normalize():f}".replace(".", ",") + f"{NBSP}ETP"


def describe_amount(terms) -> str:
    """One line for an :class:`~aids.models.AidTerms`: kind, amount, ceiling and note."""
    kind, amount, cap = terms.amount_kind, terms.amount, terms.cap
    upto = "jusqu'à " if terms.is_ceiling else ""
    if kind == AmountKind.UNSPECIFIED or amount is None:
        text = "montant non chiffré"
    elif kind == AmountKind.ONE_OFF:
        text = f"{upto}{format_euros(amount)} (forfait unique)"
    elif kind == AmountKind.TOTAL:
        text = f"{upto}{format_euros(amount)}"
    elif kind == AmountKind.MONTHLY:
        text = f"{upto}{format_euros(amount)} par mois"
    elif kind == AmountKind.YEARLY:
        text = f"{upto}{format_euros(amount)} par an"
    elif kind == AmountKind.PER_HALF_DAY:
        text = f"{format_euros(amount)} par demi-journée"
        if cap is not None:
            text += f", plafond {format_euros(cap)} par mois"
    elif kind == AmountKind.PERCENT:
        text = f"{format_number(amount)}{NBSP}% de la dépense"
        if cap is not None:
            text += f", plafond {format_euros(cap)}"
    elif kind == AmountKind.SCHEDULE:
        text = _schedule_headline(terms) or f"jusqu'à {format_euros(amount)} par an (barème)"
    else:  # a kind added later without its sentence: still readable
        text = format_euros(amount)
    if terms.amount_note:
        text += f" ({terms.amount_note})" if kind != AmountKind.UNSPECIFIED else f" : {terms.amount_note}"
    return text


def _schedule_headline(terms) -> str:
    """« jusqu'à 38 000 € par an pour 1 ETP, 19 000 € pour 0,5 ETP (barème) »: each row's highest year, the
    largest time first, so that no headline reads as if it held for every FTE (004:L454-458)."""
    rows = [r for r in (terms.schedule or {}).get("rows", []) if isinstance(r, dict) and r.get("amounts")]
    if not rows:
        return ""
    rows = sorted(rows, key=lambda r: -Decimal(str(r["fte"])))
    parts = [f"{format_euros(max(r['amounts']))} pour {_fte(r['fte'])}" for r in rows]
    first, others = parts[0].replace(" pour ", " par an pour ", 1), parts[1:]
    return "jusqu'à " + ", ".join([first, *others]) + " (barème)"


def schedule_rows(terms) -> list[tuple[str, list[str]]]:
    """The schedule as (« 0,5 ETP », [« 19 000 € », …]) rows; empty unless ``schedule`` kind."""
    if terms.amount_kind != AmountKind.SCHEDULE or not isinstance(terms.schedule, dict):
        return []
    return [
        (_fte(row["fte"]), [format_euros(v) for v in row["amounts"]])
        for row in terms.schedule.get("rows", [])
        if isinstance(row, dict) and "fte" in row and isinstance(row.get("amounts"), list)
    ]
