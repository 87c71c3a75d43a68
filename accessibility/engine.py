"""Two-step floating catchment area (2SFCA) with distance decay: the method behind the DREES APL.

Pure numpy/scipy, no database. For communes ``i`` (demand) and supply points ``j`` (the same communes):

1. each supply point shares its supply among the demand it can reach:
   ``R_j = S_j / Σ_i w(t_ij) · D_i``;
2. each commune adds up the shares it can reach: ``A_i = Σ_j w(t_ij) · R_j``.

``S_j``: consultations a year (GP full-time equivalents × ``consultations_per_fte``); ``D_i``: population
weighted by the relative GP consumption of its age structure (standardised inhabitants); ``t_ij``: travel
time in minutes from ``travel`` (replaceable: straight line × road factor / speed until a road matrix is
available); ``w``: a decay by bands (full weight under 10 minutes, none from 30). ``A_i`` is then in
consultations a year per standardised inhabitant, the unit of the APL.

Properties (tested): adding supply never lowers anyone's accessibility and removing never raises it (``w`` ≥ 0);
``Σ_i D_i · A_i = Σ_j S_j`` over supply points with some demand in reach (conservation); a commune with no
supply point within the last band gets 0; the result does not depend on the order of the communes.

Neighbours come from a ``cKDTree`` on projected coordinates (metres): one ``query_pairs`` call, then sparse
matrices; no Python loop over pairs of communes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class DecayBands:
    """Weight of a supply point by travel time: ``weights[k]`` below ``edges_min[k]`` minutes, 0 from the last edge.

    Default: 1 under 10 minutes, 2/3 from 10 to 20, 1/3 from 20 to 30, 0 from 30 minutes (the DREES bands for
    GPs — 1, 2/3, 1/3 — stretched to the 30-minute reach of France Santé).
    """

    edges_min: tuple[float, ...] = (10.0, 20.0, 30.0)
    weights: tuple[float, ...] = (1.0, 2 / 3, 1 / 3)

    def __post_init__(self):
        if len(self.edges_min) != len(self.weights) or not self.edges_min:
            raise ValueError("one weight per band")
        if any(b <= a for a, b in zip(self.edges_min, self.edges_min[1:], strict=False)):
            raise ValueError("band edges must increase")
        if any(w < 0 for w in self.weights):
            raise ValueError("weights must be non-negative")

    @property
    def reach_min(self) -> float:
        return self.edges_min[-1]

    def weight(self, minutes: np.ndarray) -> np.ndarray:
        band = np.searchsorted(np.asarray(self.edges_min), minutes, side="right")
        table = np.append(np.asarray(self.weights, dtype=float), 0.0)
        return table[band]


class TravelTime(Protocol):
    """Travel time between communes: the function a road travel-time matrix would replace."""

    def minutes(self, distance_m: np.ndarray, origin: np.ndarray, destination: np.ndarray) -> np.ndarray:
        """Minutes for each pair (straight-line distance in metres and the positions of both ends)."""

    def search_radius_m(self, minutes: float) -> float:
        """A straight-line distance beyond which no pair can be within ``minutes`` (the neighbour search radius)."""


@dataclass(frozen=True)
class StraightLineTravel:
    """Straight-line distance × ``road_factor`` at ``speed_kmh``.

    1.3: the usual ratio of road to straight-line distance in France; 50 km/h: an average door-to-door speed
    mixing towns and country roads. Both are stated on the method page and replaced by a real travel-time
    matrix when one is loaded.
    """

    road_factor: float = 1.3
    speed_kmh: float = 50.0

    def minutes(self, distance_m: np.ndarray, origin=None, destination=None) -> np.ndarray:
        return np.asarray(distance_m, dtype=float) * self.road_factor / 1000.0 / self.speed_kmh * 60.0

    def search_radius_m(self, minutes: float) -> float:
        return minutes / 60.0 * self.speed_kmh * 1000.0 / self.road_factor


@dataclass(frozen=True)
class Parameters:
    decay: DecayBands = field(default_factory=DecayBands)
    travel: TravelTime = field(default_factory=StraightLineTravel)
    # Consultations and visits a year of one full-time GP (order of magnitude of the mean yearly activity of a
    # full-time libéral GP, Assurance Maladie): turns FTE into the APL's unit.
    consultations_per_fte: float = 4_000.0


@dataclass(frozen=True)
class Catchments:
    """The weighted neighbour matrix of a set of points: ``weights[i, j] = w(t_ij)`` (symmetric, CSR)."""

    weights: sparse.csr_matrix

    @property
    def size(self) -> int:
        return self.weights.shape[0]


def catchments(x: np.ndarray, y: np.ndarray, parameters: Parameters | None = None) -> Catchments:
    """Weights of every pair of points within reach (each point reaches itself at 0 minutes).

    ``x``, ``y``: projected coordinates in metres (NaN: a point without coordinates, which reaches nothing
    and nobody, not even itself).
    """
    parameters = parameters or Parameters()
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    located = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    points = np.column_stack([x[located], y[located]])
    radius = parameters.travel.search_radius_m(parameters.decay.reach_min)
    if len(points):
        pairs = cKDTree(points).query_pairs(radius, output_type="ndarray")
    else:
        pairs = np.empty((0, 2), dtype=np.int64)
    a, b = located[pairs[:, 0]], located[pairs[:, 1]]
    distance = np.hypot(x[a] - x[b], y[a] - y[b])
    minutes = parameters.travel.minutes(distance, a, b)
    w = parameters.decay.weight(minutes)
    self_w = parameters.decay.weight(parameters.travel.minutes(np.zeros(len(located)), located, located))
    keep = w > 0
    rows = np.concatenate([a[keep], b[keep], located])
    cols = np.concatenate([b[keep], a[keep], located])
    data = np.concatenate([w[keep], w[keep], self_w])
    matrix = sparse.csr_matrix((data, (rows, cols)), shape=(n, n))
    matrix.eliminate_zeros()
    return Catchments(weights=matrix)


@dataclass(frozen=True)
class Result:
    """``accessibility[i]``: consultations a year per standardised inhabitant; ``ratio[j]``: the supply point's
    consultations per standardised inhabitant of its catchment (0 where nobody is in reach);
    ``distributed``: Σ of the supply that reached some demand (the rest, ``undistributed``, had nobody in reach)."""

    accessibility: np.ndarray
    ratio: np.ndarray
    catchment_demand: np.ndarray
    distributed: float
    undistributed: float


def two_step_fca(catchment: Catchments, supply: np.ndarray, demand: np.ndarray) -> Result:
    """The 2SFCA of ``supply`` (consultations a year per point) and ``demand`` (standardised inhabitants)."""
    supply = np.asarray(supply, dtype=float)
    demand = np.asarray(demand, dtype=float)
    if supply.shape != (catchment.size,) or demand.shape != (catchment.size,):
        raise ValueError("supply and demand need one value per point")
    if (supply < 0).any() or (demand < 0).any() or not (np.isfinite(supply).all() and np.isfinite(demand).all()):
        raise ValueError("supply and demand must be finite and non-negative")
    w = catchment.weights
    reached = w.T @ demand  # Σ_i w_ij D_i
    ratio = np.divide(supply, reached, out=np.zeros_like(supply), where=reached > 0)
    accessibility = w @ ratio
    distributed = float(supply[reached > 0].sum())
    return Result(
        accessibility=np.asarray(accessibility, dtype=float),
        ratio=ratio,
        catchment_demand=np.asarray(reached, dtype=float),
        distributed=distributed,
        undistributed=float(supply.sum()) - distributed,
    )


# --- Demand: population weighted by age consumption -----------------------------------------------------------

# Relative GP consumption (consultations and visits per inhabitant) of the under-60, the 60–74 and the 75 or
# older, in the ratio 1 : 1.5 : 2.2 (Assurance Maladie / DREES orders of magnitude), normalised so that France's
# age structure (28 % aged 60 or more, 10 % aged 75 or more, INSEE 2024) weighs 1 per inhabitant on average.
AGE_CONSUMPTION = {"under_60": 0.83, "60_74": 1.24, "75_plus": 1.82}


def standardised_population(population: np.ndarray, share_60_plus: np.ndarray, share_75_plus: np.ndarray) -> np.ndarray:
    """Population weighted by the relative GP consumption of its age bands (shares in [0, 1]; NaN: France's)."""
    population = np.asarray(population, dtype=float)
    s60 = np.nan_to_num(np.asarray(share_60_plus, dtype=float), nan=0.28)
    s75 = np.nan_to_num(np.asarray(share_75_plus, dtype=float), nan=0.10)
    s75 = np.minimum(s75, s60)
    factor = (
        (1 - s60) * AGE_CONSUMPTION["under_60"]
        + (s60 - s75) * AGE_CONSUMPTION["60_74"]
        + s75 * AGE_CONSUMPTION["75_plus"]
    )
    return population * factor


# --- Projection: metropolitan France in Lambert-93, each overseas département in its own UTM zone ------------

# Overseas départements are projected in their local UTM zone and shifted far apart so that no two of them (and
# none of them and the mainland) can ever be neighbours.
_OVERSEAS_CRS = {"971": 5490, "972": 5490, "973": 2972, "974": 2975, "976": 4471}
_OVERSEAS_OFFSET_M = 10_000_000.0


@functools.lru_cache(maxsize=8)
def _transformer(epsg: int):
    from pyproj import Transformer

    return Transformer.from_crs(4326, epsg, always_xy=True)


def project(latitude: np.ndarray, longitude: np.ndarray, department: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metres east and north: Lambert-93 (EPSG:2154) for the mainland and Corsica, UTM for overseas."""
    latitude = np.asarray(latitude, dtype=float)
    longitude = np.asarray(longitude, dtype=float)
    department = np.asarray(department, dtype=str)
    x = np.full(len(latitude), np.nan)
    y = np.full(len(latitude), np.nan)
    zones = {"metro": 2154} | _OVERSEAS_CRS
    for rank, (code, epsg) in enumerate(zones.items()):
        rows = ~np.isin(department, list(_OVERSEAS_CRS)) if code == "metro" else department == code
        rows &= np.isfinite(latitude) & np.isfinite(longitude)
        if not rows.any():
            continue
        x[rows], y[rows] = _transformer(epsg).transform(longitude[rows], latitude[rows])
        x[rows] += rank * _OVERSEAS_OFFSET_M
    return x, y
