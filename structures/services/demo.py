"""Deterministic demonstration care structures (CPTS, MSP, centres de santé, ESP, MMG, PASS) for France.

No national open file lists CPTS, ESP or maisons médicales de garde with their teams, and the FINESS
extraction (``import_finess``) gives MSP and centres de santé without teams. This generator produces
plausible rows keyed to the real communes, EPCI and départements. ``plan_structures`` is a pure function
of a table of communes and a seed: same seed and same communes → same rows on SQLite and PostgreSQL.
It never depends on database order (communes are sorted by INSEE code) nor on the other communes loaded
for the point structures: each commune's draws come from a generator seeded by (seed, INSEE code) and its
expected counts from weights calibrated once on all of France (:data:`NATIONAL_WEIGHT_SUMS`). CPTS
perimeters depend on the EPCI and département membership of the communes.

Calibration (national orders of magnitude; tests check the ranges on a national-like table):
- MSP: 1,889 in operation and 366 projects nationally in June 2021 (DGOS, cited by the RfVS guide,
  DOMAIN.md §2.1): ≈ 2,250 MSP of which ≈ 84 % open, ≈ 15 % projects. At least 2 GPs and 1 other
  professional (the legal definition). Mostly in communes of 2,000 inhabitants or more and market towns.
- Centres de santé: ≈ 2,500 (Observatoire des centres de santé / ARS, order of magnitude), about half
  polyvalent or medical, the rest dental or nursing; concentrated in cities (Paris alone has ≈ 200).
- CPTS: ≈ 800, covering ≈ 2/3 of the population (Assurance Maladie, 2024–2025: « plus de 800 CPTS »);
  a CPTS territory has 20,000 to more than 100,000 inhabitants (RfVS guide L2945‑2953): built here from
  one EPCI, several neighbouring EPCI of the same département, or a sector of a large EPCI (a city of
  more than 150,000 inhabitants is split into sectors of ≈ 100,000 inhabitants sharing the commune).
  Stages: ≈ 72 % with a signed ACI, 15 % in préfiguration, 13 % projects.
- ESP (≈ 200), maisons médicales de garde (≈ 350, communes of 8,000 inhabitants or more), PASS (≈ 420, in
  hospital towns of 10,000 inhabitants or more: about one public hospital in two has one).
- France Santé label (launched in September 2025): ≈ 20 % of open MSP and centres de santé, labelled
  between September 2025 and October 2026, never one whose team breaks the socle (a GP and a nurse:
  ``structures.france_sante.team_meets_socle``).

Everything generated is flagged ``is_demo`` and logged as a DataSource « Structures — données de
démonstration ». Kinds that hold real rows (imported from FINESS or entered in the admin) are not generated.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from territories.enums import Level, Profession
from territories.models import DataSource, Territory

from ..enums import Stage, StructureKind
from ..france_sante import team_meets_socle
from ..models import CoveredCommune, Structure, TeamCount
from .perimeters import dissolve_perimeters

GENERATOR_VERSION = "1.0"
DEMO_SOURCE_NAME = "Structures — données de démonstration"
BATCH_SIZE = 2_000

# Point structures: national target count (all stages) of each kind.
TARGETS = {
    StructureKind.MSP: 2_250,
    StructureKind.CDS: 2_500,
    StructureKind.ESP: 200,
    StructureKind.MMG: 350,
    StructureKind.PASS: 420,
}
# Σ over the 34,875 communes of France (COG 2026, populations légales 2023) of each kind's weight
# (:func:`kind_weights`): expected counts are weight × target / Σ, so a commune's expectation does not depend
# on which other communes are loaded. Recompute with ``kind_weights`` if the weights change.
NATIONAL_WEIGHT_SUMS = {
    StructureKind.MSP: 1_256_722.2,
    StructureKind.CDS: 16_691_617.3,
    StructureKind.ESP: 8_983.0,
    StructureKind.MMG: 197_478.6,
    StructureKind.PASS: 1_369_286.1,
}

CPTS_MIN_POPULATION = 20_000
CPTS_MAX_POPULATION = 150_000
CPTS_SECTOR_POPULATION = 80_000  # sectors of an EPCI too large for one CPTS
CITY_SECTOR_POPULATION = 100_000  # sectors of a city too large for one CPTS
CPTS_COVERAGE = 2 / 3

LABEL_START, LABEL_END = date(2025, 9, 15), date(2026, 10, 31)

STREETS = [
    "rue de la République",
    "place de la Mairie",
    "avenue Jean Jaurès",
    "rue du Stade",
    "rue Victor Hugo",
    "allée des Tilleuls",
    "rue Pasteur",
    "boulevard de la Libération",
    "rue des Écoles",
    "place du Marché",
    "rue de la Gare",
    "chemin des Vignes",
    "rue du Général de Gaulle",
    "avenue de l'Europe",
    "rue Jules Ferry",
    "rue de l'Hôpital",
]
SECTORS = ["Centre", "Nord", "Sud", "Est", "Ouest", "Gare", "Les Tilleuls", "Val Fleuri", "Les Prés", "Le Bourg"]
EPCI_PREFIXES = (
    "Communauté de communes ",
    "Communauté d'agglomération ",
    "Communauté urbaine ",
    "CC ",
    "CA ",
    "CU ",
)


@dataclass(frozen=True)
class PlannedStructure:
    """One generated structure; ``commune`` and ``covered`` are INSEE codes, ``team`` (profession, headcount, FTE)."""

    kind: str
    name: str
    commune: str
    stage: str
    address: str = ""
    postal_code: str = ""
    latitude: float | None = None
    longitude: float | None = None
    opened_on: date | None = None
    france_sante: bool = False
    france_sante_on: date | None = None
    population_covered: int | None = None
    covered: tuple[str, ...] = ()
    team: tuple[tuple[str, int, Decimal], ...] = ()


@dataclass
class Plan:
    structures: list[PlannedStructure] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(StructureKind.values, 0)
        for s in self.structures:
            counts[s.kind] += 1
        return counts


# --- Weights and draws -------------------------------------------------------------------------------------


def kind_weights(population: np.ndarray) -> dict[str, np.ndarray]:
    """Weight of each commune for each point kind (expected count ∝ weight; see the module docstring)."""
    pop = np.maximum(np.asarray(population, dtype=float), 0)
    return {
        # Market towns and small cities: 2,000+ inhabitants, some in smaller rural bourgs.
        StructureKind.MSP: pop**0.6 * np.where(pop >= 2_000, 1.0, 0.12),
        # Cities: salaried centres, almost all in communes of 5,000+ inhabitants.
        StructureKind.CDS: pop**0.9 * np.where(pop >= 5_000, 1.0, np.where(pop >= 2_000, 0.3, 0.03)),
        StructureKind.ESP: np.where((pop >= 1_000) & (pop < 10_000), 1.0, 0.0),
        StructureKind.MMG: np.where(pop >= 8_000, np.sqrt(pop), 0.0),
        StructureKind.PASS: np.where(pop >= 10_000, pop**0.7, 0.0),
    }


def kind_caps(population: np.ndarray) -> dict[str, np.ndarray]:
    pop = np.maximum(np.asarray(population, dtype=float), 0)
    return {
        StructureKind.MSP: 1 + pop // 20_000,
        StructureKind.CDS: 1 + pop // 8_000,
        StructureKind.ESP: np.ones_like(pop),
        StructureKind.MMG: 1 + pop // 400_000,
        StructureKind.PASS: 1 + pop // 200_000,
    }


def _uniforms(key: str, count: int) -> list[float]:
    rng = random.Random(key)  # seeded from a str: sha512-based, the same on every machine and run
    return [rng.random() for _ in range(count)]


def _day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=int(rng.random() * ((end - start).days + 1)))


def _fte(rng: random.Random, headcount: int, low: float, high: float) -> Decimal:
    if headcount <= 0:
        return Decimal("0.0")
    value = round(headcount * (low + (high - low) * rng.random()), 1)
    return Decimal(str(min(max(value, 0.1), headcount)))


def _team(kind: str, rng: random.Random) -> tuple[tuple[str, int, Decimal], ...]:
    """Team by profession: MSP ≥ 2 GPs + ≥ 1 other; centres de santé by sub-type; MMG rosters."""
    P = Profession

    def n(low: int, high: int) -> int:
        return low + int(rng.random() * (high - low + 1))

    if kind == StructureKind.MSP:
        counts = {P.GP: n(2, 6), P.NURSE: n(1, 5), P.PHYSIO: n(0, 3), P.DENTIST: n(0, 2)}
        counts |= {P.MIDWIFE: n(0, 1), P.PHARMACIST: n(0, 1)}
        fte = (0.7, 1.0)
    elif kind == StructureKind.CDS:
        subtype = rng.random()
        if subtype < 0.45:  # polyvalent
            counts = {P.GP: n(2, 10), P.NURSE: n(1, 6), P.DENTIST: n(0, 3), P.MIDWIFE: n(0, 2), P.PHYSIO: n(0, 2)}
        elif subtype < 0.60:  # médical
            counts = {P.GP: n(2, 8), P.NURSE: n(0, 2)}
        elif subtype < 0.85:  # dentaire
            counts = {P.DENTIST: n(2, 8)}
        else:  # infirmier
            counts = {P.NURSE: n(3, 12)}
        fte = (0.5, 1.0)
    elif kind == StructureKind.ESP:
        counts = {P.GP: n(1, 3), P.NURSE: n(1, 4), P.PHYSIO: n(0, 2), P.PHARMACIST: n(0, 1)}
        fte = (0.7, 1.0)
    elif kind == StructureKind.MMG:
        counts = {P.GP: n(8, 35)}
        fte = (0.08, 0.15)  # each GP takes a few evening and weekend shifts
    elif kind == StructureKind.PASS:
        counts = {P.GP: n(1, 2), P.NURSE: n(1, 2)}
        fte = (0.3, 1.0)
    else:
        return ()
    return tuple(
        (profession, headcount, _fte(rng, headcount, *fte))
        for profession, headcount in sorted(counts.items(), key=lambda item: Profession.values.index(item[0]))
        if headcount > 0
    )


# --- Point structures --------------------------------------------------------------------------------------

STAGE_SHARES = {  # (open, project) shares; the rest is closed
    StructureKind.MSP: (0.84, 0.15),
    StructureKind.CDS: (0.93, 0.06),
    StructureKind.ESP: (0.80, 0.20),
    StructureKind.MMG: (0.97, 0.02),
    StructureKind.PASS: (1.0, 0.0),
}
OPENING_YEARS = {
    StructureKind.MSP: (2008, 2025),
    StructureKind.CDS: (1985, 2025),
    StructureKind.ESP: (2019, 2025),
    StructureKind.MMG: (2002, 2024),
    StructureKind.PASS: (1999, 2020),  # PASS were created by the 1998 law against exclusion
}
LABEL_SHARE = {StructureKind.MSP: 0.2, StructureKind.CDS: 0.2, StructureKind.ESP: 0.1}


def of(place: str) -> str:
    """« de Mens », « d'Aubigny-sur-Nère », « du Mans », « des Abrets », « de La Mure »."""
    if place.startswith("Le "):
        return "du " + place[3:]
    if place.startswith("Les "):
        return "des " + place[4:]
    if place[:1].upper() in "AEIOUYÉÈÊÎÔÂH" and not place.startswith(("La ", "L'")):
        return "d'" + place
    return "de " + place


