"""Aggregation up the hierarchy and statistical secret (pure functions, no database)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from territories.enums import Aggregation, SecretBasis
from territories.services.indicator_aggregation import Hierarchy, IndicatorSpec, aggregate, bridges

COUNT = IndicatorSpec(id=1, aggregation=Aggregation.SUM, scale=1, secret_basis=SecretBasis.VALUE, secret_threshold=10)
SHARE = IndicatorSpec(
    id=2, aggregation=Aggregation.RATIO, scale=100, secret_basis=SecretBasis.NUMERATOR, secret_threshold=10
)
DENSITY = IndicatorSpec(
    id=3, aggregation=Aggregation.RATIO, scale=10_000, secret_basis=SecretBasis.NONE, secret_threshold=0
)
SPECS = {s.id: s for s in (COUNT, SHARE, DENSITY)}
FRANCE = 1


def make_hierarchy(communes: list[tuple[int, int, int]], departments: dict[int, int]) -> Hierarchy:
    """communes: (id, epci id or -1, department id); departments: id → région id."""
    frame = pd.DataFrame(communes, columns=["id", "epci", "department"]).set_index("id")
    return Hierarchy(communes=frame, departments=pd.Series(departments), france=FRANCE)


def values(rows):
    return pd.DataFrame(rows, columns=["territory", "indicator", "year", "numerator", "denominator"]).assign(
        is_demo=True
    )


def by_territory(table, indicator, year=2025):
    return table[(table.indicator == indicator) & (table.year == year)].set_index("territory")


# Région 10 > départements 20, 21; EPCI 30 (communes 100, 101 in 20 and 102 in 21), EPCI 31 (103, 104 in 21).
HIERARCHY = make_hierarchy(
    [(100, 30, 20), (101, 30, 20), (102, 30, 21), (103, 31, 21), (104, 31, 21)], {20: 10, 21: 10}
)


def test_ratios_are_ratios_of_sums_not_means_of_ratios():
    # Two communes: 1 GP for 100 inhabitants (100 per 10,000) and 9 GPs for 9,900 inhabitants (≈ 9.09).
    table = aggregate(values([(100, 3, 2025, 1, 100), (101, 3, 2025, 9, 9_900)]), HIERARCHY, SPECS)
    rows = by_territory(table, 3)
    assert rows.loc[30, "value"] == pytest.approx(10 / 10_000 * 10_000)  # 10 per 10,000, not (100 + 9.09) / 2
    assert rows.loc[30, ["numerator", "denominator"]].tolist() == [10, 10_000]
    assert rows.loc[FRANCE, "value"] == pytest.approx(10.0)
    assert not rows["is_masked"].any()


def test_counts_are_summed_per_level_epci_and_department_from_communes():
    table = aggregate(
        values([(c, 1, 2025, 100 * (i + 1), np.nan) for i, c in enumerate(range(100, 105))]), HIERARCHY, SPECS
    )
    rows = by_territory(table, 1)
    assert rows.loc[30, "value"] == 100 + 200 + 300  # EPCI 30 straddles both départements
    assert rows.loc[20, "value"] == 300 and rows.loc[21, "value"] == 1200
    assert rows.loc[10, "value"] == rows.loc[FRANCE, "value"] == 1500
    assert np.isnan(rows.loc[30, "denominator"])


def test_single_small_count_is_masked_and_not_recoverable_by_subtraction():
    # Commune 103 has 3 patients: masked. Without secondary masking EPCI 31 − commune 104 would reveal it.
    table = aggregate(
        values(
            [
                (100, 1, 2025, 50, np.nan),
                (101, 1, 2025, 60, np.nan),
                (102, 1, 2025, 70, np.nan),
                (103, 1, 2025, 3, np.nan),
                (104, 1, 2025, 80, np.nan),
            ]
        ),
        HIERARCHY,
        SPECS,
    )
    rows = by_territory(table, 1)
    assert rows.loc[103, "is_masked"] and np.isnan(rows.loc[103, "value"])
    masked = set(rows.index[rows.is_masked])
    assert len(masked) >= 2
    assert not disclosed(table, HIERARCHY, 1, 2025)
    # Parents still hold the true totals (numerators are kept for recomputation).
    assert rows.loc[FRANCE, "value"] == 263


def test_zero_is_not_secret_and_share_masks_on_numerator():
    table = aggregate(
        values(
            [
                (100, 2, 2025, 12, 40),
                (101, 2, 2025, 4, 40),
                (102, 2, 2025, 30, 300),
                (103, 2, 2025, 20, 100),
                (104, 2, 2025, 0, 100),
            ]
        ),
        HIERARCHY,
        SPECS,
    )
    rows = by_territory(table, 2)
    assert rows.loc[101, "is_masked"] and rows.loc[100, "is_masked"]  # secondary: 101 alone in EPCI 30 and in 20
    assert not rows.loc[104, "is_masked"] and rows.loc[104, "value"] == 0
    assert rows.loc[FRANCE, "value"] == pytest.approx(66 / 580 * 100)
    assert not disclosed(table, HIERARCHY, 2, 2025)


def test_bridges_on_a_multigraph():
    assert bridges([(1, 2), (1, 2)]) == set()  # parallel edges form a cycle
    assert bridges([(1, 2), (2, 3), (3, 1), (3, 4)]) == {3}
    assert bridges([(-1, 5), (5, 6), (6, -1)]) == set()  # a cycle through the free node


def disclosed(table, hierarchy, indicator, year) -> set[int]:
    """Exact audit: masked cells whose numerator is a linear function of the published values.

    Unknowns are the masked numerators; each parent gives parent − Σ children = 0. A masked cell is
    disclosed iff its unit vector lies in the row space of the system restricted to the unknowns.
    """
    rows = by_territory(table, indicator, year)
    unknown = list(rows.index[rows.is_masked])
    if not unknown:
        return set()
    col = {t: i for i, t in enumerate(unknown)}
    present = set(rows.index)
    communes = hierarchy.communes[hierarchy.communes.index.isin(present)]
    groups = []
    for epci, members in communes[communes.epci >= 0].groupby("epci"):
        groups.append((epci, list(members.index)))
    for dept, members in communes.groupby("department"):
        groups.append((dept, list(members.index)))
    deps = hierarchy.departments[hierarchy.departments.index.isin(present)]
    for region, members in deps.groupby(deps):
        groups.append((region, list(members.index)))
    groups.append((hierarchy.france, sorted(set(deps.to_numpy()))))
    matrix = []
    for parent, children in groups:
        if parent not in present:
            continue
        line = np.zeros(len(unknown))
        for child in children:
            if child in col:
                line[col[child]] += 1
        if parent in col:
            line[col[parent]] -= 1
        if line.any():
            matrix.append(line)
    if not matrix:
        return set()
    a = np.array(matrix)
    rank = np.linalg.matrix_rank(a)
    out = set()
    for t, i in col.items():
        e = np.zeros(len(unknown))
        e[i] = 1
        if np.linalg.matrix_rank(np.vstack([a, e])) == rank:
            out.add(t)
    return out


@st.composite
def hierarchies(draw):
    n_regions = draw(st.integers(1, 2))
    n_departments = draw(st.integers(1, 3))
    departments = {200 + d: 10 + draw(st.integers(0, n_regions - 1)) for d in range(n_departments)}
    n_epci = draw(st.integers(1, 4))
    n_communes = draw(st.integers(1, 14))
    communes = []
    for c in range(n_communes):
        epci = draw(st.sampled_from([-1, *range(300, 300 + n_epci)]))
        communes.append((1000 + c, epci, draw(st.sampled_from(sorted(departments)))))
    counts = draw(st.lists(st.integers(0, 40), min_size=n_communes, max_size=n_communes))
    dens = draw(st.lists(st.integers(1, 200), min_size=n_communes, max_size=n_communes))
    return make_hierarchy(communes, departments), counts, dens


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hierarchies(), st.sampled_from([COUNT, SHARE]))
def test_random_hierarchies_sum_and_never_disclose(data, spec):
    hierarchy, counts, dens = data
    ids = list(hierarchy.communes.index)
    if spec.aggregation == Aggregation.SUM:
        rows = [(t, spec.id, 2025, n, np.nan) for t, n in zip(ids, counts, strict=True)]
    else:
        rows = [(t, spec.id, 2025, min(n, d), d) for t, n, d in zip(ids, counts, dens, strict=True)]
    table = aggregate(values(rows), hierarchy, SPECS)
    result = by_territory(table, spec.id)
    communes = hierarchy.communes
    # Parents hold Σ children numerators and denominators, whatever the masks.
    for epci, members in communes[communes.epci >= 0].groupby("epci"):
        assert result.loc[epci, "numerator"] == result.loc[list(members.index), "numerator"].sum()
    for dept, members in communes.groupby("department"):
        assert result.loc[dept, "numerator"] == result.loc[list(members.index), "numerator"].sum()
        if spec.aggregation == Aggregation.RATIO:
            assert result.loc[dept, "denominator"] == result.loc[list(members.index), "denominator"].sum()
    assert result.loc[FRANCE, "numerator"] == sum(r[3] for r in rows)
    # Primary rule, masked values hidden, and nothing recoverable by linear combination of published values.
    small = {r[0] for r in rows if 0 < r[3] < 10}
    assert small <= set(result.index[result.is_masked])
    assert result.loc[result.is_masked, "value"].isna().all()
    assert disclosed(table, hierarchy, spec.id, 2025) == set()
