"""Helpers for the signals tests: the real indicator catalogue and default rules, and hand-made values."""

from __future__ import annotations

from territories.models import Indicator, IndicatorValue, Territory
from territories.services.indicators import sync_indicator_catalogue
from territories.services.signals import sync_signal_rules


def load_rules() -> dict[str, Indicator]:
    indicators = sync_indicator_catalogue()
    sync_signal_rules()
    return indicators


def set_value(
    territory: Territory, code: str, value: float | None, *, year: int = 2025, masked: bool = False, demo: bool = True
) -> IndicatorValue:
    """Store one value (a masked value is stored without value, as the aggregation does)."""
    return IndicatorValue.objects.update_or_create(
        territory=territory,
        indicator=Indicator.objects.get(code=code),
        year=year,
        defaults={"value": None if masked else value, "is_masked": masked, "is_demo": demo},
    )[0]
