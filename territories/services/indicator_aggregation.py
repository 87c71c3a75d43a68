"""Aggregation of commune values up the hierarchy, with statistical secret.

Hierarchy: commune → EPCI and commune → département are both computed from the communes (an EPCI can
straddle départements); département → région → France. Counts are summed; ratios are
Σ numerators / Σ denominators × scale (never a mean of ratios).

Statistical secret
------------------
Primary rule: a value is masked when the count named by the indicator's ``secret_basis`` (the value of a
count, the numerator or the denominator of a ratio) is strictly between 0 and ``secret_threshold``.

Secondary rule (masked values must not be recoverable by subtraction). Published values tie the
numerators together by one linear equation per parent: parent = Σ children (EPCI = Σ its communes,
département = Σ its communes, région = Σ its départements, France = Σ régions). See each masked cell as an
edge of a graph whose nodes are those equations: a commune joins its EPCI equation and its département
equation, a département joins its own equation and its région's, a région its own and France's, and an
EPCI, France or a commune without EPCI have one free end (a single node Ω standing for "no equation").
With the signs +1 for the EPCI equations and −1 for the others every equation's terms cancel pairwise
along a cycle, so the null space of the system is spanned by the cycles of this graph (paths between two
free ends are cycles through Ω). A masked value is therefore determined by the published values exactly
when its edge is a *bridge* (it lies on no cycle). The secondary rule masks, for every bridge, the visible
cell with the smallest secret count among the cells sharing one of its two equations, and repeats until
the graph of masked cells has no bridge. Tests check the rule against an exact linear-algebra audit on
random hierarchies. The rule protects each indicator on its own; indicators sharing a count (e.g. patients
without médecin traitant, count and share) use the same basis and threshold so they get the same masks.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..enums import Aggregation, SecretBasis

OMEGA = -1  # the "no equation" node


@dataclass(frozen=True)
class IndicatorSpec:
    id: int
    aggregation: str
    scale: float
    secret_basis: str
    secret_threshold: int


@dataclass(frozen=True)
class Hierarchy:
    """Parent links by territory id.

    ``communes``: DataFrame indexed by commune id with columns ``epci`` (id or -1) and ``department``;
    ``departments``: Series department id → région id; ``france``: id of the France territory.
    ``rank`` (optional): territory id → a distinct non-negative label that does not depend on the database,
    e.g. the position by (level, code). The secondary masking breaks ties with it, so the same data gives
    the same masks whatever ids the database assigned; without it, ties are broken by id.
    """

    communes: pd.DataFrame
    departments: pd.Series
    france: int
    rank: pd.Series | None = None


def aggregate(commune_values: pd.DataFrame, hierarchy: Hierarchy, specs: dict[int, IndicatorSpec]) -> pd.DataFrame:
    """Commune rows + computed parent rows, with values and masks.

    ``commune_values`` columns: ``territory`` (commune id), ``indicator`` (id), ``year``, ``numerator``,
    ``denominator`` (NaN for counts), ``is_demo``. Returns the same columns plus ``value`` and ``is_masked``
    for every level. Pure function.
    """
    cv = commune_values[["territory", "indicator", "year", "numerator", "denominator", "is_demo"]].copy()
    cv = cv[cv["territory"].isin(hierarchy.communes.index)]
    parents = hierarchy.communes.reindex(cv["territory"].to_numpy())
    cv["epci"] = parents["epci"].to_numpy()
    cv["department"] = parents["department"].to_numpy()
    cv["region"] = hierarchy.departments.reindex(cv["department"].to_numpy()).to_numpy()
    keys = ["indicator", "year"]

    def group(by: str) -> pd.DataFrame:
        frame = cv[cv[by] >= 0] if by == "epci" else cv
        out = frame.groupby([by, *keys], sort=True).agg(
            numerator=("numerator", "sum"),
            denominator=("denominator", "sum"),
            has_den=("denominator", "count"),
            is_demo=("is_demo", "max"),
        )
        out.loc[out["has_den"] == 0, "denominator"] = np.nan
        return out.drop(columns="has_den").reset_index().rename(columns={by: "territory"})

    frames = [cv[["territory", *keys, "numerator", "denominator", "is_demo"]]]
    for level in ("epci", "department", "region"):
        frames.append(group(level))
    cv["france"] = hierarchy.france
    frames.append(group("france"))
    table = pd.concat(frames, ignore_index=True)
    table["is_demo"] = table["is_demo"].astype(bool)
    table["node_a"], table["node_b"] = _cell_nodes(table, hierarchy)
    spec = pd.DataFrame([vars(x) for x in specs.values()]).set_index("id").reindex(table["indicator"].to_numpy())
    is_sum = (spec["aggregation"] == Aggregation.SUM).to_numpy()
    numerator = table["numerator"].to_numpy(dtype=float)
    denominator = table["denominator"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(denominator > 0, numerator / denominator * spec["scale"].to_numpy(dtype=float), np.nan)
    table["value"] = np.where(is_sum, numerator, ratio)
    basis_kind = spec["secret_basis"].to_numpy()
    threshold = spec["secret_threshold"].fillna(0).to_numpy(dtype=float)
    basis = np.nan_to_num(np.where(basis_kind == SecretBasis.DENOMINATOR, denominator, numerator), nan=0.0)
    secret = (basis_kind != SecretBasis.NONE) & (threshold > 0)
    table["is_masked"] = secret & (basis > 0) & (basis < threshold)
    table["basis"] = basis
    flagged = table.loc[table["is_masked"], keys].drop_duplicates()
    if len(flagged):
        candidates = table[secret & table.set_index(keys).index.isin(pd.MultiIndex.from_frame(flagged))]
        label = _labeller(hierarchy)
        for _, rows in candidates.groupby(keys, sort=True):
            territory = label(rows["territory"].to_numpy())
            order = np.argsort(territory, kind="stable")  # cells in label order: no dependence on row order
            masked = secondary_mask(
                label(rows["node_a"].to_numpy())[order],
                label(rows["node_b"].to_numpy())[order],
                rows["basis"].to_numpy()[order],
                territory[order],
                rows["is_masked"].to_numpy()[order],
            )
            table.loc[rows.index[order], "is_masked"] = masked
    table = table.drop(columns="basis")
    table.loc[table["is_masked"], "value"] = np.nan
    return table.drop(columns=["node_a", "node_b"])


def _labeller(hierarchy: Hierarchy):
    """Territory ids → ``hierarchy.rank`` labels (OMEGA kept), or the ids themselves without a rank."""
    if hierarchy.rank is None:
        return lambda ids: ids
    rank = hierarchy.rank

    def label(ids: np.ndarray) -> np.ndarray:
        out = rank.reindex(ids).to_numpy()
        if np.isnan(out[ids != OMEGA]).any():
            raise ValueError("territory without a rank in the hierarchy")
        return np.where(ids == OMEGA, OMEGA, np.nan_to_num(out, nan=OMEGA)).astype(np.int64)

    return label


def _cell_nodes(table: pd.DataFrame, hierarchy: Hierarchy) -> tuple[np.ndarray, np.ndarray]:
    """The two equations (parent territory ids, or OMEGA) each cell appears in, see the module docstring."""
    tid = table["territory"].to_numpy()
    communes = hierarchy.communes
    is_commune = np.isin(tid, communes.index.to_numpy())
    is_department = np.isin(tid, hierarchy.departments.index.to_numpy())
    regions = np.unique(hierarchy.departments.to_numpy())
    is_region = np.isin(tid, regions)
    is_france = tid == hierarchy.france
    a = tid.copy()  # a parent appears in its own equation
    b = np.full(len(tid), OMEGA)
    cpar = communes.reindex(tid)
    a = np.where(is_commune, cpar["epci"].fillna(OMEGA).to_numpy(), a)
    b = np.where(is_commune, cpar["department"].fillna(OMEGA).to_numpy(), b)
    b = np.where(is_department, hierarchy.departments.reindex(tid).fillna(OMEGA).to_numpy(), b)
    b = np.where(is_region, hierarchy.france, b)
    b = np.where(is_france, OMEGA, b)
    return a.astype(np.int64), b.astype(np.int64)


def bridges(edges: list[tuple[int, int]]) -> set[int]:
    """Indices of the bridges of a multigraph (iterative Tarjan; parallel edges are never bridges)."""
    adjacency: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for i, (u, v) in enumerate(edges):
        adjacency[u].append((v, i))
        adjacency[v].append((u, i))
    disc: dict[int, int] = {}
    low: dict[int, int] = {}
    found: set[int] = set()
    clock = 0
    for start in sorted(adjacency):
        if start in disc:
            continue
        disc[start] = low[start] = clock
        clock += 1
        stack = [(start, -1, iter(adjacency[start]))]
        while stack:
            node, parent_edge, neighbours = stack[-1]
            for other, edge in neighbours:
                if edge == parent_edge:
                    continue
                if other not in disc:
                    disc[other] = low[other] = clock
                    clock += 1
                    stack.append((other, edge, iter(adjacency[other])))
                    break
                low[node] = min(low[node], disc[other])
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > disc[parent]:
                        found.add(parent_edge)
    return found


def secondary_mask(
    node_a: np.ndarray, node_b: np.ndarray, basis: np.ndarray, territory: np.ndarray, masked: np.ndarray
) -> np.ndarray:
    """Extend ``masked`` until no masked cell is a bridge of the equation graph (module docstring).

    Pass 1 (vectorised, fixes most cases): a masked cell alone among the cells sharing both its equations
    (a commune alone masked in its EPCI × département) gets the smallest visible such cell masked too: two
    parallel edges form a cycle. Pass 2: for each remaining bridge (u, v), mask the visible cells of the
    cheapest u–v path that avoids it (Dijkstra: fewest visible cells, then smallest counts; masked cells are free),
    which closes a cycle through the bridge. Adding edges never turns another edge into a bridge.
    """
    masked = masked.copy()
    basis = basis.astype(float)
    frame = pd.DataFrame({"a": node_a, "b": node_b, "basis": basis, "territory": territory, "masked": masked})
    lonely = frame.groupby(["a", "b"])["masked"].transform("sum") == 1
    pick = frame[lonely & ~frame["masked"]].sort_values(["basis", "territory"], kind="stable")
    masked[pick.drop_duplicates(["a", "b"]).index.to_numpy()] = True

    adjacency: dict[int, list[tuple[int, int]]] | None = None
    order = np.lexsort((territory, basis))
    for _ in range(len(masked)):
        cells = np.flatnonzero(masked)
        found = bridges([(int(node_a[i]), int(node_b[i])) for i in cells])
        if not found:
            return masked
        if adjacency is None:
            adjacency = defaultdict(list)
            for i, a, b in zip(order.tolist(), node_a[order].tolist(), node_b[order].tolist(), strict=True):
                adjacency[a].append((b, i))
                adjacency[b].append((a, i))
        for edge in sorted(found):
            cell = int(cells[edge])
            source, target = int(node_a[cell]), int(node_b[cell])
            if source == OMEGA:  # never search from the free node: it touches every EPCI
                source, target = target, source
            path = _cheapest_path(adjacency, source, target, cell, masked, basis)
            if path is None:  # no other way between its two equations: nothing else can protect it
                continue
            masked[path] = True
    return masked


def _cheapest_path(adjacency, source: int, target: int, excluded: int, masked: np.ndarray, basis: np.ndarray):
    """Cells of the cheapest source–target path avoiding ``excluded`` (masked cells cost 0), or None."""
    scale = 1.0 / (float(basis.max()) + 1.0) if len(basis) else 0.0  # fewest new masks first, then smallest counts
    best = {source: 0.0}
    via: dict[int, tuple[int, int]] = {}
    heap = [(0.0, source)]
    done: set[int] = set()
    while heap:
        cost, node = heapq.heappop(heap)
        if node in done:
            continue
        if node == target:
            path = []
            while node != source:
                node, cell = via[node]
                if not masked[cell]:
                    path.append(cell)
            return path
        done.add(node)
        for other, cell in adjacency[node]:
            if cell == excluded or other in done:
                continue
            step = cost + (0.0 if masked[cell] else 1.0 + basis[cell] * scale)
            if step < best.get(other, float("inf")):
                best[other] = step
                via[other] = (node, cell)
                heapq.heappush(heap, (step, other))
    return None
