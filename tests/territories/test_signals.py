"""Early-warning signals: rules on hand-made values, bulk evaluation, idempotence, query counts."""

import pytest
from django.core.exceptions import ValidationError

from territories.enums import SignalComparison, SignalLevel
from territories.models import Indicator, Signal, SignalRule
from territories.services.signals import (
    DEFAULT_RULES,
    Observation,
    evaluate_rule,
    evaluate_signals,
    explain,
    format_number,
    sync_signal_rules,
)
from tests.factories import build_hierarchy

from .signals_fixtures import load_rules, set_value

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules():
    load_rules()
    return {r.code: r for r in SignalRule.objects.select_related("indicator")}


def obs(value, **kw):
    return Observation(value=value, year=2025, **kw)


# --- Rules --------------------------------------------------------------------------------------------------------


def test_sync_signal_rules_is_idempotent_and_keeps_admin_changes():
    load_rules()
    assert SignalRule.objects.count() == len(DEFAULT_RULES)
    rule = SignalRule.objects.get(code="gp_60_plus_high")
    rule.alert_threshold = 45
    rule.save()
    report = sync_signal_rules()
    assert report == {"created": 0, "skipped": 0, "existing": len(DEFAULT_RULES)}
    assert SignalRule.objects.get(code="gp_60_plus_high").alert_threshold == 45
    assert rule.history.count() == 2  # creation + the admin's change


def test_sync_signal_rules_skips_rules_whose_indicator_is_missing():
    assert sync_signal_rules()["skipped"] == len(DEFAULT_RULES)
    assert not SignalRule.objects.exists()


def test_above_threshold_levels(rules):
    rule = rules["gp_60_plus_high"]  # vigilance ≥ 30 %, alerte ≥ 40 %
    assert evaluate_rule(rule, obs(29.9)) is None
    assert evaluate_rule(rule, obs(30.0)).level == SignalLevel.VIGILANCE
    assert evaluate_rule(rule, obs(39.9)).level == SignalLevel.VIGILANCE
    outcome = evaluate_rule(rule, obs(40.0))
    assert outcome.level == SignalLevel.ALERT
    assert outcome.comparison == "40,0\u00a0% ≥ 40\u00a0% (seuil d'alerte)"
    # Compared as displayed: 39.96 shows as « 40,0 % », so it is an alerte (the sentence never contradicts it).
    assert evaluate_rule(rule, obs(39.96)).level == SignalLevel.ALERT


def test_below_threshold_levels(rules):
    rule = rules["apl_low"]  # vigilance ≤ 2.5, alerte ≤ 1.5
    assert evaluate_rule(rule, obs(3.3)) is None
    assert evaluate_rule(rule, obs(2.5)).level == SignalLevel.VIGILANCE
    assert evaluate_rule(rule, obs(1.2)).level == SignalLevel.ALERT


def test_strict_threshold_for_zip_zoning(rules):
    rule = rules["zip_zoning"]  # alerte when > 0 % of the population is in a ZIP
    assert evaluate_rule(rule, obs(0.0)) is None
    assert evaluate_rule(rule, obs(12.5)).level == SignalLevel.ALERT
    assert evaluate_rule(rule, obs(100.0)).comparison == "100,0\u00a0% > 0\u00a0% (seuil d'alerte)"


def test_below_reference_compares_with_the_department(rules):
    rule = rules["gp_density_below_reference"]  # vigilance −15 %, alerte −30 %
    assert evaluate_rule(rule, obs(7.0, reference=8.0)) is None  # −12.5 %
    assert evaluate_rule(rule, obs(6.8, reference=8.0)).level == SignalLevel.VIGILANCE  # exactly −15 %
    outcome = evaluate_rule(rule, obs(5.0, reference=8.0))  # −37.5 %
    assert outcome.level == SignalLevel.ALERT
    assert outcome.comparison == "écart −37,5\u00a0% ≤ −30\u00a0% (seuil d'alerte)"
    assert evaluate_rule(rule, obs(12.0, reference=8.0)) is None  # above the département
    assert evaluate_rule(rule, obs(5.0)) is None  # no reference, no comparison
    assert evaluate_rule(rule, obs(5.0, reference=0.0)) is None


