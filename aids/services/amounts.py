"""What a professional would actually receive: the amount of one aid's terms for a profile, with its arithmetic.

:func:`compute` turns :class:`~aids.models.AidTerms` and a :class:`Profile` into a :class:`Computation`: the
amount in euros (``None`` when it depends on a fact not given, which is then named in ``missing``) and a
French sentence showing the arithmetic (« 38 000 € + 28 000 € + 22 000 € = 88 000 € sur 3 ans pour 1 ETP »).
Amounts that run over time (per month, per year, yearly schedule, per half-day) are totalled over
``Profile.years``. :func:`ceiling` is the most the terms can give over a number of years (property-tested).
No query: pure functions of the terms and the profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..enums import AmountKind
from ..formatting import NBSP, format_euros, format_number

# Query parameter names of the facts an amount may depend on, with their French names (shown to users).
FACTS = {
    "study_year": "l'année d'études",
    "fte": "le temps de travail de l'assistant (0,5 ou 1 ETP)",
    "years": "le nombre d'années",
    "equipment_cost": "le coût du matériel",
    "half_days_per_month": "le nombre de demi-journées par mois",
    "home_commune": "la commune d'installation",
    "age": "l'âge",
    "full_rate_pension": "la retraite à taux plein",
    "replacement": "le statut de remplaçant",
}


@dataclass(frozen=True)
class Profile:
    """The facts the booklet's amounts and rules depend on; each may be unknown (``None``).

    ``home_zone``: the ARS zone of ``home_commune`` (the commune where the doctor is installed) on the date,
    resolved by the eligibility engine; ``None`` with a home commune given means its zoning is not known.
    """

    study_year: int | None = None
    fte: Decimal | None = None
    years: int | None = None
    equipment_cost: Decimal | None = None
    half_days_per_month: int | None = None
    home_commune: object | None = None  # a commune (territories.Territory)
    home_zone: str | None = None
    age: int | None = None
    full_rate_pension: bool | None = None
    replacement: bool | None = None


@dataclass
class Computation:
    amount: Decimal | None
    sentence: str
    missing: list[str] = field(default_factory=list)
    is_maximum: bool = False  # « jusqu'à »: the amount is the most the aid gives

    @property
    def missing_labels(self) -> list[str]:
        return [FACTS.get(name, name) for name in self.missing]


def _euros(value: Decimal) -> str:
    return format_euros(value)


def _years(n: int) -> str:
    return f"{n} an" if n == 1 else f"{n} ans"


def _missing(*names: str) -> Computation:
    labels = " et ".join(FACTS[n] for n in names)
    return Computation(None, f"Montant à calculer : indiquez {labels}.", list(names))


def schedule_row(terms, fte: Decimal) -> list[Decimal] | None:
    """The yearly amounts of the schedule's row for ``fte`` (``None``: no such row)."""
    for row in (terms.schedule or {}).get("rows", []):
        if Decimal(str(row.get("fte"))) == fte:
            return [Decimal(str(v)) for v in row["amounts"]]
    return None


def schedule_ftes(terms) -> list[Decimal]:
    return [Decimal(str(row["fte"])) for row in (terms.schedule or {}).get("rows", [])]


def schedule_total(amounts: list[Decimal], years: int) -> list[Decimal]:
    """The amount of each of ``years`` years: the last column (« 3e année et suivantes ») repeats."""
    return [amounts[min(i, len(amounts) - 1)] for i in range(years)]


def fte_label(fte: Decimal) -> str:
    """« 0,5 ETP », « 1 ETP »."""
    return f"{fte.normalize():f}".replace(".", ",") + f"{NBSP}ETP"


