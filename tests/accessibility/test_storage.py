"""Computed accessibility stored as indicators, aggregated with population weights, recomputed on supply change."""

import pytest

from accessibility import services
from accessibility.indicators import APL_COMPUTED, APL_OUTLOOK_CHANGE, OUTLOOK_RULE
from territories.models import DataSource, Indicator, IndicatorValue, Signal, SignalRule
from territories.services.indicators import generate_demo_data

from .conftest import YEAR, stored


def test_store_writes_commune_values_and_population_weighted_parents(world):
    source = services.store_france()
    communes = world.communes
    values = {name: stored(APL_COMPUTED, c) for name, c in communes.items()}
    assert values["Pôle"] > values["Hameau"] > 0
    assert values["Lointaine"] == 0  # no GP within 30 minutes
    assert stored(APL_COMPUTED, world.nowhere) is None  # no coordinates: no value rather than a wrong one
    e1 = [communes[n] for n in ("Pôle", "Voisine", "Hameau")]
    expected = sum(values[c.name] * c.population for c in e1) / sum(c.population for c in e1)
    assert stored(APL_COMPUTED, world.e1) == pytest.approx(expected)
    indicator = Indicator.objects.get(code=APL_COMPUTED)
    assert indicator.vintage == f"offre de médecins {YEAR} (démonstration)" and indicator.is_demo
    assert source.name == services.SOURCE_NAME and source.row_counts["annee_offre"] == YEAR
    # Idempotent: a second run replaces the same rows.
    count = IndicatorValue.objects.filter(indicator=indicator).count()
    services.store_france()
    assert IndicatorValue.objects.filter(indicator=indicator).count() == count


def test_outlook_is_a_fall_where_old_gps_leave_and_raises_the_signal(world):
    from territories.services.signals import evaluate_signals

    services.store_france()
    assert stored(APL_OUTLOOK_CHANGE, world.communes["Pôle"]) < -40  # 12 of 18 GPs are 60+: 3/4 of them leave
    assert stored(APL_OUTLOOK_CHANGE, world.communes["Bourg"]) > stored(APL_OUTLOOK_CHANGE, world.communes["Pôle"])
    assert SignalRule.objects.get(code=OUTLOOK_RULE).label == "Risque de baisse de l'accessibilité"
    evaluate_signals()
    signal = Signal.objects.get(rule__code=OUTLOOK_RULE, territory=world.communes["Pôle"])
    assert signal.level == "alert" and "67 ans" in signal.explanation


def test_the_admins_rule_is_never_overwritten(world):
    services.store_france()
    SignalRule.objects.filter(code=OUTLOOK_RULE).update(alert_threshold=-50)
    services.store_france()
    assert SignalRule.objects.get(code=OUTLOOK_RULE).alert_threshold == -50


def test_a_real_supply_load_makes_the_indicator_real(world):
    for commune in world.communes.values():
        world.set_supply(commune, 2, 0, is_demo=False)
    services.store_france()
    indicator = Indicator.objects.get(code=APL_COMPUTED)
    assert not indicator.is_demo and "RPPS" in indicator.source
    assert not IndicatorValue.objects.filter(indicator=indicator, is_demo=True).exists()


def test_demo_generation_recomputes_on_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        generate_demo_data(seed=7)
    assert DataSource.objects.filter(name=services.SOURCE_NAME).exists()
    assert IndicatorValue.objects.filter(indicator__code=APL_COMPUTED, year=2025).exists()


def test_nothing_to_compute_is_a_french_error(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Aucun effectif"):
        services.store_france()
