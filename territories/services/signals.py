"""Early-warning signals: default rules, rule evaluation and the bulk computation for all of France.

Contract of ``evaluate_signals``: reads the stored ``IndicatorValue`` rows in a constant number of queries
(whatever the number of territories), evaluates every active ``SignalRule`` for communes, EPCI,
départements and régions, and replaces the computed ``Signal`` rows of the territories it covers
(idempotent and deterministic: same values, same signals). Masked values (statistical secret) never
trigger a signal and are never shown: a masked reference prints as « secret statistique ».

Where it runs: ``manage.py evaluate_signals`` (which first calls ``sync_signal_rules``), to be run after
``generate_demo_data`` or any indicator import; the admin can re-run it after editing rules.

Comparison reference: a commune's or an EPCI's département, a département's région, a région's France.
Figures are compared as displayed (rounded to the indicator's decimals, gaps and changes to 0.1), so the
sentence shown can never contradict the threshold it quotes.
"""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from ..enums import SIGNAL_LEVEL_RANK, Level, ReportedSignalKind, ReportedSignalStatus, SignalComparison, SignalLevel
from ..models import Indicator, IndicatorValue, ReportedSignal, Signal, SignalRule, Territory
from ..models.signals import TREND_COMPARISONS
from ..signal_perms import can_follow_up, can_report_signal

EVALUATED_LEVELS = (Level.COMMUNE, Level.EPCI, Level.DEPARTMENT, Level.REGION)
FRANCE_CODE = "FR"
SECRET = "secret statistique"
NOT_AVAILABLE = "non disponible"
MINUS = "\u2212"
NBSP = "\u00a0"

# Reference territory of each level: (label, "par rapport …" phrase).
REFERENCE_OF = {
    Level.COMMUNE: ("département", "au département"),
    Level.EPCI: ("département", "au département"),
    Level.DEPARTMENT: ("région", "à la région"),
    Level.REGION: ("France", "à la France"),
}

# Default rules (CPAM booklet, « signaux d'alerte »). ``sync_signal_rules`` creates the missing ones and never
# overwrites a rule an administrator changed. Thresholds: national orders of magnitude in territories/catalogue.py
# (≈ 11 % of patients without médecin traitant, ≈ 10 % of 75+, APL < 2.5 « sous-dense »…).
DEFAULT_RULES: list[dict] = [
    {
        "code": "gp_60_plus_high",
        "label": "Médecins généralistes proches de la retraite",
        "indicator": "gp_60_plus_share",
        "comparison": SignalComparison.ABOVE_THRESHOLD,
        "vigilance_threshold": 30,
        "alert_threshold": 40,
        "explanation_template": "{value} des médecins généralistes ont 60 ans ou plus en {year} "
        "({reference_label} : {reference}).",
    },
    {
        "code": "gp_density_below_reference",
        "label": "Densité de médecins généralistes inférieure à la référence",
        "indicator": "gp_density",
        "comparison": SignalComparison.BELOW_REFERENCE,
        "vigilance_threshold": 15,
        "alert_threshold": 30,
        "explanation_template": "Densité de médecins généralistes de {value} en {year}, soit {gap} par rapport "
        "{compared_to} ({reference}).",
    },
    {
        "code": "gp_density_falling",
        "label": "Densité de médecins généralistes en baisse",
        "indicator": "gp_density",
        "comparison": SignalComparison.FALLING,
        "vigilance_threshold": 5,
        "alert_threshold": 10,
        "period_years": 4,
        "relative_change": True,
        "explanation_template": "La densité de médecins généralistes est passée de {start_value} en {start_year} "
        "à {value} en {year} ({change}).",
    },
    {
        "code": "gp_count_falling_5y",
        "label": "Nombre de médecins généralistes en baisse sur 5 ans",
        "indicator": "gp_count_evolution_5y",
        "comparison": SignalComparison.BELOW_THRESHOLD,
        "vigilance_threshold": -10,
        "alert_threshold": -20,
        "explanation_template": "Le nombre de médecins généralistes a évolué de {value} en 5 ans jusqu'en {year} "
        "({reference_label} : {reference}).",
    },
    {
        "code": "patients_without_gp_high",
        "label": "Patients sans médecin traitant nombreux",
        "indicator": "patients_without_gp_share",
        "comparison": SignalComparison.ABOVE_THRESHOLD,
        "vigilance_threshold": 11,
        "alert_threshold": 15,
        "explanation_template": "{value} des patients de 17 ans ou plus n'ont pas de médecin traitant en {year} "
        "({reference_label} : {reference}).",
    },
    {
        "code": "patients_without_gp_rising",
        "label": "Patients sans médecin traitant en hausse",
        "indicator": "patients_without_gp_share",
        "comparison": SignalComparison.RISING,
        "vigilance_threshold": 1,
        "alert_threshold": 2,
        "period_years": 4,
        "explanation_template": "La part des patients sans médecin traitant est passée de {start_value} en "
        "{start_year} à {value} en {year} ({change}).",
    },
    {
        "code": "ageing_75_plus",
        "label": "Population âgée",
        "indicator": "pop_75_plus_share",
        "comparison": SignalComparison.ABOVE_THRESHOLD,
        "vigilance_threshold": 12,
        "alert_threshold": 15,
        "explanation_template": "{value} des habitants ont 75 ans ou plus en {year} ({reference_label} : {reference}).",
    },
    {
        "code": "apl_low",
        "label": "Accessibilité aux médecins généralistes faible (APL)",
        "indicator": "apl_gp",
        "comparison": SignalComparison.BELOW_THRESHOLD,
        "vigilance_threshold": 2.5,
        "alert_threshold": 1.5,
        "explanation_template": "Accessibilité potentielle localisée de {value} en {year}, sous le seuil de "
        "sous-densité de 2,5 ({reference_label} : {reference}).",
    },
    {
        "code": "zip_zoning",
        "label": "Zone d'intervention prioritaire (ZIP)",
        "indicator": "zip_population_share",
        "comparison": SignalComparison.ABOVE_THRESHOLD,
        "alert_threshold": 0,
        "strict": True,
        "explanation_template": "{value} de la population vit en zone d'intervention prioritaire (ZIP) "
        "pour les médecins généralistes en {year}.",
    },
]


