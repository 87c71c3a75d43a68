"""The 2SFCA engine: a hand-computed example and the invariants of the method (hypothesis)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility.engine import (
    DecayBands,
    Parameters,
    StraightLineTravel,
    catchments,
    project,
    standardised_population,
    two_step_fca,
)

# 1 km = 1 minute: distances below read as minutes.
MINUTE_PER_KM = Parameters(travel=StraightLineTravel(road_factor=1.0, speed_kmh=60.0), consultations_per_fte=4_000)


def test_hand_computed_example():
    """Communes A (0 km), B (5 km), C (25 km), D (100 km); GPs in A (2 FTE) and C (1 FTE); decay 1 / 2/3 / 1/3.

    Weights: A–B 5 min → 1; A–C 25 min → 1/3; B–C 20 min → 1/3 (the 20–30 band); D reaches nobody.
    Step 1: A's supply (8,000 consultations) reaches 1,000 + 2,000 + 1,000/3 = 3,333.3 inhabitants → 2.4;
            C's (4,000) reaches 1,000/3 + 2,000/3 + 1,000 = 2,000 → 2.0.
    Step 2: A = 2.4 + 2.0/3 = 3.0667; B = 2.4 + 2.0/3 = 3.0667; C = 2.4/3 + 2.0 = 2.8; D = 0.
    """
    x = np.array([0.0, 5_000.0, 25_000.0, 100_000.0])
    y = np.zeros(4)
    fte = np.array([2.0, 0.0, 1.0, 0.0])
    demand = np.array([1_000.0, 2_000.0, 1_000.0, 500.0])
    result = two_step_fca(catchments(x, y, MINUTE_PER_KM), fte * 4_000, demand)
    assert result.ratio[[0, 2]] == pytest.approx([2.4, 2.0])
    assert result.accessibility == pytest.approx([3.0 + 1 / 15, 3.0 + 1 / 15, 2.8, 0.0])
    assert (demand * result.accessibility).sum() == pytest.approx(12_000)


def test_decay_bands():
    decay = DecayBands()
    minutes = np.array([0, 9.99, 10, 19.99, 20, 29.99, 30, 45])
    assert decay.weight(minutes) == pytest.approx([1, 1, 2 / 3, 2 / 3, 1 / 3, 1 / 3, 0, 0])
    with pytest.raises(ValueError):
        DecayBands(edges_min=(10, 5), weights=(1, 0.5))


def test_travel_time_is_replaceable():
    """A travel-time model that makes everything 40 minutes away leaves each commune with its own supply only."""

    class FarAway:
        def minutes(self, distance_m, origin, destination):
            return np.where(origin == destination, 0.0, 40.0)

        def search_radius_m(self, minutes):
            return 1e9

    x, y = np.array([0.0, 1_000.0]), np.zeros(2)
    result = two_step_fca(catchments(x, y, Parameters(travel=FarAway())), np.array([4_000.0, 0]), np.array([1e3, 1e3]))
    assert result.accessibility == pytest.approx([4.0, 0.0])


def test_point_without_coordinates_reaches_nothing():
    x, y = np.array([0.0, np.nan]), np.array([0.0, np.nan])
    result = two_step_fca(catchments(x, y), np.array([4_000.0, 4_000.0]), np.array([1e3, 1e3]))
    assert result.accessibility == pytest.approx([4.0, 0.0])
    assert result.undistributed == 4_000


def test_standardised_population_weighs_the_elderly_more():
    young, old = standardised_population(np.array([1_000, 1_000]), np.array([0.15, 0.45]), np.array([0.05, 0.2]))
    assert old > 1_000 > young
    national = standardised_population(np.array([1_000]), np.array([0.28]), np.array([0.10]))[0]
    assert national == pytest.approx(1_000, rel=0.01)


def test_projection_keeps_distances_and_separates_overseas():
    # Paris (Notre-Dame) → Versailles (château): ≈ 17.6 km.
    x, y = project(np.array([48.853, 48.8049, -21.0]), np.array([2.3499, 2.1204, 55.5]), np.array(["75", "78", "974"]))
    assert np.hypot(x[0] - x[1], y[0] - y[1]) == pytest.approx(17_600, rel=0.02)
    assert np.hypot(x[2] - x[0], y[2] - y[0]) > 1e6


# --- invariants (hypothesis) --------------------------------------------------------------------------------

coordinate = st.floats(min_value=0, max_value=60_000, allow_nan=False)


@st.composite
def territories(draw, min_size=2, max_size=25):
    n = draw(st.integers(min_size, max_size))
    x = np.array(draw(st.lists(coordinate, min_size=n, max_size=n)))
    y = np.array(draw(st.lists(coordinate, min_size=n, max_size=n)))
    fte = np.array(draw(st.lists(st.sampled_from([0, 0, 0, 0.1, 0.5, 1, 2, 5]), min_size=n, max_size=n)))
    demand = np.array(draw(st.lists(st.integers(0, 50_000), min_size=n, max_size=n)), dtype=float)
    return x, y, fte * 4_000, demand


@settings(max_examples=150, deadline=None)
@given(territories(), st.data())
def test_adding_supply_never_lowers_and_removing_never_raises(territory, data):
    x, y, supply, demand = territory
    matrix = catchments(x, y)
    before = two_step_fca(matrix, supply, demand).accessibility
    j = data.draw(st.integers(0, len(x) - 1))
    more = supply.copy()
    more[j] += data.draw(st.sampled_from([400.0, 4_000.0, 12_000.0]))
    after = two_step_fca(matrix, more, demand).accessibility
    assert (after >= before - 1e-12).all()
    less = supply.copy()
    less[j] = 0
    after = two_step_fca(matrix, less, demand).accessibility
    assert (after <= before + 1e-12).all()


@settings(max_examples=150, deadline=None)
@given(territories())
def test_supply_is_conserved(territory):
    x, y, supply, demand = territory
    result = two_step_fca(catchments(x, y), supply, demand)
    assert (demand * result.accessibility).sum() == pytest.approx(result.distributed, rel=1e-9, abs=1e-6)
    assert result.distributed + result.undistributed == pytest.approx(supply.sum())
    # Supply is lost only where nobody lives within reach.
    assert result.undistributed == pytest.approx(supply[result.catchment_demand == 0].sum())


@settings(max_examples=100, deadline=None)
@given(territories(), st.floats(min_value=200_000, max_value=1e6))
def test_commune_outside_every_catchment_gets_zero(territory, far):
    x, y, supply, demand = territory
    x, y = np.append(x, far), np.append(y, far)
    supply, demand = np.append(supply, 0.0), np.append(demand, 1_000.0)
    assert two_step_fca(catchments(x, y), supply, demand).accessibility[-1] == 0


@settings(max_examples=100, deadline=None)
@given(territories(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_the_order_of_the_input(territory, random):
    x, y, supply, demand = territory
    order = list(range(len(x)))
    random.shuffle(order)
    order = np.array(order)
    base = two_step_fca(catchments(x, y), supply, demand).accessibility
    shuffled = two_step_fca(catchments(x[order], y[order]), supply[order], demand[order]).accessibility
    assert shuffled == pytest.approx(base[order], rel=1e-12, abs=1e-12)