def test_rising_in_points_and_falling_in_percent(rules):
    rising = rules["patients_without_gp_rising"]  # +1 / +2 points over 4 years
    assert evaluate_rule(rising, obs(12.0, start=11.5, start_year=2021)) is None
    assert evaluate_rule(rising, obs(12.5, start=11.5, start_year=2021)).level == SignalLevel.VIGILANCE
    outcome = evaluate_rule(rising, obs(14.0, start=11.5, start_year=2021))
    assert outcome.level == SignalLevel.ALERT
    assert outcome.comparison == "hausse de 2,5\u00a0points en 4 ans ≥ 2\u00a0points (seuil d'alerte)"
    assert evaluate_rule(rising, obs(10.0, start=12.0, start_year=2021)) is None  # falling is not rising

    falling = rules["gp_density_falling"]  # −5 % / −10 % (relative) over 4 years
    assert evaluate_rule(falling, obs(9.6, start=10.0, start_year=2021)) is None  # −4 %
    assert evaluate_rule(falling, obs(9.5, start=10.0, start_year=2021)).level == SignalLevel.VIGILANCE
    assert evaluate_rule(falling, obs(8.0, start=10.0, start_year=2021)).level == SignalLevel.ALERT
    assert evaluate_rule(falling, obs(8.0)) is None  # no start value


def test_explanation_sentence_with_the_figures(rules):
    rule = rules["gp_60_plus_high"]
    sentence = explain(rule, obs(42.0, reference=31.0), territory_name="Voiron", territory_level="commune")
    assert sentence == "42,0\u00a0% des médecins généralistes ont 60 ans ou plus en 2025 (département : 31,0\u00a0%)."
    masked_reference = explain(
        rule, obs(42.0, reference_masked=True), territory_name="Voiron", territory_level="commune"
    )
    assert "(département : secret statistique)" in masked_reference
    density = explain(
        rules["gp_density_below_reference"],
        obs(5.0, reference=8.0),
        territory_name="Isère",
        territory_level="department",
    )
    assert density == (
        "Densité de médecins généralistes de 5,0\u00a0pour 10 000 habitants en 2025, soit −37,5\u00a0% "
        "par rapport à la région (8,0\u00a0pour 10 000 habitants)."
    )


def test_format_number_is_french():
    assert format_number(1234.56, 1) == "1\u202f234,6"
    assert format_number(-3.21, 1) == "\u22123,2"
    assert format_number(2.0, 1, signed=True) == "+2,0"
    assert format_number(-0.01, 1, signed=True) == "0,0"


def test_rule_clean_gives_french_errors(rules):
    indicator = Indicator.objects.get(code="gp_density")
    rule = SignalRule(
        code="x",
        label="x",
        indicator=indicator,
        comparison=SignalComparison.FALLING,
        vigilance_threshold=10,
        alert_threshold=5,
        explanation_template="{value} {inconnu}",
    )
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    messages = error.value.message_dict
    assert messages["alert_threshold"] == [
        "Le seuil d'alerte doit être plus sévère que le seuil de vigilance (plus élevé)."
    ]
    assert messages["period_years"] == ["Indiquez la période (en années) de la hausse ou de la baisse."]
    assert messages["explanation_template"] == ["Champ(s) inconnu(s) : {inconnu}"]


# --- Bulk evaluation ----------------------------------------------------------------------------------------------


@pytest.fixture
def tree(rules):
    """A département at 31 % of GPs aged 60+ and 8 GPs per 10,000; communes A (worrying), B (fine), C (masked)."""
    tree = build_hierarchy(communes=3, with_geometry=False)
    a, b, c = tree.communes
    set_value(tree.department, "gp_60_plus_share", 31.0)
    set_value(tree.department, "gp_density", 8.0)
    set_value(tree.epci, "gp_60_plus_share", 35.0)
    set_value(a, "gp_60_plus_share", 42.0)
    set_value(a, "gp_density", 5.0)
    set_value(a, "gp_density", 6.0, year=2021)
    set_value(a, "zip_population_share", 100.0)
    set_value(b, "gp_60_plus_share", 20.0)
    set_value(b, "gp_density", 9.0)
    set_value(b, "zip_population_share", 0.0)
    set_value(c, "gp_60_plus_share", None, masked=True)
    set_value(c, "gp_density", 2.0)
    set_value(c, "gp_density", None, year=2021, masked=True)
    return tree


