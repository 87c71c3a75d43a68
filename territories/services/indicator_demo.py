"""Deterministic demonstration health data for every commune of France.

No health figure ships in a package, so this generator produces plausible values keyed to the real
INSEE codes, populations, départements and EPCI. ``simulate_communes`` is a pure, vectorised function
of a table of communes and a seed: the same seed gives the same arrays whatever the database
(communes are sorted by INSEE code; per-commune, per-EPCI and per-département effects are derived from
a hash of the code and the seed, so they do not depend on which other communes are present; the draws
that remain use one ``numpy.random.Generator`` seeded per run).

Calibration: national orders of magnitude the generator aims at (tests check these ranges):
- GPs: ≈ 99,000 médecins généralistes in activity, all practice modes (DREES, démographie des
  professionnels de santé, 1 January 2023), of whom ≈ 60,000 libéraux or mixtes, i.e. a density of
  ≈ 8.5–9 libéral GPs per 10,000 inhabitants (Cnam / DREES). GP headcount −5.6 % since 2012 (DREES 2021,
  cited by the RfVS guide, DOMAIN.md §1.1), so a slow decline, faster in rural areas.
- Age of GPs: « part des médecins de plus de 55 ans : France 55 % » (RfVS guide L3717‑3719); about a
  third of libéral GPs are 60 or older (DREES, order of magnitude); older in rural areas.
- Patients without a médecin traitant: 6.7 million, ≈ 11 % of patients aged 17 or more (Cnam, 2023);
  ≈ 5 % of ALD patients (Cnam 2023, ≈ 600,000 ALD patients without MT).
- ALD: ≈ 20 % of insured people (≈ 13.7 million, Cnam); CSS: 7.31 million beneficiaries in 2021
  (≈ 7–11 % of the population, DOMAIN.md §1.5).
- APL to GPs: national mean ≈ 3.3 consultations per year per inhabitant (DREES, APL 2022); below 2.5 is
  « sous-dense ». ARS zoning: ≈ 30 % of the population in ZIP since the 2022–2024 zonings (Ministère de la
  santé), less under the previous zoning.
- Other professions (libéraux, DREES 2023): ≈ 100,000 nurses, ≈ 75,000 physiotherapists, ≈ 37,000 dentists,
  ≈ 8,000 midwives; ≈ 20,000 pharmacies d'officine (Ordre national des pharmaciens, 2023).
- Population: 60+ ≈ 28 %, 75+ ≈ 10 % (INSEE, bilan démographique 2024); ≈ 5.3 million people live in a QPV
  (ANCT, 2024 list).
- Prevention (Santé publique France): colorectal screening ≈ 34 % (2022–2023), breast ≈ 47 %
  (2023–2024), cervical ≈ 59 % (2020–2022), flu vaccination of the 65+ ≈ 54 % (2023–2024 season), HPV
  at least one dose at 15 for girls ≈ 55 % (2023).

Spatial structure: an urbanity score from the population density (or, without an area, from the
population) drives everything: low-density communes get fewer professionals per inhabitant, older GPs,
lower APL, more ZIP zoning and more patients without a médecin traitant; urban poles and rural
market towns concentrate supply; département and EPCI effects make neighbouring communes alike.
"""

from __future__ import annotations

import hashlib
import json
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..catalogue import CATALOGUE_BY_CODE

GENERATOR_VERSION = "1.1"  # 1.1: series only where pages show trends (catalogue ``series``)
DEFAULT_YEARS = (2021, 2022, 2023, 2024, 2025)
LEGAL_POPULATION_YEAR = 2023

# Target national totals in the latest year (see module docstring).
SUPPLY_TARGETS = {  # code prefix: (national libéral headcount, yearly trend, concentration on poles)
    "gp": (60_000, -0.010, 1.0),
    "nurse": (100_000, 0.020, 0.4),
    "physio": (75_000, 0.030, 0.8),
    "dentist": (37_000, 0.000, 1.3),
    "midwife": (8_000, 0.050, 1.2),
    "pharmacy": (20_000, -0.010, 0.6),
}
ALL_GP_TARGET = 99_000
FRANCE_POPULATION = 68_952_941  # Σ populations légales 2023 of the etalab communes: targets are per inhabitant


