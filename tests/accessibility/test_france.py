"""Computed accessibility on the demonstration data of all France (real geography, loaded once: ``reference_data``).

Published reference: DREES, « Accessibilité aux soins de premier recours », Études et Résultats, novembre 2023:
the APL to GPs is 3.3 consultations a year per inhabitant on average in 2022 (3.4 in 2021, 3.8 in 2015), 2.5 being
the threshold of « sous-densité » used in the zonings. DREES, Les Dossiers de la DREES n° 17 (mai 2017): 8 % of the
population lived in a commune under 2.5 in 2015. The ARS zonings since 2022 put about 30 % of the population in
ZIP, chosen mostly among the lowest APL: the share under 2.5 cannot exceed it by much.

The demo supply is simulated (``simulate_communes``) and fed to the engine directly, without writing the 2.5 million
demo rows: what is tested is the engine on France's geography with plausible supply and demand.
"""

import numpy as np
import pandas as pd
import pytest

from accessibility.engine import standardised_population
from accessibility.inputs import SHARE_OF_60_PLUS_LEAVING_IN_5_YEARS, GpSupply, load_communes
from accessibility.services import compute
from territories.enums import Level
from territories.models import Territory
from territories.services.indicator_demo import simulate_communes

pytestmark = [pytest.mark.fullload, pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(values[order][np.searchsorted(cumulative, q)])


@pytest.fixture(scope="module")
def demo_france(django_db_blocker, reference_data):
    with django_db_blocker.unblock():
        table = pd.DataFrame(
            Territory.objects.filter(level=Level.COMMUNE).values_list(
                "code", "population", "department__code", "epci__code", "area_km2"
            ),
            columns=["code", "population", "department", "epci", "area_km2"],
        )
        communes = load_communes()
    table["area_km2"] = table["area_km2"].astype(float)
    simulation = simulate_communes(table, seed=42)
    values = simulation.values[simulation.values["year"] == 2025]

    def by_code(indicator: str, column: str = "numerator") -> pd.Series:
        rows = values[values["indicator"] == indicator]
        return pd.Series(rows[column].to_numpy(), index=simulation.codes[rows["position"].to_numpy()])

    codes = communes.frame["code"]
    share = {
        k: (by_code(k) / by_code(k, "denominator")).reindex(codes).to_numpy()
        for k in ("pop_60_plus_share", "pop_75_plus_share")
    }
    communes.frame["demand"] = standardised_population(
        communes.frame["population"].to_numpy(dtype=float), share["pop_60_plus_share"], share["pop_75_plus_share"]
    )
    ids = communes.frame.set_index("code")["id"]
    gps = by_code("gp_count").reindex(codes).fillna(0)
    aged = by_code("gp_60_plus_share").reindex(codes).fillna(0)
    supply = GpSupply(
        year=2025,
        fte=pd.Series(gps.to_numpy(), index=ids.to_numpy()),
        leaving_5y=pd.Series(aged.to_numpy() * SHARE_OF_60_PLUS_LEAVING_IN_5_YEARS, index=ids.to_numpy()),
        aged_60_plus=pd.Series(aged.to_numpy(), index=ids.to_numpy()),
        is_demo=True,
        has_ages=True,
    )
    zoning = simulation.zoning[simulation.zoning["valid_from"] == "2024-01-01"]
    zone = pd.Series(zoning["zone"].to_numpy(), index=simulation.codes[zoning["position"].to_numpy()]).reindex(codes)
    return compute(communes, supply), zone.to_numpy()


def test_national_median_and_distribution_in_the_published_range(demo_france):
    computed, _ = demo_france
    population = computed.communes.frame["population"].to_numpy(dtype=float)
    apl = computed.accessibility
    mean = (apl * population).sum() / population.sum()
    assert 3.0 <= mean <= 4.0  # DREES 2022: 3.3
    assert 3.0 <= weighted_quantile(apl, population, 0.5) <= 4.0
    under = population[apl < 2.5].sum() / population.sum()
    assert 0.05 <= under <= 0.30  # 8 % in 2015, at most the ≈ 30 % in ZIP
    # Nearly every commune has a GP within 30 minutes; rural communes sit lower than the population-weighted centre.
    located = np.isfinite(computed.communes.frame["x"].to_numpy())
    assert (apl[located] == 0).mean() < 0.01
    assert np.median(apl[located]) < weighted_quantile(apl, population, 0.5)
    assert computed.result.undistributed == 0  # every GP has inhabitants within reach


def test_zip_communes_have_lower_accessibility_than_hors_zone(demo_france):
    computed, zone = demo_france
    apl = computed.accessibility
    assert apl[zone == "zip"].mean() < apl[zone == "zac"].mean() < apl[zone == "none"].mean()


def test_the_five_year_outlook_lowers_accessibility_most_where_gps_are_older(demo_france):
    computed, _ = demo_france
    population = computed.communes.frame["population"].to_numpy(dtype=float)
    assert (computed.outlook <= computed.accessibility + 1e-9).all()
    now = (computed.accessibility * population).sum() / population.sum()
    later = (computed.outlook * population).sum() / population.sum()
    assert 0.6 * now < later < 0.95 * now