def stored(territory):
    return {
        (s.rule.code, s.level): s
        for s in Signal.objects.filter(territory=territory).select_related("rule", "rule__indicator")
    }


def test_evaluate_signals_for_all_levels(tree):
    report = evaluate_signals()
    a, b, c = tree.communes
    signals_a = stored(a)
    assert set(signals_a) == {
        ("gp_60_plus_high", SignalLevel.ALERT),
        ("gp_density_below_reference", SignalLevel.ALERT),
        ("gp_density_falling", SignalLevel.ALERT),
        ("zip_zoning", SignalLevel.ALERT),
    }
    ageing = signals_a[("gp_60_plus_high", SignalLevel.ALERT)]
    assert ageing.explanation == (
        "42,0\u00a0% des médecins généralistes ont 60 ans ou plus en 2025 (département : 31,0\u00a0%)."
    )
    assert (ageing.value, ageing.reference_value, ageing.year, ageing.is_demo) == (42.0, 31.0, 2025, True)
    assert ageing.severity == 3
    assert stored(b) == {}
    assert set(stored(tree.epci)) == {("gp_60_plus_high", SignalLevel.VIGILANCE)}
    assert set(stored(tree.department)) == {("gp_60_plus_high", SignalLevel.VIGILANCE)}  # région: no value
    assert report.territories == 6  # région, département, EPCI, 3 communes
    assert report.signals == Signal.objects.count()


def test_masked_values_never_trigger_nor_show(tree):
    evaluate_signals()
    c = tree.communes[2]
    # C's share of GPs aged 60+ is masked, its 2021 density too: only the density gap remains.
    assert set(stored(c)) == {("gp_density_below_reference", SignalLevel.ALERT)}
    # A masked reference (the département) prevents a comparison with it, and is never printed as a number.
    set_value(tree.department, "gp_density", None, masked=True)
    set_value(tree.department, "gp_60_plus_share", None, masked=True)
    evaluate_signals()
    a = tree.communes[0]
    assert ("gp_density_below_reference", SignalLevel.ALERT) not in stored(a)
    assert "(département : secret statistique)" in stored(a)[("gp_60_plus_high", SignalLevel.ALERT)].explanation
    assert not Signal.objects.filter(territory=tree.department).exists()


def test_evaluate_signals_is_idempotent_and_deterministic(tree):
    def snapshot():
        return sorted(
            Signal.objects.values_list("territory_id", "rule__code", "level", "value", "explanation", "comparison")
        )

    evaluate_signals()
    first = snapshot()
    evaluate_signals()
    assert snapshot() == first
    # A change in a value shows at the next run; stale signals disappear.
    set_value(tree.communes[0], "zip_population_share", 0.0)
    evaluate_signals()
    assert ("zip_zoning", SignalLevel.ALERT) not in stored(tree.communes[0])
    assert len(snapshot()) == len(first) - 1


def test_evaluate_signals_for_some_territories_leaves_the_others(tree):
    evaluate_signals()
    a, b, c = tree.communes
    before_epci = set(stored(tree.epci))
    set_value(b, "gp_60_plus_share", 45.0)
    set_value(tree.epci, "gp_60_plus_share", 20.0)
    report = evaluate_signals(territories=[b])
    assert report.territories == 1
    assert set(stored(b)) == {("gp_60_plus_high", SignalLevel.ALERT)}
    assert set(stored(tree.epci)) == before_epci  # not re-evaluated
    assert stored(a)


def test_inactive_rules_are_not_evaluated(tree):
    SignalRule.objects.filter(code="zip_zoning").update(is_active=False)
    evaluate_signals()
    assert not Signal.objects.filter(rule__code="zip_zoning").exists()


@pytest.mark.parametrize("communes", [3, 30])
def test_evaluate_signals_runs_a_constant_number_of_queries(rules, communes, django_assert_num_queries):
    tree = build_hierarchy(communes=communes, with_geometry=False)
    set_value(tree.department, "gp_density", 8.0)
    for commune in tree.communes:
        set_value(commune, "gp_60_plus_share", 45.0)
        set_value(commune, "gp_density", 4.0)
        set_value(commune, "gp_density", 6.0, year=2021)
    # savepoint, rules, territories, latest years, France, values, delete, insert, release.
    with django_assert_num_queries(9):
        report = evaluate_signals()
    assert report.signals == 3 * communes