@dataclass(frozen=True)
class Simulation:
    """Output of ``simulate_communes``.

    ``values``: one row per (commune position, indicator, year) with ``numerator`` and ``denominator``
    (NaN for counts); ``zoning``: one row per commune and arrêté (``valid_from``, ``valid_until``, ``zone``).
    ``codes``: the INSEE codes in the order the positions refer to.
    """

    codes: np.ndarray
    values: pd.DataFrame
    zoning: pd.DataFrame


_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _key_hashes(keys: np.ndarray, seed: int) -> np.ndarray:
    """A 64-bit hash per key, from blake2b(seed, key): stable across runs, machines and row orders."""
    uniq, inverse = np.unique(np.asarray(keys, dtype=str), return_inverse=True)
    hashes = np.fromiter(
        (int.from_bytes(hashlib.blake2b(f"{seed}|{k}".encode(), digest_size=8).digest(), "little") for k in uniq),
        dtype=np.uint64,
        count=len(uniq),
    )
    return hashes[inverse]


def _hash_uniform(hashes: np.ndarray, salt: str) -> np.ndarray:
    """A uniform number in (0, 1) per key hash and salt (splitmix64 finaliser, vectorised)."""
    x = hashes ^ np.uint64(zlib.crc32(salt.encode()) * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
        x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
        x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
        x = x ^ (x >> np.uint64(31))
    return np.clip((x >> np.uint64(11)).astype(np.float64) / 2.0**53, 1e-12, 1 - 1e-12)


def _hash_normal(hashes: np.ndarray, salt: str) -> np.ndarray:
    u1 = _hash_uniform(hashes, salt + ":1")
    u2 = _hash_uniform(hashes, salt + ":2")
    return np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2)


def _weighted_mean(values: np.ndarray, weights: np.ndarray) -> float:
    return float((values * weights).sum() / weights.sum())


def _count(expected: np.ndarray, quantile: np.ndarray) -> np.ndarray:
    """Integer counts with the given expectations, coupled across years by a per-commune quantile.

    floor(λ + U) has expectation λ exactly; using the same U every year gives smooth series.
    """
    return np.floor(np.maximum(expected, 0) + quantile).astype(np.int64)