# --- Formatting (French) --------------------------------------------------------------------------------------


def format_number(value: float, decimals: int, *, signed: bool = False) -> str:
    """French number: « 1 234,5 », « −3,2 »; ``signed`` adds « + » to positive values."""
    rounded = round(value, decimals)
    text = f"{abs(rounded):,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    if rounded < 0:
        return MINUS + text
    return ("+" + text) if signed and rounded > 0 else text


@functools.lru_cache(maxsize=4096)
def format_threshold(value: float, *, signed: bool = False) -> str:
    """A threshold as typed by the admin: no useless decimals (« 30 », « 2,5 », « −10 »)."""
    decimals = 0 if float(value).is_integer() else len(repr(float(value)).split(".")[1])
    return format_number(value, min(decimals, 3), signed=signed)


def with_unit(number: str, unit: str) -> str:
    return f"{number}{NBSP}{unit}" if unit else number


def format_value(value: float, indicator: Indicator) -> str:
    return _format_value(value, indicator.decimals, indicator.unit)


@functools.lru_cache(maxsize=65_536)  # reference values repeat for every commune of a département
def _format_value(value: float, decimals: int, unit: str) -> str:
    return with_unit(format_number(value, decimals), unit)


# --- One rule on one territory (pure) --------------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """The figures a rule needs for one territory; ``None`` = missing; masked values are never passed here."""

    value: float
    year: int
    reference: float | None = None
    reference_masked: bool = False
    start: float | None = None
    start_year: int | None = None


@dataclass(frozen=True)
class Outcome:
    level: str
    threshold: float
    measure: float  # the compared figure: value, gap to the reference (%) or change
    comparison: str  # French text of the test that triggered the level


def _passes(measure: float, threshold: float, *, lower_is_worse: bool, strict: bool) -> bool:
    if lower_is_worse:
        return measure < threshold if strict else measure <= threshold
    return measure > threshold if strict else measure >= threshold


def measure_of(rule: SignalRule, obs: Observation) -> float | None:
    """The figure compared with the thresholds, rounded as displayed; ``None`` when it cannot be computed."""
    kind = rule.comparison
    if kind in (SignalComparison.ABOVE_THRESHOLD, SignalComparison.BELOW_THRESHOLD):
        return round(obs.value, rule.indicator.decimals)
    if kind in (SignalComparison.BELOW_REFERENCE, SignalComparison.ABOVE_REFERENCE):
        if obs.reference is None or obs.reference_masked or obs.reference <= 0:
            return None
        gap = (obs.value - obs.reference) / obs.reference * 100
        return round(-gap if kind == SignalComparison.BELOW_REFERENCE else gap, 1)
    if kind in (SignalComparison.RISING, SignalComparison.FALLING):
        if obs.start is None:
            return None
        if rule.relative_change:
            if obs.start <= 0:
                return None
            change = (obs.value - obs.start) / obs.start * 100
        else:
            change = obs.value - obs.start
        return round(change if kind == SignalComparison.RISING else -change, 1)
    return None


