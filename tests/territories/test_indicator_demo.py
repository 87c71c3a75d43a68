"""Demonstration generator: determinism and national orders of magnitude, from the committed etalab fixture
(no database)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from territories.catalogue import CATALOGUE, CATALOGUE_BY_CODE
from territories.services.indicator_demo import communes_from_etalab, national_figures, simulate_communes

ETALAB = Path(__file__).resolve().parents[2] / "fixtures" / "etalab-decoupage-administratif-6.0.0.tgz"

# Cited in the generator's docstring (DREES, Cnam, INSEE, Santé publique France).
NATIONAL_RANGES = {
    "gp_count": (55_000, 65_000),
    "gp_density": (8.0, 9.5),
    "gp_60_plus_share": (28, 40),
    "gp_55_plus_share": (45, 60),
    "gp_liberal_share": (55, 65),
    "gp_count_evolution_5y": (-10, 0),
    "patients_without_gp_count": (5_500_000, 7_500_000),
    "patients_without_gp_share": (9, 13),
    "patients_without_gp_ald_share": (3, 7),
    "ald_share": (17, 23),
    "css_share": (7, 11),
    "apl_gp": (3.0, 3.6),
    "zip_population_share": (25, 35),
    "nurse_count": (90_000, 110_000),
    "physio_count": (68_000, 82_000),
    "dentist_count": (33_000, 41_000),
    "midwife_count": (7_000, 9_000),
    "pharmacy_count": (18_000, 22_000),
    "pop_60_plus_share": (25, 31),
    "pop_75_plus_share": (9, 12),
    "qpv_population_share": (6, 10),
    "colorectal_screening_rate": (30, 38),
    "breast_screening_rate": (43, 51),
    "cervical_screening_rate": (55, 63),
    "flu_vaccination_65_plus": (50, 58),
    "hpv_vaccination_girls": (50, 60),
}


@pytest.fixture(scope="module")
def communes():
    return communes_from_etalab(ETALAB)


@pytest.fixture(scope="module")
def simulation(communes):
    return simulate_communes(communes, seed=42)


def test_catalogue_has_every_required_field():
    assert len(CATALOGUE) >= 25
    for entry in CATALOGUE:
        assert entry["label"] and entry["unit"] and entry["source"] and entry["vintage"] and entry["method"]
        assert entry["aggregation"] in ("sum", "ratio")


@pytest.fixture(scope="module")
def some_communes(communes):
    """Three départements (≈ 1,500 communes): enough to compare runs, fast."""
    return communes[communes.department.isin(["01", "29", "2A"])]


def test_same_seed_same_values_whatever_the_row_order(some_communes):
    first = simulate_communes(some_communes, seed=42)
    again = simulate_communes(some_communes.sample(frac=1, random_state=3), seed=42)
    pd.testing.assert_frame_equal(first.values, again.values)
    pd.testing.assert_frame_equal(first.zoning, again.zoning)
    np.testing.assert_array_equal(first.codes, again.codes)


def test_another_seed_gives_other_values(some_communes):
    first = simulate_communes(some_communes, seed=42).values.query("indicator == 'gp_count' and year == 2025")
    other = simulate_communes(some_communes, seed=43).values.query("indicator == 'gp_count' and year == 2025")
    assert not np.array_equal(first["numerator"].to_numpy(), other["numerator"].to_numpy())


def test_every_generated_indicator_is_in_the_catalogue_and_series_have_five_years(simulation):
    years = simulation.values.groupby("indicator", observed=True)["year"].nunique()
    assert set(years.index) == set(CATALOGUE_BY_CODE)
    for code, count in years.items():
        assert count == (5 if CATALOGUE_BY_CODE[code]["series"] else 1), code


@pytest.mark.parametrize("code", sorted(NATIONAL_RANGES))
def test_national_figures_fall_in_the_published_ranges(simulation, code):
    low, high = NATIONAL_RANGES[code]
    assert low <= national_figures(simulation, year=2025)[code] <= high


def test_rural_communes_have_fewer_gps_older_gps_and_more_zip(communes, simulation):
    values = simulation.values.query("year == 2025")
    pop = pd.Series(communes.set_index("code")["population"].reindex(simulation.codes).to_numpy())
    small = set(np.flatnonzero(pop.to_numpy() < 1_000))
    big = set(np.flatnonzero(pop.to_numpy() >= 50_000))

    def ratio(code, positions):
        rows = values[(values.indicator == code) & values.position.isin(positions)]
        return rows.numerator.sum() / rows.denominator.sum()

    assert ratio("gp_density", small) < 0.6 * ratio("gp_density", big)
    assert ratio("gp_60_plus_share", small) > ratio("gp_60_plus_share", big)
    assert ratio("zip_population_share", small) > ratio("zip_population_share", big)
    assert ratio("patients_without_gp_share", small) > ratio("patients_without_gp_share", big)
    assert ratio("apl_gp", small) < ratio("apl_gp", big)
