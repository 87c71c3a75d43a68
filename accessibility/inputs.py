"""What the accessibility engine reads from the portal's data: communes, their demand and the GP supply.

``gp_supply`` is the one place the supply comes from: the stored commune values of the ``gp_count`` indicator
(libéral and mixte GPs by commune of main practice) and the count behind ``gp_60_plus_share``. Those rows
are the demonstration generator's until a real RPPS extraction is loaded through the indicator importers,
which replaces them figure by figure: the engine then uses the real counts without any change here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db.models import Q

from territories.enums import Level
from territories.models import Indicator, IndicatorValue, Territory

from .engine import project, standardised_population

GP_COUNT = "gp_count"
GP_60_PLUS = "gp_60_plus_share"
POP_60_PLUS = "pop_60_plus_share"
POP_75_PLUS = "pop_75_plus_share"
# Full-time equivalents per GP in the headcount: the portal holds headcounts (RPPS) but not the activity data
# (Assurance Maladie) DREES turns into FTE; one GP counts as one FTE.
FTE_PER_GP = 1.0
RETIREMENT_AGE = 67
OUTLOOK_YEARS = 5
# GPs aged 60 or more who reach 67 within 5 years (aged 62 or more now), when ages are only known by band
# (« 60 ans ou plus »): the band taken as spread evenly over 60–67, those still practising past 67 leaving too.
SHARE_OF_60_PLUS_LEAVING_IN_5_YEARS = 6 / 8


@dataclass(frozen=True)
class GpSupply:
    """GP supply by commune id for one year: FTE now and FTE that reach ``RETIREMENT_AGE`` within 5 years."""

    year: int | None
    fte: pd.Series  # commune id → FTE
    leaving_5y: pd.Series  # commune id → FTE expected to retire within OUTLOOK_YEARS (0 where ages are unknown)
    aged_60_plus: pd.Series  # commune id → GPs aged 60 or more (NaN where ages are unknown)
    is_demo: bool
    has_ages: bool


def _indicator_id(code: str) -> int | None:
    return Indicator.objects.filter(code=code).values_list("id", flat=True).first()


def latest_commune_year(code: str) -> int | None:
    """The latest year with values of ``code`` (parents are computed from communes: same years)."""
    indicator = _indicator_id(code)
    if indicator is None:
        return None
    # Backward scan of the (indicator, year) index: one row read.
    return (
        IndicatorValue.objects.filter(indicator_id=indicator).order_by("-year").values_list("year", flat=True).first()
    )


def _commune_values(years: dict[str, int | None], commune_ids=None) -> dict[str, pd.DataFrame]:
    """Commune rows (numerator, denominator, is_demo by territory id) of several (indicator, year), one query."""
    columns = ["territory", "numerator", "denominator", "is_demo"]
    ids = dict(Indicator.objects.filter(code__in=list(years)).values_list("code", "id"))
    condition = Q()
    for code, year in years.items():
        if year is not None and code in ids:
            condition |= Q(indicator_id=ids[code], year=year)
    out = {code: pd.DataFrame(columns=columns).set_index("territory") for code in years}
    if not condition:
        return out
    rows = IndicatorValue.objects.filter(condition)
    if commune_ids is None:
        rows = rows.filter(territory__level=Level.COMMUNE)
    else:
        rows = rows.filter(territory_id__in=list(commune_ids))
    frame = pd.DataFrame(list(rows.values_list("indicator_id", *columns)), columns=["indicator", *columns])
    frame[["numerator", "denominator"]] = frame[["numerator", "denominator"]].astype(float)
    for code, indicator in ids.items():
        out[code] = frame[frame["indicator"] == indicator].drop(columns="indicator").set_index("territory")
    return out


def _commune_rows(code: str, year: int | None, commune_ids=None) -> pd.DataFrame:
    return _commune_values({code: year}, commune_ids)[code]


def _supply_from(values: dict[str, pd.DataFrame], year: int | None) -> GpSupply:
    counts, ages = values[GP_COUNT], values[GP_60_PLUS]
    fte = counts["numerator"].fillna(0) * FTE_PER_GP
    aged = ages["numerator"].reindex(fte.index)
    leaving = np.minimum(aged.fillna(0) * SHARE_OF_60_PLUS_LEAVING_IN_5_YEARS * FTE_PER_GP, fte)
    return GpSupply(
        year=year,
        fte=fte,
        leaving_5y=leaving,
        aged_60_plus=aged,
        is_demo=bool(counts["is_demo"].any()) if len(counts) else False,
        has_ages=len(ages) > 0,
    )


def gp_supply(*, year: int | None = None, commune_ids=None) -> GpSupply:
    """GP FTE by commune (latest year of ``gp_count`` unless ``year``), optionally for some communes only."""
    year = year or latest_commune_year(GP_COUNT)
    return _supply_from(_commune_values({GP_COUNT: year, GP_60_PLUS: year}, commune_ids), year)


@dataclass(frozen=True)
class Communes:
    """The communes of a computation, in a fixed order (by INSEE code), with what the engine needs."""

    frame: pd.DataFrame  # id, code, name, department, population, latitude, longitude, x, y, demand

    @property
    def ids(self) -> np.ndarray:
        return self.frame["id"].to_numpy()

    def __len__(self) -> int:
        return len(self.frame)


def _commune_frame(queryset) -> pd.DataFrame:
    columns = ["id", "code", "name", "department", "population", "latitude", "longitude"]
    frame = pd.DataFrame(
        list(
            queryset.values_list(
                "id", "code", "name", "department__code", "population", "centroid_lat", "centroid_lon"
            ).order_by("code")
        ),
        columns=columns,
    )
    frame[["latitude", "longitude"]] = frame[["latitude", "longitude"]].astype(float)
    frame["x"], frame["y"] = project(
        frame["latitude"].to_numpy(), frame["longitude"].to_numpy(), frame["department"].fillna("").to_numpy()
    )
    return frame


def _with_demand(frame: pd.DataFrame, values: dict[str, pd.DataFrame]) -> Communes:
    ids = frame["id"].to_numpy()
    shares = {
        code: (values[code]["numerator"] / values[code]["denominator"]).reindex(ids).to_numpy()
        for code in (POP_60_PLUS, POP_75_PLUS)
    }
    frame["demand"] = standardised_population(
        frame["population"].to_numpy(dtype=float), shares[POP_60_PLUS], shares[POP_75_PLUS]
    )
    return Communes(frame=frame)


def load_communes(queryset=None) -> Communes:
    """Communes (all of France by default) with projected centroids and standardised population (demand).

    Demand = légale population × relative GP consumption of its age structure (latest age shares stored;
    France's structure where a commune has none).
    """
    return load_window(queryset)[0]


def load_window(queryset=None, *, year: int | None = None) -> tuple[Communes, GpSupply]:
    """``load_communes`` and ``gp_supply`` of the same communes, with one query for all their values."""
    frame = _commune_frame(Territory.objects.communes() if queryset is None else queryset)
    year = year or latest_commune_year(GP_COUNT)
    years = {POP_60_PLUS: latest_commune_year(POP_60_PLUS), POP_75_PLUS: latest_commune_year(POP_75_PLUS)}
    years |= {GP_COUNT: year, GP_60_PLUS: year}
    ids = frame["id"].tolist() if queryset is not None else None
    values = _commune_values(years, ids)
    return _with_demand(frame, values), _supply_from(values, year)
