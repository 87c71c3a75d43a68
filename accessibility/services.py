"""Computed accessibility for all of France, stored as indicators; the five-year outlook.

``compute_france`` runs the 2SFCA (``engine``) on every commune with the supply of ``inputs.gp_supply``;
``store_france`` writes its result as the ``apl_gp_computed`` and ``apl_gp_computed_5y_change`` indicators
(commune values, aggregated up the hierarchy by the indicator layer with population weights, year = the
supply's year) and logs a ``DataSource`` row. Run by the ``recompute_accessibility`` task whenever the supply
changes (``territories.events.supply_changed``) and by ``manage.py compute_accessibility``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction

from territories.models import DataSource
from territories.services.indicators import replace_values

from . import engine
from .indicators import APL_COMPUTED, APL_OUTLOOK_CHANGE, ensure_indicators
from .inputs import Communes, GpSupply, load_window

SOURCE_NAME = "accessibilité calculée (médecins généralistes)"


@dataclass(frozen=True)
class FranceResult:
    communes: Communes
    supply: GpSupply
    accessibility: np.ndarray
    outlook: np.ndarray  # accessibility in 5 years without the GPs reaching retirement age
    result: engine.Result
    timings: dict[str, float]


def supply_vector(communes: Communes, fte: pd.Series, parameters: engine.Parameters) -> np.ndarray:
    return fte.reindex(communes.ids).fillna(0).to_numpy(dtype=float) * parameters.consultations_per_fte


def compute_france(parameters: engine.Parameters | None = None) -> FranceResult:
    """The accessibility of every commune of France with the stored supply."""
    mark = time.perf_counter()
    communes, supply = load_window()
    if supply.year is None or not len(communes):
        raise ValidationError("Aucun effectif de médecins généralistes en base : rien à calculer.")
    return compute(communes, supply, parameters, timings={"read_s": time.perf_counter() - mark})


def compute(
    communes: Communes, supply: GpSupply, parameters: engine.Parameters | None = None, *, timings=None
) -> FranceResult:
    """The accessibility of ``communes`` now and in 5 years (pure: no database)."""
    parameters = parameters or engine.Parameters()
    timings = dict(timings or {})
    mark = time.perf_counter()
    frame = communes.frame
    matrix = engine.catchments(frame["x"].to_numpy(), frame["y"].to_numpy(), parameters)
    timings["catchments_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    demand = frame["demand"].to_numpy()
    now = engine.two_step_fca(matrix, supply_vector(communes, supply.fte, parameters), demand)
    later = engine.two_step_fca(matrix, supply_vector(communes, supply.fte - supply.leaving_5y, parameters), demand)
    timings["compute_s"] = time.perf_counter() - mark
    return FranceResult(communes, supply, now.accessibility, later.accessibility, now, timings)


def commune_values(computed: FranceResult, indicators: dict) -> pd.DataFrame:
    """Rows for ``replace_values``: population-weighted numerators (communes with coordinates and inhabitants)."""
    frame = computed.communes.frame
    population = frame["population"].to_numpy(dtype=float)
    located = np.isfinite(frame["x"].to_numpy()) & (population > 0)
    now, later = computed.accessibility, computed.outlook
    base = pd.DataFrame(
        {"territory": frame["id"].to_numpy(), "year": computed.supply.year, "is_demo": computed.supply.is_demo}
    )
    apl = base[located].assign(
        indicator=indicators[APL_COMPUTED].pk, numerator=(now * population)[located], denominator=population[located]
    )
    reached = located & (now > 0)
    change = base[reached].assign(
        indicator=indicators[APL_OUTLOOK_CHANGE].pk,
        numerator=((later - now) * population)[reached],
        denominator=(now * population)[reached],
    )
    return pd.concat([apl, change], ignore_index=True)


@transaction.atomic
def store_france(parameters: engine.Parameters | None = None, *, log=None) -> DataSource:
    """Compute all of France and replace the stored computed values of the supply's year (idempotent)."""
    log = log or (lambda message: None)
    started = time.perf_counter()
    computed = compute_france(parameters)
    log(
        "calcul : "
        + ", ".join(f"{k} {v:.1f} s" for k, v in computed.timings.items())
        + f" ({len(computed.communes)} communes, {computed.result.distributed:,.0f} consultations réparties)"
    )
    supply = computed.supply
    vintage = f"offre de médecins {supply.year}" + (" (démonstration)" if supply.is_demo else "")
    indicators = ensure_indicators(is_demo=supply.is_demo, vintage=vintage)
    stats = replace_values(commune_values(computed, indicators), log=log)
    population = computed.communes.frame["population"].to_numpy(dtype=float)
    return DataSource.objects.create(
        name=SOURCE_NAME,
        version=vintage,
        is_demo=supply.is_demo,
        row_counts={
            "communes": len(computed.communes),
            "valeurs": stats["rows"],
            "annee_offre": supply.year,
            "moyenne_nationale": round(float((computed.accessibility * population).sum() / population.sum()), 3),
            "ages_connus": supply.has_ages,
        },
        duration_s=round(time.perf_counter() - started, 1),
        notes="Méthode à deux étapes avec décroissance par bandes de temps de trajet ; voir la page de méthode.",
    )