def simulate_communes(communes: pd.DataFrame, *, seed: int, years: tuple[int, ...] = DEFAULT_YEARS) -> Simulation:
    """Simulate every catalogue indicator for a table of communes.

    ``communes`` columns: ``code`` (INSEE), ``population`` (légale), ``department``, ``epci`` (SIREN or empty)
    and optionally ``area_km2`` (NaN allowed). Pure function: no database, no global state.
    """
    df = communes.sort_values("code", kind="stable").reset_index(drop=True)
    n = len(df)
    codes = df["code"].astype(str).to_numpy()
    dept = df["department"].astype(str).to_numpy()
    epci = df["epci"].fillna("").astype(str).to_numpy()
    epci_key = np.where(epci == "", "c" + codes, epci)  # a commune without EPCI is its own group
    pop = df["population"].fillna(0).to_numpy(dtype=float)
    area = df["area_km2"].to_numpy(dtype=float) if "area_km2" in df else np.full(n, np.nan)
    rng = np.random.default_rng(seed)
    years = tuple(sorted(years))
    last = years[-1]

    # Urbanity in [0, 1]: density 20 → 0, 3,000 inhabitants/km² → 1; without an area, population 200 → 0, 50,000 → 1.
    with np.errstate(divide="ignore", invalid="ignore"):
        by_density = (np.log10(np.maximum(pop / area, 1)) - 1.3) / 2.2
    by_population = (np.log10(np.maximum(pop, 1)) - 2.3) / 2.4
    u = np.clip(np.where(np.isfinite(by_density), by_density, by_population), 0, 1)
    log_pop = np.log10(np.maximum(pop, 1))
    # Rural market towns and urban poles attract supply (bump between 2,000 and 20,000 inhabitants in rural areas).
    pole = 1 / (1 + np.exp(-(log_pop - 3.1) / 0.22))
    market_town = np.exp(-(((log_pop - 3.7) / 0.45) ** 2)) * (1 - u)

    h_dept, h_epci, h_commune = (_key_hashes(keys, seed) for keys in (dept, epci_key, codes))
    zd = {s: _hash_normal(h_dept, "dept-" + s) for s in ("age", "dep", "supply", "prev")}
    ze = {s: _hash_normal(h_epci, "epci-" + s) for s in ("dep", "supply", "mt")}
    zc = {s: _hash_normal(h_commune, "com-" + s) for s in ("age", "dep", "supply", "mt", "growth", "gpage", "prev")}
    quantile = {s: _hash_uniform(h_commune, "q-" + s) for s in (*SUPPLY_TARGETS, "all_gp")}

    # Population by year and age structure (INSEE orders of magnitude).
    growth = 0.002 + 0.004 * (u - 0.5) + 0.003 * zc["growth"]
    pop_y = {y: np.round(pop * (1 + growth) ** (y - LEGAL_POPULATION_YEAR)) for y in years}
    s60 = np.clip(0.30 + 0.10 * (0.45 - u) + 0.03 * zd["age"] + 0.03 * zc["age"], 0.10, 0.60)
    s75 = s60 * np.clip(0.37 + 0.03 * zc["age"], 0.25, 0.50)
    s65 = s60 * 0.76
    s70 = s60 * 0.56
    s50_74 = np.clip(0.31 + 0.35 * (s60 - 0.28), 0.15, 0.45)
    adults = 0.80

    deprivation = 0.55 * zd["dep"] + 0.35 * ze["dep"] + 0.5 * zc["dep"] + 1.6 * np.maximum(u - 0.7, 0) / 0.3
    deprivation += 0.4 * (1 - u) ** 3
    weights = np.maximum(pop, 1)
    deprivation = (deprivation - _weighted_mean(deprivation, weights)) / np.sqrt(
        _weighted_mean((deprivation - _weighted_mean(deprivation, weights)) ** 2, weights)
    )
    qpv_share = np.where((pop >= 8_000) & (u > 0.45), np.clip(0.10 + 0.08 * deprivation + 0.05 * zc["dep"], 0, 0.6), 0)

    # Supply: expected libéral headcount per commune, rescaled to the national targets of the latest year.
    supply: dict[str, dict[int, np.ndarray]] = {}
    for prefix, (target, trend, concentration) in SUPPLY_TARGETS.items():
        attraction = (0.08 + pole + 0.9 * market_town) ** concentration
        effect = np.exp(0.15 * zd["supply"] + 0.12 * ze["supply"] + 0.30 * zc["supply"])
        rural_trend = trend - 0.012 * (1 - u) * (prefix == "gp")
        expected = pop * attraction * effect
        expected *= target * (pop.sum() / FRANCE_POPULATION) / max(expected.sum(), 1e-9)
        supply[prefix] = {
            y: _count(expected * (1 + rural_trend) ** (y - last), quantile[prefix]) for y in sorted({*years, last - 5})
        }
    # Salaried GPs (hospitals, centres de santé) are concentrated in cities: all GPs = libéraux + salariés.
    salaried_expected = pop * (0.05 + u**2) * np.exp(0.2 * zc["supply"])
    salaried_expected *= (
        (ALL_GP_TARGET - SUPPLY_TARGETS["gp"][0]) * (pop.sum() / FRANCE_POPULATION) / max(salaried_expected.sum(), 1e-9)
    )
    all_gp = {y: supply["gp"][y] + _count(salaried_expected, quantile["all_gp"]) for y in years}
    gp = supply["gp"]

    # GP age: older in rural areas.
    p60 = np.clip(0.34 + 0.10 * (0.5 - u) + 0.05 * zc["gpage"], 0.05, 0.85)
    p55 = np.clip(p60 + 0.21 + 0.03 * zc["gpage"], 0.1, 0.95)
    gp60 = {y: rng.binomial(gp[y], p60) for y in years}
    gp55 = {y: gp60[y] + rng.binomial(gp[y] - gp60[y], (p55 - p60) / (1 - p60)) for y in years}

    # APL: availability around the commune (its EPCI, its département, itself), age-adjusted, national ≈ 3.3.
    def grouped_density(keys: np.ndarray, counts: np.ndarray, population: np.ndarray) -> np.ndarray:
        frame = pd.DataFrame({"k": keys, "c": counts, "p": population})
        sums = frame.groupby("k")[["c", "p"]].transform("sum")
        return (sums["c"] / sums["p"].clip(lower=1)).to_numpy()

    apl = {}
    for y in years:
        nat = gp[y].sum() / pop_y[y].sum()
        around = (
            0.55 * grouped_density(epci_key, gp[y], pop_y[y])
            + 0.30 * grouped_density(dept, gp[y], pop_y[y])
            + 0.15 * gp[y] / np.maximum(pop_y[y], 1)
        ) / nat
        raw = np.maximum(around, 0.05) ** 0.8 * np.exp(0.08 * zc["mt"] - 0.4 * (s60 - 0.28))
        level = 3.3 * (1 - 0.015 * (last - y))
        apl[y] = raw * level / _weighted_mean(raw, np.maximum(pop_y[y], 1))

    # ARS zoning per EPCI (proxy for the territoire de vie-santé): lowest APL first until the ZIP share.
    def zoning_for(year: int, zip_share: float, zac_share: float) -> np.ndarray:
        frame = pd.DataFrame({"k": epci_key, "w": apl[year] * pop_y[year], "p": pop_y[year]})
        grouped = frame.groupby("k").agg(w=("w", "sum"), p=("p", "sum"))
        grouped["apl"] = grouped["w"] / grouped["p"].clip(lower=1)
        grouped = grouped.sort_values(["apl"], kind="stable")
        cumulative = grouped["p"].cumsum() / grouped["p"].sum()
        zone = np.where(cumulative <= zip_share, "zip", np.where(cumulative <= zip_share + zac_share, "zac", "none"))
        return pd.Series(zone, index=grouped.index).reindex(epci_key).to_numpy()

    first_zoning = zoning_for(years[0], 0.18, 0.40)
    second_zoning = zoning_for(min(2024, last) if 2024 in years else last, 0.30, 0.45)

    def zone_on(year: int) -> np.ndarray:
        return second_zoning if year >= 2024 else first_zoning

    # Patients without a médecin traitant: more where APL is low, rising slowly.
    p_ald = np.clip(0.085 + 0.40 * s60 + 0.012 * deprivation, 0.04, 0.45)
    p_css = np.clip(0.088 * np.exp(0.45 * deprivation) * (1 + 0.2 * (u - 0.5)), 0.01, 0.45)

    parts: list[tuple[np.ndarray, ...]] = []
    positions = np.arange(n)
    indicator_codes = list(CATALOGUE_BY_CODE)
    indicator_index = {code: i for i, code in enumerate(indicator_codes)}

    def emit(code: str, year: int, numerator: np.ndarray, denominator: np.ndarray | None = None) -> None:
        if year != last and not CATALOGUE_BY_CODE[code]["series"]:
            return  # latest year only for the indicators without a series (see the catalogue)
        numerator = np.asarray(numerator, dtype=float)
        if denominator is None:
            keep = np.ones(n, dtype=bool)
            den = np.full(n, np.nan)
        else:
            den = np.asarray(denominator, dtype=float)
            keep = den > 0
        count = int(keep.sum())
        parts.append(
            (positions[keep], np.full(count, indicator_index[code]), np.full(count, year), numerator[keep], den[keep])
        )

    for y in years:
        p = pop_y[y]
        adults_y = np.round(p * adults)
        emit("population", y, p)
        for prefix in SUPPLY_TARGETS:
            emit(f"{prefix}_count", y, supply[prefix][y])
            emit(f"{prefix}_density", y, supply[prefix][y], p)
        emit("gp_60_plus_share", y, gp60[y], gp[y])
        emit("gp_55_plus_share", y, gp55[y], gp[y])
        emit("gp_liberal_share", y, gp[y], all_gp[y])
        p_nomt = np.clip(
            0.115
            * (apl[y] / 3.3) ** -0.7
            * np.exp(0.15 * ze["mt"] + 0.12 * zc["mt"] + 0.1 * deprivation)
            * (1 + 0.02 * (y - last)),
            0.01,
            0.6,
        )
        without = rng.binomial(adults_y.astype(np.int64), p_nomt)
        emit("patients_without_gp_count", y, without)
        emit("patients_without_gp_share", y, without, adults_y)
        over70 = np.round(p * s70)
        emit("patients_without_gp_70_plus_share", y, rng.binomial(over70.astype(np.int64), p_nomt * 0.55), over70)
        ald = rng.binomial(p.astype(np.int64), p_ald)
        emit("patients_without_gp_ald_share", y, rng.binomial(ald, np.clip(p_nomt * 0.45, 0, 1)), ald)
        emit("apl_gp", y, apl[y] * p, p)
        emit("zip_population_share", y, np.where(zone_on(y) == "zip", p, 0), p)
        if y != last:  # indicators computed for the latest year only (no series by construction)
            continue
        emit("pop_60_plus_share", y, np.round(p * s60), p)
        emit("pop_75_plus_share", y, np.round(p * s75), p)
        emit("ald_share", y, ald, p)
        emit("css_share", y, rng.binomial(p.astype(np.int64), p_css), p)
        emit("deprivation_index", y, deprivation * p, p)
        emit("qpv_population_share", y, np.round(p * qpv_share), p)
        start = supply["gp"][y - 5]
        emit("gp_count_evolution_5y", y, gp[y] - start, start)
        prev = 0.04 * zd["prev"] + 0.02 * zc["prev"] - 0.035 * deprivation + 0.02 * (0.5 - u)
        target = np.round(p * s50_74)
        emit(
            "colorectal_screening_rate",
            y,
            rng.binomial(target.astype(np.int64), np.clip(0.34 + prev, 0.05, 0.9)),
            target,
        )
        women = np.round(target * 0.52)
        emit("breast_screening_rate", y, rng.binomial(women.astype(np.int64), np.clip(0.475 + prev, 0.05, 0.9)), women)
        women = np.round(p * 0.26)
        emit(
            "cervical_screening_rate", y, rng.binomial(women.astype(np.int64), np.clip(0.59 + prev, 0.05, 0.95)), women
        )
        seniors = np.round(p * s65)
        emit(
            "flu_vaccination_65_plus",
            y,
            rng.binomial(seniors.astype(np.int64), np.clip(0.54 + prev, 0.05, 0.95)),
            seniors,
        )
        girls = np.round(p * 0.0062)
        emit(
            "hpv_vaccination_girls",
            y,
            rng.binomial(girls.astype(np.int64), np.clip(0.55 + 1.5 * prev, 0.05, 0.95)),
            girls,
        )

    columns = [np.concatenate(column) for column in zip(*parts, strict=True)]
    values = pd.DataFrame(
        {
            "position": columns[0],
            "indicator": pd.Categorical.from_codes(columns[1], categories=indicator_codes),
            "year": columns[2].astype(np.int64),
            "numerator": columns[3],
            "denominator": columns[4],
        }
    )
    zoning = pd.concat(
        [
            pd.DataFrame(
                {
                    "position": positions,
                    "valid_from": f"{years[0]}-01-01",
                    "valid_until": "2023-12-31",
                    "zone": first_zoning,
                }
            ),
            pd.DataFrame(
                {"position": positions, "valid_from": "2024-01-01", "valid_until": None, "zone": second_zoning}
            ),
        ],
        ignore_index=True,
    )
    return Simulation(codes=codes, values=values, zoning=zoning)