def _point_name(kind: str, commune: str, k: int, rng: random.Random) -> str:
    place = of(commune)
    if kind == StructureKind.MSP:
        base = f"Maison de santé pluriprofessionnelle {place}"
    elif kind == StructureKind.CDS:
        base = rng.choice([f"Centre de santé municipal {place}", f"Centre de santé {place}", f"Centre médical {place}"])
    elif kind == StructureKind.ESP:
        base = f"Équipe de soins primaires {place}"
    elif kind == StructureKind.MMG:
        base = f"Maison médicale de garde {place}"
    else:
        base = f"PASS du centre hospitalier {place}"
    if k == 0:
        return base
    suffix = SECTORS[k % len(SECTORS)] + (f" {k // len(SECTORS) + 1}" if k >= len(SECTORS) else "")
    return f"{base} – {suffix}"


def _coordinates(rng: random.Random, lat: float, lon: float, area_km2: float, spread: float = 0.35):
    """A point near the centroid: within ``spread`` × the radius of a disc of the commune's area."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None, None
    radius_km = spread * math.sqrt(area_km2 / math.pi) if math.isfinite(area_km2) and area_km2 > 0 else 1.0
    r = radius_km * math.sqrt(rng.random())
    angle = 2 * math.pi * rng.random()
    dlat = r * math.sin(angle) / 111.2
    dlon = r * math.cos(angle) / (111.2 * max(math.cos(math.radians(lat)), 0.1))
    return round(float(lat + dlat), 6), round(float(lon + dlon), 6)


def _address(rng: random.Random) -> str:
    return f"{1 + int(rng.random() * 60)} {rng.choice(STREETS)}"


def _point_structures(df: pd.DataFrame, *, seed: int, kinds: set[str]) -> list[PlannedStructure]:
    pop = df["population"].to_numpy(dtype=float)
    weights, caps = kind_weights(pop), kind_caps(pop)
    point_kinds = [k for k in TARGETS if k in kinds]
    draws = np.array([_uniforms(f"{seed}|commune|{code}", len(TARGETS)) for code in df["code"]]).reshape(
        -1, len(TARGETS)
    )
    rows = []
    for column, kind in enumerate(TARGETS):
        if kind not in point_kinds:
            continue
        expected = weights[kind] * TARGETS[kind] / NATIONAL_WEIGHT_SUMS[kind]
        counts = np.minimum(np.floor(expected + draws[:, column]), caps[kind]).astype(int)
        for i in np.flatnonzero(counts):
            c = df.iloc[i]
            for k in range(counts[i]):
                rng = random.Random(f"{seed}|{kind}|{c['code']}|{k}")
                rows.append(_point_structure(kind, c, k, rng))
    return rows


def _point_structure(kind: str, c: pd.Series, k: int, rng: random.Random) -> PlannedStructure:
    open_share, project_share = STAGE_SHARES[kind]
    u = rng.random()
    stage = Stage.OPEN if u < open_share else Stage.PROJECT if u < open_share + project_share else Stage.CLOSED
    first, last = OPENING_YEARS[kind]
    opened_on = _day_between(rng, date(first, 1, 1), date(last, 12, 31)) if stage != Stage.PROJECT else None
    labelled = stage == Stage.OPEN and rng.random() < LABEL_SHARE.get(kind, 0.0)
    lat, lon = _coordinates(rng, c["latitude"], c["longitude"], c["area_km2"])
    planned = PlannedStructure(
        kind=kind,
        name=_point_name(kind, c["name"], k, rng),
        commune=c["code"],
        stage=stage,
        address=_address(rng),
        postal_code=c["postal_code"],
        latitude=lat,
        longitude=lon,
        opened_on=opened_on,
        france_sante=labelled,
        france_sante_on=_day_between(rng, LABEL_START, LABEL_END) if labelled else None,
        team=_team(kind, rng),
    )
    if labelled and not team_meets_socle({p: n for p, n, _ in planned.team}):  # never label a socle breaker
        planned = replace(planned, france_sante=False, france_sante_on=None)
    return planned


# --- CPTS --------------------------------------------------------------------------------------------------


@dataclass
class _Unit:
    """A candidate CPTS territory: commune positions, population covered, département, name."""

    key: str
    positions: list[int]
    population: float
    department: str
    name: str
    whole_epci: bool
    lat: float = math.nan
    lon: float = math.nan


def _centre(df: pd.DataFrame, positions: list[int]) -> tuple[float, float]:
    lat = df["latitude"].to_numpy(dtype=float)[positions]
    lon = df["longitude"].to_numpy(dtype=float)[positions]
    weight = df["population"].to_numpy(dtype=float)[positions] + 1
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return math.nan, math.nan
    return float(np.average(lat[ok], weights=weight[ok])), float(np.average(lon[ok], weights=weight[ok]))


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    if not all(math.isfinite(v) for v in (*a, *b)):
        return math.inf
    return math.hypot(a[0] - b[0], (a[1] - b[1]) * math.cos(math.radians(a[0])))


def _short_epci_name(name: str) -> str:
    for prefix in EPCI_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _biggest(df: pd.DataFrame, positions: list[int]) -> int:
    """Position of the most populated commune (ties: smallest INSEE code, i.e. smallest position)."""
    pop = df["population"].to_numpy(dtype=float)
    return min(positions, key=lambda p: (-pop[p], p))


def _split_epci(df: pd.DataFrame, key: str, positions: list[int], department: str) -> list[_Unit]:
    """Sectors of an EPCI too large for one CPTS: big cities in sectors of ≈ 100,000 inhabitants sharing the
    commune, the other communes in angular slices of ≈ 80,000 around their centre (a slice too small for a
    CPTS joins a neighbouring slice, or the city's last sector)."""
    pop = df["population"].to_numpy(dtype=float)
    names = df["name"].to_numpy()
    units = []
    for p in positions:
        if pop[p] > CPTS_MAX_POPULATION:
            n = math.ceil(pop[p] / CITY_SECTOR_POPULATION)
            for s in range(n):
                label = f"CPTS {names[p]}" + (f" – secteur {s + 1}" if n > 1 else "")
                units.append(_Unit(f"{key}:{df['code'][p]}:{s}", [p], pop[p] / n, department, label, False))
    rest = [p for p in positions if pop[p] <= CPTS_MAX_POPULATION]
    if not rest:
        return units
    clat, clon = _centre(df, rest)
    lat, lon = df["latitude"].to_numpy(dtype=float), df["longitude"].to_numpy(dtype=float)

    def angle(p: int) -> float:
        if not (math.isfinite(clat) and math.isfinite(lat[p]) and math.isfinite(lon[p])):
            return math.inf
        return math.atan2(lat[p] - clat, (lon[p] - clon) * math.cos(math.radians(clat)))

    ordered = sorted(rest, key=lambda p: (angle(p), p))
    # Slices of equal population (≈ 80,000 at most), so that the last one is not a small remainder.
    target = pop[rest].sum() / max(math.ceil(pop[rest].sum() / CPTS_SECTOR_POPULATION), 1)
    chunks: list[list[int]] = [[]]
    total = 0.0
    for p in ordered:
        if total >= target or (chunks[-1] and total + pop[p] > CPTS_MAX_POPULATION):
            chunks.append([])
            total = 0.0
        chunks[-1].append(p)
        total += pop[p]
    if len(chunks) > 1 and pop[chunks[-1]].sum() < CPTS_MIN_POPULATION:
        if pop[chunks[-1]].sum() + pop[chunks[-2]].sum() <= CPTS_MAX_POPULATION:
            chunks[-2].extend(chunks.pop())
        elif pop[chunks[-1]].sum() + pop[chunks[0]].sum() <= CPTS_MAX_POPULATION:
            chunks[0].extend(chunks.pop())  # the slices go round: the last one touches the first
        else:  # a large commune fills the previous slice: take its neighbours, never the large commune
            previous, last = chunks[-2], chunks[-1]
            keep = _biggest(df, previous)
            while pop[last].sum() < CPTS_MIN_POPULATION and len(previous) > 1:
                moved = next(p for p in reversed(previous) if p != keep)
                previous.remove(moved)
                last.insert(0, moved)
    city_sectors = list(units)
    for i, chunk in enumerate(chunks):
        if city_sectors and pop[chunk].sum() < CPTS_MIN_POPULATION:
            # Suburbs too small for their own CPTS join the city's last sector.
            sector = city_sectors[-1]
            sector.positions = sorted({*sector.positions, *chunk})
            sector.population += float(pop[chunk].sum())
            continue
        seat = names[_biggest(df, chunk)]
        label = f"CPTS {seat}" if len(chunk) == 1 else f"CPTS {seat} et environs"
        units.append(_Unit(f"{key}:s{i}", sorted(chunk), float(pop[chunk].sum()), department, label, False))
    return units


def cpts_territories(df: pd.DataFrame, epcis: dict[str, tuple[str, str]]) -> list[_Unit]:
    """Candidate CPTS territories covering every commune of ``df`` (sorted by code), before selection.

    ``epcis``: EPCI code → (name, département code). An EPCI of 20,000 to 150,000 inhabitants is one
    territory; smaller ones are merged with their nearest neighbours of the same département until 20,000;
    larger ones are split (see :func:`_split_epci`). A commune without EPCI counts as its own EPCI.
    """
    codes = df["code"].to_numpy()
    members: dict[str, list[int]] = defaultdict(list)
    for position, epci in enumerate(df["epci"].to_numpy()):
        members[epci or f"c{codes[position]}"].append(position)
    units: list[_Unit] = []
    pop = df["population"].to_numpy(dtype=float)
    departments = df["department"].to_numpy()
    for key in sorted(members):
        positions = members[key]
        name, department = epcis.get(key, ("", ""))
        department = department or departments[positions[0]]
        total = float(pop[positions].sum())
        if total > CPTS_MAX_POPULATION:
            units.extend(_split_epci(df, key, positions, department))
        else:
            label = f"CPTS {_short_epci_name(name)}" if name else f"CPTS {df['name'][_biggest(df, positions)]}"
            units.append(_Unit(key, positions, total, department, label, True))
    for unit in units:
        unit.lat, unit.lon = _centre(df, unit.positions)
    return _merge_small(df, units)


def _merge_small(df: pd.DataFrame, units: list[_Unit]) -> list[_Unit]:
    """Merge whole EPCI of fewer than 20,000 inhabitants with their nearest neighbours of the same département."""
    by_department: dict[str, list[_Unit]] = defaultdict(list)
    for unit in units:
        by_department[unit.department].append(unit)
    result = []
    for department in sorted(by_department):
        pool = sorted(by_department[department], key=lambda u: u.key)
        taken: set[str] = set()
        groups: list[list[_Unit]] = []
        for unit in pool:
            if unit.key in taken or unit.population >= CPTS_MIN_POPULATION or not unit.whole_epci:
                continue
            group, total = [unit], unit.population
            taken.add(unit.key)
            while total < CPTS_MIN_POPULATION:
                centre = _centre(df, [p for u in group for p in u.positions])
                candidates = [
                    u
                    for u in pool
                    if u.key not in taken and u.whole_epci and total + u.population <= CPTS_MAX_POPULATION
                ]
                if not candidates:
                    break
                nearest = min(candidates, key=lambda u: (_distance(centre, (u.lat, u.lon)), u.key))
                group.append(nearest)
                taken.add(nearest.key)
                total += nearest.population
            groups.append(group)
        # Whatever is still small joins the nearest group of the département that stays under the maximum.
        small = [g for g in groups if sum(u.population for u in g) < CPTS_MIN_POPULATION]
        for group in small:
            centre = _centre(df, [p for u in group for p in u.positions])
            total = sum(u.population for u in group)
            others = [
                g for g in groups if g is not group and sum(u.population for u in g) + total <= CPTS_MAX_POPULATION
            ]
            if others:
                target = min(
                    others,
                    key=lambda g: (_distance(centre, _centre(df, [p for u in g for p in u.positions])), g[0].key),
                )
                target.extend(group)
                group.clear()
        for group in groups:
            if group:
                result.append(_merged(df, group))
        result.extend(u for u in pool if u.key not in taken)
    return sorted(result, key=lambda u: u.key)


def _merged(df: pd.DataFrame, group: list[_Unit]) -> _Unit:
    if len(group) == 1:
        return group[0]
    positions = sorted(p for u in group for p in u.positions)
    seat = df["name"][_biggest(df, positions)]
    return _Unit(
        "+".join(sorted(u.key for u in group)),
        positions,
        sum(u.population for u in group),
        group[0].department,
        f"CPTS du pays {of(seat)}",
        True,
    )


def _cpts_structures(df: pd.DataFrame, epcis: dict[str, tuple[str, str]], *, seed: int) -> list[PlannedStructure]:
    units = cpts_territories(df, epcis)
    target = CPTS_COVERAGE * float(df["population"].sum())
    ranked = sorted(units, key=lambda u: (_uniforms(f"{seed}|cpts-rank|{u.key}", 1)[0], u.key))
    covered, chosen = 0.0, []
    for unit in ranked:
        if covered + unit.population <= target:
            chosen.append(unit)
            covered += unit.population
    codes = df["code"].to_numpy()
    names_seen: dict[str, int] = defaultdict(int)
    rows = []
    for unit in sorted(chosen, key=lambda u: u.key):
        rng = random.Random(f"{seed}|cpts|{unit.key}")
        u = rng.random()
        stage = Stage.SIGNED if u < 0.72 else Stage.PREFIGURATION if u < 0.87 else Stage.PROJECT
        seat = _biggest(df, unit.positions)
        c = df.iloc[seat]
        lat, lon = _coordinates(rng, c["latitude"], c["longitude"], c["area_km2"], spread=0.2)
        name = unit.name
        names_seen[name] += 1
        if names_seen[name] > 1:
            name = f"{name} ({names_seen[name]})"
        rows.append(
            PlannedStructure(
                kind=StructureKind.CPTS,
                name=name,
                commune=c["code"],
                stage=stage,
                address=_address(rng),
                postal_code=c["postal_code"],
                latitude=lat,
                longitude=lon,
                opened_on=_day_between(rng, date(2019, 6, 1), date(2025, 12, 31)) if stage == Stage.SIGNED else None,
                population_covered=int(round(unit.population)),
                covered=tuple(codes[p] for p in unit.positions),
            )
        )
    return rows


# --- Plan --------------------------------------------------------------------------------------------------

COMMUNE_COLUMNS = [
    "code",
    "name",
    "population",
    "department",
    "epci",
    "latitude",
    "longitude",
    "area_km2",
    "postal_code",
]


def plan_structures(
    communes: pd.DataFrame,
    *,
    epcis: dict[str, tuple[str, str]] | None = None,
    seed: int = 42,
    kinds: Iterable[str] | None = None,
) -> Plan:
    """The demonstration structures of a table of communes (pure function: no database, no global state).

    ``communes`` columns: :data:`COMMUNE_COLUMNS` (``epci`` and ``postal_code`` may be empty, coordinates and
    area NaN). ``epcis``: EPCI code → (name, département code). ``kinds``: the kinds to generate (default all).
    """
    kinds = set(StructureKind.values if kinds is None else kinds)
    df = communes[COMMUNE_COLUMNS].copy()
    df["code"] = df["code"].astype(str)
    df = df.sort_values("code", kind="stable").reset_index(drop=True)
    df["epci"] = df["epci"].fillna("").astype(str)
    df["postal_code"] = df["postal_code"].fillna("").astype(str)
    df["population"] = df["population"].fillna(0).astype(float)
    for column in ("latitude", "longitude", "area_km2"):
        df[column] = pd.to_numeric(df[column], errors="coerce").astype(float)
    plan = Plan()
    if df.empty:
        return plan
    if StructureKind.CPTS in kinds:
        plan.structures += _cpts_structures(df, epcis or {}, seed=seed)
    plan.structures += _point_structures(df, seed=seed, kinds=kinds)
    return plan


# --- Database ----------------------------------------------------------------------------------------------


def demo_version(seed: int) -> str:
    return f"générateur {GENERATOR_VERSION}, graine {seed}"


def _first_postal_code(value: str | None) -> str:
    codes = (value or "").split()
    return codes[0] if codes and len(codes[0]) == 5 else ""


def read_communes() -> tuple[pd.DataFrame, dict[str, tuple[str, str]], dict[str, int]]:
    """Communes (:data:`COMMUNE_COLUMNS`), EPCI (code → name, département) and commune ids by code: 2 queries."""
    rows = Territory.objects.filter(level=Level.COMMUNE).values_list(
        "id",
        "code",
        "name",
        "population",
        "department__code",
        "epci__code",
        "centroid_lat",
        "centroid_lon",
        "area_km2",
        "postal_codes",
    )
    frame = pd.DataFrame(list(rows), columns=["id", *COMMUNE_COLUMNS])
    frame["postal_code"] = [_first_postal_code(value) for value in frame["postal_code"]]
    frame["epci"] = frame["epci"].fillna("")
    frame["department"] = frame["department"].fillna("")
    epcis = {
        code: (name, department or "")
        for code, name, department in Territory.objects.filter(level=Level.EPCI).values_list(
            "code", "name", "department__code"
        )
    }
    ids = dict(zip(frame["code"], frame["id"], strict=True))
    return frame.drop(columns=["id"]), epcis, ids


def _checksum_lines(structures: list[tuple], teams: list[tuple], coverage: list[tuple]) -> str:
    digest = hashlib.sha256()
    for block in (sorted(structures), sorted(teams), sorted(coverage)):
        digest.update("\n".join("|".join("" if v is None else str(v) for v in row) for row in block).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def _structure_row(s) -> tuple:
    perimeter = hashlib.sha256(s.perimeter_geojson.encode()).hexdigest()[:16] if s.perimeter_geojson else ""
    return (
        s.kind,
        s.commune_code,
        s.name,
        s.stage,
        s.address,
        s.postal_code,
        repr(s.latitude),
        repr(s.longitude),
        s.opened_on,
        s.france_sante,
        s.france_sante_on,
        s.population_covered,
        perimeter,
    )


def stored_checksum(*, is_demo: bool = True) -> str:
    """sha256 of the stored structures, teams and perimeters, keyed by INSEE codes and names, not ids."""
    structures = Structure.objects.filter(is_demo=is_demo)
    rows = [
        _structure_row(s)
        for s in structures.annotate(commune_code=F("commune__code")).only(
            "kind",
            "name",
            "stage",
            "address",
            "postal_code",
            "latitude",
            "longitude",
            "opened_on",
            "france_sante",
            "france_sante_on",
            "population_covered",
            "perimeter_geojson",
        )
    ]
    teams = list(
        TeamCount.objects.filter(structure__is_demo=is_demo).values_list(
            "structure__kind", "structure__commune__code", "structure__name", "profession", "headcount", "fte"
        )
    )
    coverage = list(
        CoveredCommune.objects.filter(structure__is_demo=is_demo).values_list(
            "structure__kind", "structure__commune__code", "structure__name", "commune__code"
        )
    )
    return _checksum_lines(rows, teams, coverage)


def current_demo_source(*, seed: int = 42) -> DataSource | None:
    """The last demo load if it is the one this seed, generator version and geography would give."""
    source = DataSource.objects.filter(name=DEMO_SOURCE_NAME, is_demo=True).order_by("-loaded_at", "-pk").first()
    if source is None or source.version != demo_version(seed):
        return None
    if (source.row_counts or {}).get("communes") != Territory.objects.filter(level=Level.COMMUNE).count():
        return None
    if not Structure.objects.filter(is_demo=True).exists():
        return None
    return source


def delete_demo_structures(kinds: Iterable[str] | None = None) -> int:
    """Delete demonstration structures (of ``kinds``) with their teams and perimeters, in bulk (no history rows)."""
    demo = Structure.objects.filter(is_demo=True)
    if kinds is not None:
        demo = demo.filter(kind__in=list(kinds))
    db = Structure.objects.db
    TeamCount.objects.filter(structure__in=demo.values("pk"))._raw_delete(db)
    CoveredCommune.objects.filter(structure__in=demo.values("pk"))._raw_delete(db)
    count = demo.count()
    demo._raw_delete(db)  # children first: a raw delete does not cascade
    return count


@transaction.atomic
def generate_demo_structures(*, seed: int = 42, log=None) -> DataSource:
    """Replace the demonstration structures by those of ``seed`` (idempotent), logged as a DataSource.

    Kinds holding real rows (``is_demo=False``) are left alone and not generated. Bulk writes, a constant
    number of queries whatever the number of communes.
    """
    log = log or (lambda message: None)
    started = mark = time.perf_counter()
    timings: dict[str, float] = {}

    def lap() -> float:
        nonlocal mark
        now = time.perf_counter()
        elapsed, mark = now - mark, now
        return elapsed

    communes, epcis, ids = read_communes()
    if communes.empty:
        raise ValidationError("Aucune commune en base : chargez d'abord la géographie de référence (load_reference).")
    real_kinds = set(Structure.objects.filter(is_demo=False).values_list("kind", flat=True).distinct())
    kinds = [k for k in StructureKind.values if k not in real_kinds]
    timings["read_s"] = lap()
    plan = plan_structures(communes, epcis=epcis, seed=seed, kinds=kinds)
    timings["plan_s"] = lap()
    log(f"plan : {len(plan.structures)} structures en {timings['plan_s']:.1f} s")
    cpts = [s for s in plan.structures if s.kind == StructureKind.CPTS]
    perimeters = dissolve_perimeters([tuple(ids[code] for code in s.covered) for s in cpts])
    perimeter_of = {(s.commune, s.name): p for s, p in zip(cpts, perimeters, strict=True)}
    timings["perimeters_s"] = lap()
    log(f"périmètres des CPTS : {len(cpts)} contours en {timings['perimeters_s']:.1f} s")

    deleted = delete_demo_structures()
    source = DataSource.objects.create(name=DEMO_SOURCE_NAME, version=demo_version(seed), is_demo=True)
    objects = [
        Structure(
            kind=s.kind,
            name=s.name,
            stage=s.stage,
            address=s.address,
            postal_code=s.postal_code,
            commune_id=ids[s.commune],
            latitude=s.latitude,
            longitude=s.longitude,
            opened_on=s.opened_on,
            france_sante=s.france_sante,
            france_sante_on=s.france_sante_on,
            population_covered=s.population_covered,
            perimeter_geojson=perimeter_of.get((s.commune, s.name), "") if s.kind == StructureKind.CPTS else "",
            is_demo=True,
            source=source,
        )
        for s in plan.structures
    ]
    Structure.objects.bulk_create(objects, batch_size=BATCH_SIZE)
    if any(o.pk is None for o in objects):  # a backend without RETURNING: read the ids back
        by_key = {
            (k, c, n): pk
            for pk, k, c, n in Structure.objects.filter(source=source).values_list("pk", "kind", "commune_id", "name")
        }
        for o in objects:
            o.pk = by_key[(o.kind, o.commune_id, o.name)]
    teams = [
        TeamCount(structure_id=o.pk, profession=profession, headcount=headcount, fte=fte)
        for o, s in zip(objects, plan.structures, strict=True)
        for profession, headcount, fte in s.team
    ]
    TeamCount.objects.bulk_create(teams, batch_size=BATCH_SIZE)
    coverage = [
        CoveredCommune(structure_id=o.pk, commune_id=ids[code])
        for o, s in zip(objects, plan.structures, strict=True)
        for code in s.covered
    ]
    CoveredCommune.objects.bulk_create(coverage, batch_size=BATCH_SIZE)
    timings["write_s"] = lap()
    log(f"écriture : {len(objects)} structures, {len(teams)} effectifs, {len(coverage)} communes couvertes")

    code_of = {pk: code for code, pk in ids.items()}
    for o in objects:
        o.commune_code = code_of[o.commune_id]
    checksum = _checksum_lines(
        [_structure_row(o) for o in objects],
        [
            (s.kind, s.commune, s.name, profession, headcount, fte)
            for s in plan.structures
            for profession, headcount, fte in s.team
        ],
        [(s.kind, s.commune, s.name, code) for s in plan.structures for code in s.covered],
    )
    counts = plan.counts()
    total_population = float(communes["population"].sum()) or 1.0
    covered_population = sum(s.population_covered or 0 for s in cpts)
    source.checksum = checksum
    source.row_counts = {
        "communes": len(communes),
        "structures": len(objects),
        "par_type": {k: counts[k] for k in kinds},
        "effectifs": len(teams),
        "communes_couvertes": len(coverage),
        "population_couverte_cpts_pct": round(100 * covered_population / total_population, 1),
        "types_reels_non_generes": sorted(real_kinds),
        "structures_supprimees": deleted,
    }
    source.duration_s = round(time.perf_counter() - started, 2)
    source.notes = "Structures fictives, plausibles, générées à partir de la géographie réelle (graine fixe)."
    source.save()
    return source
