"""« Et si… ? »: the accessibility before and after changes to the GP supply, for every commune affected.

Changes (JSON, at most ``MAX_CHANGES``), each an object with an ``action``:

- ``retirement``: ``count`` GPs leave ``commune`` (default: its GPs aged 60 or more, where ages are known);
- ``addition``: ``fte`` GP full-time equivalents settle in ``commune`` or in the commune of ``structure``
  (an MSP opening);
- ``advanced_consultation``: one consultation day a week (0.1 FTE) held in ``commune``, moved from
  ``from_commune`` when given (consultations avancées).

``read_changes`` validates them for a user (French messages per change, as a ``ValidationError`` on the
``changes`` field); ``simulate`` computes them on a window of communes around the changed ones: a commune's
accessibility depends on supply within one catchment radius, whose shares depend on demand one radius further,
so a window of three radii around the changes gives the exact national figures for every commune affected.
Nothing is written.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError

from structures.models import Structure
from territories.enums import Level
from territories.models import Territory

from . import engine
from .inputs import Communes, GpSupply, gp_supply, load_window
from .models import MAX_CHANGES

ZIP_THRESHOLD = 2.5  # consultations a year per inhabitant: the « sous-densité » threshold of the zonings
ADVANCED_CONSULTATION_FTE = 0.1  # one day a week
MAX_GPS = 500
MAX_FTE = 100

ACTIONS = {
    "retirement": "départ de médecins généralistes",
    "addition": "installation de médecins (ETP)",
    "advanced_consultation": "consultation avancée (une journée par semaine)",
}


@dataclass(frozen=True)
class Change:
    action: str
    commune: Territory
    fte: float  # signed change of FTE at ``commune``
    from_commune: Territory | None = None
    label: str = ""


def _int(value, *, minimum: int, maximum: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if minimum <= value <= maximum else None


# Type of each field a change may carry (whatever its action: a field sent must be well-formed).
FIELD_TYPES = {
    "commune": (str, "un code INSEE (texte)"),
    "from_commune": (str, "un code INSEE (texte)"),
    "count": (int, "un nombre entier"),
    "fte": ((int, float), "un nombre"),
    "structure": (int, "un identifiant (nombre entier)"),
}


def _type_errors(raw: dict) -> list[str]:
    errors = []
    for key, (kind, expected) in FIELD_TYPES.items():
        if key in raw and (isinstance(raw[key], bool) or not isinstance(raw[key], kind)):
            errors.append(f"« {key} » doit être {expected}.")
    if isinstance(raw.get("count"), int) and not isinstance(raw.get("count"), bool) and raw["count"] < 1:
        errors.append("le nombre de médecins doit être un entier positif.")
    return errors


def _number(value, *, maximum: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value) if 0 < value <= maximum else None


def _commune(raw: dict, key: str, visible: dict, prefix: str, errors: list[str]) -> Territory | None:
    """The visible commune named by ``raw[key]``, or None with a message appended to ``errors``."""
    code = raw.get(key)
    if not isinstance(code, str) or not code.strip():
        errors.append(prefix + "indiquez le code INSEE de la commune.")
        return None
    commune = visible.get(code.strip().upper())
    if commune is None:
        errors.append(prefix + f"la commune « {code.strip()[:12]} » n'est pas dans votre territoire.")
        return None
    if commune.centroid_lat is None or commune.centroid_lon is None:
        errors.append(
            prefix + f"la commune {commune.name} n'a pas de coordonnées : son accessibilité ne peut pas être calculée."
        )
        return None
    return commune


def read_changes(*, user, changes) -> list[Change]:
    """Validated changes for ``user``: French messages « Changement n : … » on the ``changes`` field."""
    if not isinstance(changes, list) or not changes:
        raise ValidationError({"changes": ["Indiquez au moins un changement."]})
    if len(changes) > MAX_CHANGES:
        raise ValidationError(
            {"changes": [f"Un scénario compte au plus {MAX_CHANGES} changements ({len(changes)} reçus)."]}
        )
    codes = set()
    for change in changes:
        if isinstance(change, dict):
            for key in ("commune", "from_commune"):
                if isinstance(change.get(key), str):
                    codes.add(change[key].strip().upper())
    visible = {
        t.code: t for t in Territory.objects.visible_to(user).filter(level=Level.COMMUNE, code__in=sorted(codes))
    }
    structure_ids = [
        c.get("structure")
        for c in changes
        if isinstance(c, dict) and _int(c.get("structure"), minimum=1, maximum=2**31 - 1)
    ]
    structures = {
        s.pk: s
        for s in Structure.objects.filter(
            pk__in=structure_ids, commune__in=Territory.objects.visible_to(user)
        ).select_related("commune")
    }
    present, aged = _supply_of(visible.values())
    errors, out = [], []
    for n, raw in enumerate(changes, start=1):
        prefix = f"Changement {n} : "
        if not isinstance(raw, dict):
            errors.append(prefix + "un objet est attendu.")
            continue
        action = raw.get("action")
        if problems := _type_errors(raw):
            errors.extend(prefix + p for p in problems)
            continue
        if action not in ACTIONS:
            errors.append(prefix + "action inconnue (retirement, addition ou advanced_consultation).")
            continue

        if action == "addition" and raw.get("structure") is not None:
            structure = structures.get(_int(raw.get("structure"), minimum=1, maximum=2**31 - 1))
            if structure is None:
                errors.append(prefix + "structure inconnue ou hors de votre territoire.")
                continue
            raw = {**raw, "commune": structure.commune.code}
            visible.setdefault(structure.commune.code, structure.commune)
        commune = _commune(raw, "commune", visible, prefix, errors)
        if commune is None:
            continue
        if action == "retirement":
            count = raw.get("count")
            if count is None:
                count = aged.get(commune.pk)
                if count is None:
                    errors.append(prefix + "indiquez le nombre de médecins : leurs âges ne sont pas connus ici.")
                    continue
            elif _int(count, minimum=1, maximum=MAX_GPS) is None:
                errors.append(prefix + f"le nombre de médecins doit être un entier entre 1 et {MAX_GPS}.")
                continue
            if count > present.get(commune.pk, 0):
                errors.append(
                    prefix + f"{commune.name} ne compte que {present.get(commune.pk, 0):g} médecin(s) généraliste(s)."
                )
                continue
            out.append(Change(action, commune, -float(count), label=f"{int(count)} départ(s) à {commune.name}"))
        elif action == "addition":
            fte = _number(raw.get("fte"), maximum=MAX_FTE)
            if fte is None:
                errors.append(prefix + f"le nombre d'ETP doit être positif et au plus {MAX_FTE}.")
                continue
            out.append(Change(action, commune, fte, label=f"+{fte:g} ETP à {commune.name}".replace(".", ",")))
        else:
            origin = None
            if raw.get("from_commune") is not None:
                origin = _commune(raw, "from_commune", visible, prefix, errors)
                if origin is None:
                    continue
            out.append(
                Change(
                    action,
                    commune,
                    ADVANCED_CONSULTATION_FTE,
                    from_commune=origin,
                    label=f"consultation avancée à {commune.name}" + (f" depuis {origin.name}" if origin else ""),
                )
            )
    if errors:
        raise ValidationError({"changes": errors})
    return out


def _supply_of(communes) -> tuple[dict[int, float], dict[int, int]]:
    """GP FTE and GPs aged 60 or more (where ages are known) of some communes, by id."""
    ids = [c.pk for c in communes]
    if not ids:
        return {}, {}
    supply = gp_supply(commune_ids=ids)
    aged = supply.aged_60_plus.dropna() if supply.has_ages else pd.Series(dtype=float)
    return {int(k): float(v) for k, v in supply.fte.items()}, {int(k): int(v) for k, v in aged.items()}


@dataclass
class CommuneRow:
    code: str
    name: str
    population: int
    before: float
    after: float
    latitude: float | None = None
    longitude: float | None = None

    @property
    def change(self) -> float:
        return self.after - self.before


@dataclass
class ScenarioResult:
    rows: list[CommuneRow]  # communes whose accessibility changes, largest change first
    population_under_before: int
    population_under_after: int
    supply_year: int | None
    is_demo: bool
    window: int  # communes computed
    duration_s: float
    changes: list[Change] = field(default_factory=list)


def _window(changes: list[Change], radius_m: float) -> tuple[Communes, GpSupply]:
    """Communes whose centroid lies within 3 radii (a conservative box) of a changed commune."""
    points = [c.commune for c in changes] + [c.from_commune for c in changes if c.from_commune]
    margin_lat = 3 * radius_m / 111_000 * 1.05
    box = None
    from django.db.models import Q

    for p in points:
        margin_lon = margin_lat / max(math.cos(math.radians(abs(p.centroid_lat) + margin_lat)), 0.2)
        q = Q(
            centroid_lat__gte=p.centroid_lat - margin_lat,
            centroid_lat__lte=p.centroid_lat + margin_lat,
            centroid_lon__gte=p.centroid_lon - margin_lon,
            centroid_lon__lte=p.centroid_lon + margin_lon,
        )
        box = q if box is None else box | q
    return load_window(Territory.objects.communes().filter(box))


def simulate(changes: list[Change], parameters: engine.Parameters | None = None) -> ScenarioResult:
    """Before/after accessibility of the communes a list of validated changes affects (nothing is written)."""
    started = time.perf_counter()
    parameters = parameters or engine.Parameters()
    radius = parameters.travel.search_radius_m(parameters.decay.reach_min)
    communes, supply = _window(changes, radius)
    frame = communes.frame
    fte = supply.fte.reindex(frame["id"]).fillna(0).to_numpy(dtype=float)
    position = pd.Series(np.arange(len(frame)), index=frame["id"].to_numpy())
    delta = np.zeros(len(frame))
    for change in changes:
        delta[position[change.commune.pk]] += change.fte
        if change.from_commune is not None:
            delta[position[change.from_commune.pk]] -= change.fte
    after_fte = np.maximum(fte + delta, 0)  # never fewer than no GP
    matrix = engine.catchments(frame["x"].to_numpy(), frame["y"].to_numpy(), parameters)
    demand = frame["demand"].to_numpy()
    per_fte = parameters.consultations_per_fte
    before = engine.two_step_fca(matrix, fte * per_fte, demand).accessibility
    after = engine.two_step_fca(matrix, after_fte * per_fte, demand).accessibility
    changed = np.flatnonzero(after_fte != fte)
    reach = np.zeros(len(frame), dtype=bool)
    if len(changed):
        reach[matrix.weights[changed].indices] = True
    affected = np.flatnonzero(reach & (np.abs(after - before) > 1e-9))
    population = frame["population"].to_numpy()
    rows = [
        CommuneRow(
            frame["code"].iat[i],
            frame["name"].iat[i],
            int(population[i]),
            float(before[i]),
            float(after[i]),
            float(frame["latitude"].iat[i]),
            float(frame["longitude"].iat[i]),
        )
        for i in affected
    ]
    rows.sort(key=lambda r: (r.change, r.code))
    scope = np.flatnonzero(reach)
    return ScenarioResult(
        rows=rows,
        population_under_before=int(population[scope][before[scope] < ZIP_THRESHOLD].sum()),
        population_under_after=int(population[scope][after[scope] < ZIP_THRESHOLD].sum()),
        supply_year=supply.year,
        is_demo=supply.is_demo,
        window=len(frame),
        duration_s=time.perf_counter() - started,
        changes=changes,
    )