def evaluate_rule(rule: SignalRule, obs: Observation) -> Outcome | None:
    """The level ``rule`` gives to ``obs`` (alerte before vigilance), or ``None`` when nothing is triggered."""
    measure = measure_of(rule, obs)
    if measure is None:
        return None
    lower_is_worse = rule.comparison == SignalComparison.BELOW_THRESHOLD
    for level, threshold in (
        (SignalLevel.ALERT, rule.alert_threshold),
        (SignalLevel.VIGILANCE, rule.vigilance_threshold),
    ):
        if threshold is not None and _passes(measure, threshold, lower_is_worse=lower_is_worse, strict=rule.strict):
            return Outcome(
                level=level,
                threshold=threshold,
                measure=measure,
                comparison=_comparison_text(rule, obs, level, threshold, measure),
            )
    return None


def _comparison_text(rule: SignalRule, obs: Observation, level: str, threshold: float, measure: float) -> str:
    indicator = rule.indicator
    kind = rule.comparison
    seuil = "seuil d'alerte" if level == SignalLevel.ALERT else "seuil de vigilance"
    if kind in (SignalComparison.ABOVE_THRESHOLD, SignalComparison.BELOW_THRESHOLD):
        if kind == SignalComparison.ABOVE_THRESHOLD:
            op = ">" if rule.strict else "≥"
        else:
            op = "<" if rule.strict else "≤"
        return f"{format_value(obs.value, indicator)} {op} {with_unit(format_threshold(threshold), indicator.unit)} ({seuil})"
    if kind in (SignalComparison.BELOW_REFERENCE, SignalComparison.ABOVE_REFERENCE):
        gap = -measure if kind == SignalComparison.BELOW_REFERENCE else measure
        limit = -threshold if kind == SignalComparison.BELOW_REFERENCE else threshold
        op = (
            ("<" if rule.strict else "≤") if kind == SignalComparison.BELOW_REFERENCE else (">" if rule.strict else "≥")
        )
        return f"écart {format_number(gap, 1, signed=True)}{NBSP}% {op} {format_threshold(limit, signed=True)}{NBSP}% ({seuil})"
    # Rising / falling: the size of the change, unsigned (« baisse de 16,7 % en 4 ans ≥ 10 % »).
    unit = "%" if rule.relative_change else ("points" if indicator.unit == "%" else indicator.unit)
    word = "hausse" if kind == SignalComparison.RISING else "baisse"
    return (
        f"{word} de {with_unit(format_number(measure, 1), unit)} en {rule.period_years} ans {'>' if rule.strict else '≥'} "
        f"{with_unit(format_threshold(threshold), unit)} ({seuil})"
    )


class _Blank(dict):
    def __missing__(self, key):
        return ""


def explain(rule: SignalRule, obs: Observation, *, territory_name: str, territory_level: str) -> str:
    """The rule's French sentence filled with the figures (a masked reference prints « secret statistique »)."""
    indicator = rule.indicator
    label, compared_to = REFERENCE_OF.get(Level(territory_level), ("", ""))
    if obs.reference_masked:
        reference = SECRET
    elif obs.reference is None:
        reference = NOT_AVAILABLE
    else:
        reference = format_value(obs.reference, indicator)
    gap = ""
    if obs.reference and not obs.reference_masked and obs.reference > 0:
        gap = format_number((obs.value - obs.reference) / obs.reference * 100, 1, signed=True) + NBSP + "%"
    change = ""
    if obs.start is not None:
        if rule.relative_change and obs.start > 0:
            change = format_number((obs.value - obs.start) / obs.start * 100, 1, signed=True) + NBSP + "%"
        else:
            unit = "points" if indicator.unit == "%" else indicator.unit
            change = with_unit(format_number(obs.value - obs.start, indicator.decimals, signed=True), unit)
    fields = _Blank(
        territory=territory_name,
        value=format_value(obs.value, indicator),
        year=str(obs.year),
        reference=reference,
        reference_label=label,
        compared_to=compared_to,
        gap=gap,
        start_value=format_value(obs.start, indicator) if obs.start is not None else "",
        start_year=str(obs.start_year or ""),
        change=change,
        period=str(rule.period_years or ""),
        threshold=format_threshold(
            rule.alert_threshold if rule.alert_threshold is not None else rule.vigilance_threshold
        ),
    )
    try:
        sentence = rule.explanation_template.format_map(fields)
    except (ValueError, IndexError, AttributeError):  # a malformed template typed in the admin: fall back
        sentence = f"{indicator.label} : {fields['value']} en {obs.year}."
    return sentence[:1].upper() + sentence[1:]