def national_figures(simulation: Simulation, *, year: int) -> dict[str, float]:
    """National value of each indicator for ``year``: Σ numerators (counts) or Σ numerators / Σ denominators × scale."""
    frame = simulation.values[simulation.values["year"] == year]
    sums = frame.groupby("indicator", observed=True)[["numerator", "denominator"]].sum(min_count=1)
    out = {}
    for code, row in sums.iterrows():
        entry = CATALOGUE_BY_CODE[code]
        out[code] = (
            row["numerator"]
            if entry["aggregation"] == "sum"
            else row["numerator"] / row["denominator"] * entry["scale"]
        )
    return out


def communes_from_etalab(tgz: Path) -> pd.DataFrame:
    """The commune table ``simulate_communes`` expects, read from the committed etalab package (no area)."""
    with tarfile.open(tgz) as archive:
        communes = json.load(archive.extractfile("package/data/communes.json"))
        epcis = json.load(archive.extractfile("package/data/epci.json"))
    membership = {m["code"]: e["code"] for e in epcis for m in e["membres"]}
    rows = [
        {
            "code": c["code"],
            "population": c.get("population") or 0,
            "department": c["departement"],
            "epci": membership.get(c["code"], ""),
        }
        for c in communes
        if c["type"] == "commune-actuelle"
    ]
    return pd.DataFrame(rows)
