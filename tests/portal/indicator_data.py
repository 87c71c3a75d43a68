"""Small hand-made indicator values for dashboard, export and API tests (no generator, no aggregation).

Values are chosen so that each territory's figure is recognisable: ``value_for(territory, code, year)``
is what :func:`fill` stores, so tests can assert exact numbers.
"""

from __future__ import annotations

from territories.enums import Level
from territories.models import Indicator, IndicatorValue, Territory
from territories.services.indicators import sync_indicator_catalogue

YEARS = (2021, 2022, 2023, 2024, 2025)
# A public series ratio, a public count, a non-public share, a single-year public share.
SERIES = ("gp_density", "gp_count", "patients_without_gp_share")
LATEST_ONLY = ("pop_75_plus_share", "ald_share")


def france() -> Territory:
    return Territory.objects.get_or_create(
        level=Level.COUNTRY, code="FR", defaults={"name": "France", "population": 68_000_000}
    )[0]


def value_for(territory: Territory, code: str, year: int) -> float:
    """A distinct, predictable value per (territory, indicator, year)."""
    base = {"gp_density": 8.0, "gp_count": 10.0, "patients_without_gp_share": 11.0}.get(code, 20.0)
    return round(base + (territory.pk % 50) / 10 + (year - 2021) * 0.5, 1)


def fill(territories: list[Territory], *, masked: tuple[Territory, ...] = ()) -> dict[str, Indicator]:
    """Catalogue + values of :data:`SERIES` (5 years) and :data:`LATEST_ONLY` (2025) for ``territories``.

    Territories in ``masked`` get masked rows (value None) with a numerator of 7 and denominator 123 stored,
    as the aggregation does: pages must never show them.
    """
    indicators = sync_indicator_catalogue()
    rows = []
    for territory in territories:
        hidden = territory in masked
        for code in SERIES + LATEST_ONLY:
            for year in YEARS if code in SERIES else (2025,):
                rows.append(
                    IndicatorValue(
                        territory=territory,
                        indicator=indicators[code],
                        year=year,
                        value=None if hidden else value_for(territory, code, year),
                        numerator=7 if hidden else None,
                        denominator=123 if hidden else None,
                        is_masked=hidden,
                        is_demo=True,
                    )
                )
    IndicatorValue.objects.bulk_create(rows)
    return indicators


def skip_geometry(monkeypatch) -> None:
    """Factories make no contour (faster): the dashboard, its exports and the API never read geometry."""
    import tests.factories

    monkeypatch.setattr(tests.factories, "add_geometry", lambda territory: None)