# --- Rules ------------------------------------------------------------------------------------------------------


@transaction.atomic
def sync_signal_rules() -> dict[str, int]:
    """Create the default rules that are missing (idempotent; existing rules, possibly edited, are kept).

    Rules whose indicator is not in the catalogue yet are skipped (run ``sync_indicator_catalogue`` first).
    """
    indicators = {i.code: i for i in Indicator.objects.filter(code__in={r["indicator"] for r in DEFAULT_RULES})}
    existing = set(SignalRule.objects.values_list("code", flat=True))
    created = skipped = 0
    for position, entry in enumerate(DEFAULT_RULES, start=1):
        if entry["code"] in existing:
            continue
        indicator = indicators.get(entry["indicator"])
        if indicator is None:
            skipped += 1
            continue
        rule = SignalRule(**{**entry, "indicator": indicator, "position": position * 10})
        rule.full_clean()
        rule.save()
        created += 1
    return {"created": created, "skipped": skipped, "existing": len(existing)}


# --- Bulk evaluation --------------------------------------------------------------------------------------------


@dataclass
class EvaluationReport:
    territories: int
    signals: int
    by_level: dict[str, int]
    duration_s: float


@transaction.atomic
def evaluate_signals(*, territories: Iterable[Territory] | None = None) -> EvaluationReport:
    """Compute the signals of ``territories`` (default: every commune, EPCI, département and région).

    Replaces the stored signals of those territories. Queries: rules, territories, latest years, France,
    values, delete, one ``executemany`` insert, whatever the number of territories. Rows are plain tuples
    from end to end (no model instance per value or per signal): that is what keeps all of France fast.
    """
    started = time.perf_counter()
    rules = list(SignalRule.objects.filter(is_active=True).select_related("indicator").order_by("position", "code"))
    targets = Territory.objects.filter(level__in=EVALUATED_LEVELS)
    if territories is not None:
        targets = targets.filter(pk__in=[t.pk for t in territories])
    target_rows = list(targets.order_by("pk").values_list("id", "level", "name", "department_id", "region_id"))
    target_ids = [row[0] for row in target_rows]
    rows: list[tuple] = []

    if rules and target_rows:
        indicator_ids = {r.indicator_id for r in rules}
        latest = dict(
            IndicatorValue.objects.filter(indicator_id__in=indicator_ids)
            .order_by()
            .values("indicator_id")
            .annotate(last=Max("year"))
            .values_list("indicator_id", "last")
        )
        years = set(latest.values())
        for rule in rules:
            if rule.comparison in TREND_COMPARISONS and rule.indicator_id in latest:
                years.add(latest[rule.indicator_id] - rule.period_years)
        france_id = Territory.objects.filter(level=Level.COUNTRY, code=FRANCE_CODE).values_list("id", flat=True).first()
        reference_of = {
            tid: france_id if level == Level.REGION else region_id if level == Level.DEPARTMENT else department_id
            for tid, level, _, department_id, region_id in target_rows
        }
        values = IndicatorValue.objects.filter(indicator_id__in=indicator_ids, year__in=years)
        if territories is not None:
            values = values.filter(territory_id__in=set(target_ids) | {r for r in reference_of.values() if r})
        sql, params = values.values_list(
            "territory_id", "indicator_id", "year", "value", "is_masked", "is_demo"
        ).query.sql_with_params()
        # (territory, indicator, year) → (value, is_masked, is_demo); raw cursor: no per-row converters.
        table: dict[tuple[int, int, int], tuple] = {}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(50_000):
                for tid, iid, year, value, masked, demo in chunk:
                    table[(tid, iid, year)] = (value, masked, demo)
        computed_at = connection.ops.adapt_datetimefield_value(timezone.now())
        for rule in rules:
            iid = rule.indicator_id
            year = latest.get(iid)
            if year is None:
                continue
            start_year = year - rule.period_years if rule.comparison in TREND_COMPARISONS else None
            for tid, level, name, _, _ in target_rows:
                row = table.get((tid, iid, year))
                if row is None or row[1] or row[0] is None:  # missing or masked: nothing is said
                    continue
                ref_id = reference_of[tid]
                ref = table.get((ref_id, iid, year)) if ref_id else None
                ref_visible = ref is not None and not ref[1] and ref[0] is not None
                demo = bool(row[2] or (ref_visible and ref[2]))
                start_value = None
                if start_year is not None:
                    start = table.get((tid, iid, start_year))
                    if start is None or start[1] or start[0] is None:
                        continue
                    start_value = start[0]
                    demo = demo or bool(start[2])
                obs = Observation(
                    value=row[0],
                    year=year,
                    reference=ref[0] if ref_visible else None,
                    reference_masked=bool(ref and ref[1]),
                    start=start_value,
                    start_year=start_year if start_value is not None else None,
                )
                outcome = evaluate_rule(rule, obs)
                if outcome is None:
                    continue
                rows.append(
                    (
                        tid,
                        rule.pk,
                        str(outcome.level),
                        SIGNAL_LEVEL_RANK[outcome.level],
                        year,
                        obs.value,
                        obs.reference,
                        REFERENCE_OF[level][0] if obs.reference is not None else "",
                        obs.start_year,
                        obs.start,
                        explain(rule, obs, territory_name=name, territory_level=level),
                        outcome.comparison[:200],
                        demo,
                        computed_at,
                    )
                )

    stale = Signal.objects.all() if territories is None else Signal.objects.filter(territory_id__in=target_ids)
    stale.delete()
    _insert(rows)
    by_level: dict[str, int] = defaultdict(int)
    for row in rows:
        by_level[row[2]] += 1
    return EvaluationReport(
        territories=len(target_rows),
        signals=len(rows),
        by_level=dict(by_level),
        duration_s=round(time.perf_counter() - started, 2),
    )


