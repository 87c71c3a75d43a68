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
from django.db.models import Max

from territories.enums import Level
from territories.models import IndicatorValue, Territory

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


def latest_commune_year(code: str) -> int | None:
    return IndicatorValue.objects.filter(indicator__code=code, territory__level=Level.COMMUNE).aggregate(
        last=Max("year")
    )["last"]


def _commune_rows(code: str, year: int | None, commune_ids=None) -> pd.DataFrame:
    columns = ["territory", "numerator", "denominator", "is_demo"]
    if year is None:
        return pd.DataFrame(columns=columns)
    rows = IndicatorValue.objects.filter(indicator__code=code, year=year, territory__level=Level.COMMUNE)
    if commune_ids is not None:
        rows = rows.filter(territory_id__in=list(commune_ids))
    frame = pd.DataFrame(list(rows.values_list(*columns)), columns=columns)
    frame[["numerator", "denominator"]] = frame[["numerator", "denominator"]].astype(float)
    return frame.set_index("territory")


def gp_supply(*, year: int | None = None, commune_ids=None) -> GpSupply:
    """GP FTE by commune (latest year of ``gp_count`` unless ``year``), optionally for some communes only."""
    year = year or latest_commune_year(GP_COUNT)
    counts = _commune_rows(GP_COUNT, year, commune_ids)
    ages = _commune_rows(GP_60_PLUS, year, commune_ids)
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


@dataclass(frozen=True)
class Communes:
    """The communes of a computation, in a fixed order (by INSEE code), with what the engine needs."""

    frame: pd.DataFrame  # id, code, name, department, population, latitude, longitude, x, y, demand

    @property
    def ids(self) -> np.ndarray:
        return self.frame["id"].to_numpy()

    def __len__(self) -> int:
        return len(self.frame)


def load_communes(queryset=None) -> Communes:
    """Communes (all of France by default) with projected centroids and standardised population (demand).

    Demand = légale population × relative GP consumption of its age structure (latest age shares stored;
    France's structure where a commune has none).
    """
    queryset = Territory.objects.communes() if queryset is None else queryset
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
    ids = frame["id"].to_numpy()
    shares = {}
    for code in (POP_60_PLUS, POP_75_PLUS):
        rows = _commune_rows(code, latest_commune_year(code), ids if len(ids) < 30_000 else None)
        shares[code] = (rows["numerator"] / rows["denominator"]).reindex(ids).to_numpy()
    frame["demand"] = standardised_population(
        frame["population"].to_numpy(dtype=float), shares[POP_60_PLUS], shares[POP_75_PLUS]
    )
    return Communes(frame=frame)