def compute(terms, profile: Profile) -> Computation:
    """The amount of ``terms`` for ``profile``, with the arithmetic in French (see module docstring)."""
    kind, amount, cap = terms.amount_kind, terms.amount, terms.cap
    upto = bool(terms.is_ceiling)
    note = f" ({terms.amount_note})" if terms.amount_note else ""
    if kind == AmountKind.UNSPECIFIED or amount is None:
        return Computation(None, "Montant non chiffré par la source.")
    if kind in (AmountKind.ONE_OFF, AmountKind.TOTAL):
        prefix = "Jusqu'à " if upto else ""
        return Computation(amount, f"{prefix}{_euros(amount)}{note}.", is_maximum=upto)
    if kind == AmountKind.PERCENT:
        if profile.equipment_cost is None:
            return _missing("equipment_cost")
        raw = (profile.equipment_cost * amount / 100).quantize(Decimal("0.01"))
        value = min(raw, cap) if cap is not None else raw
        sentence = f"{format_number(amount)}{NBSP}% × {_euros(profile.equipment_cost)} = {_euros(raw)}"
        if value < raw:
            sentence += f", plafonné à {_euros(cap)}"
        return Computation(value, sentence + ".")
    if kind == AmountKind.SCHEDULE:
        return _schedule(terms, profile)
    if profile.years is None:
        if kind == AmountKind.PER_HALF_DAY and profile.half_days_per_month is None:
            return _missing("half_days_per_month", "years")
        return _missing("years")
    years = profile.years
    if kind == AmountKind.MONTHLY:
        value = amount * 12 * years
        sentence = f"{_euros(amount)} × 12 mois × {_years(years)} = {_euros(value)}{note}."
        return Computation(value, ("Jusqu'à " if upto else "") + sentence, is_maximum=upto)
    if kind == AmountKind.YEARLY:
        value = amount * years
        sentence = f"{_euros(amount)} par an × {_years(years)} = {_euros(value)}{note}."
        return Computation(value, ("Jusqu'à " if upto else "") + sentence, is_maximum=upto)
    if kind == AmountKind.PER_HALF_DAY:
        if profile.half_days_per_month is None:
            return _missing("half_days_per_month")
        asked = profile.half_days_per_month
        most = int(cap // amount) if cap is not None and amount else asked
        counted = min(asked, most)
        monthly = amount * counted
        sentence = f"{_euros(amount)} × {counted} demi-journées = {_euros(monthly)} par mois"
        if counted < asked:
            sentence += f" ({asked} demandées, plafond de {most} demi-journées par mois)"
        value = monthly * 12 * years
        return Computation(value, f"{sentence} ; {_euros(monthly)} × 12 mois × {_years(years)} = {_euros(value)}.")
    return Computation(None, "Montant non calculable pour ce type de montant.")


def _schedule(terms, profile: Profile) -> Computation:
    missing = [name for name in ("fte", "years") if getattr(profile, name) is None]
    if missing:
        return _missing(*missing)
    row = schedule_row(terms, profile.fte)
    if row is None:
        choices = " ou ".join(fte_label(f) for f in schedule_ftes(terms))
        return Computation(None, f"Pas de barème pour {fte_label(profile.fte)} (barème : {choices}).", ["fte"])
    yearly = schedule_total(row, profile.years)
    value = sum(yearly, Decimal(0))
    terms_text = " + ".join(_euros(v) for v in yearly)
    equation = f"{terms_text} = {_euros(value)}" if len(yearly) > 1 else _euros(value)
    sentence = f"{equation} sur {_years(profile.years)} pour {fte_label(profile.fte)}"
    if terms.is_ceiling:
        sentence = f"Jusqu'à {sentence} (montants maximaux)"
    return Computation(value, sentence + ".", is_maximum=bool(terms.is_ceiling))


def ceiling(terms, *, years: int) -> Decimal | None:
    """The most ``terms`` can give over ``years`` years whatever the profile (``None``: not a figure)."""
    kind, amount, cap = terms.amount_kind, terms.amount, terms.cap
    if kind == AmountKind.UNSPECIFIED or amount is None:
        return None
    if kind in (AmountKind.ONE_OFF, AmountKind.TOTAL):
        return amount
    if kind == AmountKind.PERCENT:
        return cap
    if kind == AmountKind.MONTHLY:
        return amount * 12 * years
    if kind == AmountKind.YEARLY:
        return amount * years
    if kind == AmountKind.PER_HALF_DAY:
        return cap * 12 * years
    if kind == AmountKind.SCHEDULE:
        rows = (terms.schedule or {}).get("rows", [])
        return max(sum(schedule_total([Decimal(str(v)) for v in r["amounts"]], years), Decimal(0)) for r in rows)
    return None