INSERT_FIELDS = [
    "territory_id",
    "rule_id",
    "level",
    "severity",
    "year",
    "value",
    "reference_value",
    "reference_label",
    "start_year",
    "start_value",
    "explanation",
    "comparison",
    "is_demo",
    "computed_at",
]


def _insert(rows: list[tuple]) -> None:
    """One ``executemany`` (SQLite's 999-parameter limit would cut ``bulk_create`` into a query per ~70 rows;
    psycopg 3 pipelines ``executemany`` on PostgreSQL)."""
    if not rows:
        return
    columns = ", ".join(connection.ops.quote_name(Signal._meta.get_field(name).column) for name in INSERT_FIELDS)
    placeholders = ", ".join(["%s"] * len(INSERT_FIELDS))
    table = connection.ops.quote_name(Signal._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)


# --- Reported signals -------------------------------------------------------------------------------------------

REPORTED_TEXT_MAX = 2_000


@transaction.atomic
def report_signal(*, user, territory: Territory, kind: str, text: str) -> ReportedSignal:
    """Record a weak signal reported by ``user`` on ``territory`` (see ``signal_perms.can_report_signal``)."""
    if not can_report_signal(user, territory):
        raise PermissionDenied("Vous ne pouvez pas signaler sur ce territoire.")
    text = (text or "").strip()
    errors = {}
    if kind not in ReportedSignalKind.values:
        errors["kind"] = "Choisissez la nature du signal."
    if not text:
        errors["text"] = "Décrivez la situation constatée."
    elif len(text) > REPORTED_TEXT_MAX:
        errors["text"] = f"La description ne doit pas dépasser {REPORTED_TEXT_MAX} caractères."
    if errors:
        raise ValidationError(errors)
    return ReportedSignal.objects.create(territory=territory, kind=kind, text=text, author=user)


@transaction.atomic
def set_reported_signal_status(*, user, reported: ReportedSignal, status: str) -> ReportedSignal:
    """Change the follow-up status (referent of the département or administrator); history keeps the change."""
    if not can_follow_up(user, reported):
        raise PermissionDenied("Seul le référent CPAM du département peut changer le statut de ce signal.")
    if status not in ReportedSignalStatus.values:
        raise ValidationError({"status": "Statut inconnu."})
    if status != reported.status:
        reported.status = status
        reported.status_changed_at = timezone.now()
        reported.status_changed_by = user
        reported.save(update_fields=["status", "status_changed_at", "status_changed_by"])
    return reported
