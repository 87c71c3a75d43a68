"""Read-only queries on care structures for pages, maps and fiches: each a constant number of queries.

Structures are public information (names, addresses, teams' headcounts by profession): no visibility
rule of their own; callers pass a territory the user may see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, QuerySet

from territories.enums import Level
from territories.models import Territory

from .enums import KIND_PLURAL_LABELS, KIND_SHORT_LABELS, OPERATING_STAGES, Stage, StructureKind
from .models import Structure

# Map colours by kind (DSFR illustrative palette, distinguishable from the choropleth's reds and blues).
KIND_COLORS = {
    StructureKind.MSP: "#18753c",
    StructureKind.CDS: "#0063cb",
    StructureKind.ESP: "#716043",
    StructureKind.MMG: "#b34000",
    StructureKind.PASS: "#a94645",
}
PERIMETER_COLOR = "#6a6af4"
PERIMETERS_LAYER = "Périmètres des CPTS"


@dataclass
class KindCount:
    kind: str
    label: str  # short label (« MSP »)
    plural: str  # « maisons de santé (MSP) »
    operating: int = 0
    projects: int = 0

    @property
    def total(self) -> int:
        return self.operating + self.projects


@dataclass
class Counts:
    """Structures not closed, by kind in enum order (kinds without any are left out)."""

    kinds: list[KindCount] = field(default_factory=list)
    is_demo: bool = False
    has_real: bool = False

    @property
    def total(self) -> int:
        return sum(k.total for k in self.kinds)

    def __bool__(self) -> bool:
        return bool(self.kinds)

    def get(self, kind: str) -> KindCount | None:
        return next((k for k in self.kinds if k.kind == kind), None)


def count_by_kind(queryset: QuerySet) -> Counts:
    """One grouped query: structures of ``queryset`` not closed, by kind and stage, and the demo flags."""
    rows = (
        queryset.current()
        .order_by()
        .values("kind", "stage", "is_demo")
        .annotate(n=Count("pk"))
        .values_list("kind", "stage", "is_demo", "n")
    )
    by_kind: dict[str, KindCount] = {}
    counts = Counts()
    for kind, stage, is_demo, n in rows:
        entry = by_kind.setdefault(
            kind, KindCount(kind=kind, label=KIND_SHORT_LABELS[kind], plural=KIND_PLURAL_LABELS[kind])
        )
        if stage in OPERATING_STAGES:
            entry.operating += n
        else:
            entry.projects += n
        counts.is_demo |= is_demo
        counts.has_real |= not is_demo
    counts.kinds = [by_kind[k] for k in StructureKind.values if k in by_kind]
    return counts


def with_details(queryset: QuerySet) -> QuerySet:
    """Commune, team and (for CPTS) covered communes loaded in 2 extra queries whatever the number of rows."""
    return queryset.select_related("commune").prefetch_related(
        "team",
        Prefetch("covered_communes", queryset=Territory.objects.only("level", "code", "name").order_by("name", "code")),
    )


@dataclass
class StructuresSummary:
    """What the territory page's panel shows: counts by kind, the CPTS covering the territory."""

    territory: Territory
    counts: Counts
    cpts: list[Structure]  # at most CPTS_SHOWN, with population_covered
    cpts_total: int


CPTS_SHOWN = 3


def structures_summary(territory: Territory) -> StructuresSummary:
    """Counts by kind of the territory's structures (not closed) and its CPTS: 2 queries."""
    structures = Structure.objects.in_territory(territory)
    counts = count_by_kind(structures)
    cpts_count = counts.get(StructureKind.CPTS)
    cpts = []
    if cpts_count:
        cpts = list(
            structures.current()
            .filter(kind=StructureKind.CPTS)
            .only("name", "stage", "population_covered", "is_demo")
            .order_by("name", "pk")[:CPTS_SHOWN]
        )
    return StructuresSummary(
        territory=territory, counts=counts, cpts=cpts, cpts_total=cpts_count.total if cpts_count else 0
    )


# --- Maps --------------------------------------------------------------------------------------------------


def layer_name(kind: str) -> str:
    """« Maisons de santé (MSP) », « Centres de santé »…: the name of a kind's map layer."""
    label = KIND_PLURAL_LABELS[kind]
    return label[:1].upper() + label[1:]


def map_layers(territory: Territory, unit_codes: list[str]) -> list[dict]:
    """Layers for ``portal.maps.choropleth.layers.LAYER_PROVIDERS``: one per kind (points), and the CPTS perimeters.

    Points: the structures located in the territory (not closed) with coordinates, labelled with their kind,
    stage and team. Perimeters: the CPTS covering any commune of the territory, drawn from their stored
    contour (dissolved when the perimeter was written). 3 queries whatever the size of the territory.
    The map of France draws none (≈ 6,000 points and 800 perimeters, 4 MB): the régions' maps do.
    """
    if territory.level == Level.COUNTRY:
        return []
    structures = Structure.objects.current()
    points = (
        structures.located_in(territory)
        .exclude(kind=StructureKind.CPTS)
        .filter(latitude__isnull=False, longitude__isnull=False)
        .only("kind", "name", "stage", "latitude", "longitude", "france_sante", "is_demo")
        .prefetch_related("team")
        .order_by("kind", "name", "pk")
    )
    features: dict[str, list[dict]] = {kind: [] for kind in KIND_COLORS}
    for s in points:
        details = [KIND_SHORT_LABELS[s.kind]]
        if s.stage != Stage.OPEN:
            details.append(s.get_stage_display())
        if team := s.team_summary():
            details.append(team)
        if s.france_sante:
            details.append("label France Santé")
        if s.is_demo:
            details.append("données de démonstration")
        features[s.kind].append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [s.longitude, s.latitude]},
                "properties": {"name": s.name, "label": " · ".join(details)},
            }
        )
    layers = [
        {
            "name": layer_name(kind),
            "color": color,
            "show": kind in (StructureKind.MSP, StructureKind.CDS),
            "features": features[kind],
        }
        for kind, color in KIND_COLORS.items()
    ]
    perimeters = []
    rows = (
        structures.in_territory(territory)
        .filter(kind=StructureKind.CPTS)
        .exclude(perimeter_geojson="")
        .order_by("name", "pk")
        .values_list("name", "stage", "population_covered", "perimeter_geojson", "is_demo")
    )
    for name, stage, population, geojson, is_demo in rows:
        details = [f"CPTS ({Stage(stage).label})"]
        if population:
            details.append(f"{population:,} habitants couverts".replace(",", "\u202f"))
        if is_demo:
            details.append("données de démonstration")
        perimeters.append(
            {
                "type": "Feature",
                "geometry": json.loads(geojson),
                "properties": {"name": name, "label": " · ".join(details)},
            }
        )
    layers.append({"name": PERIMETERS_LAYER, "color": PERIMETER_COLOR, "show": False, "features": perimeters})
    return layers


# --- Fiche territoire --------------------------------------------------------------------------------------

FICHE_ROWS_LIMIT = 40


@dataclass
class FicheStructures:
    counts: Counts
    rows: list[Structure]  # point structures (not CPTS), at most FICHE_ROWS_LIMIT, with commune and team
    more: int  # point structures beyond the limit
    cpts: list[Structure]  # CPTS covering the communes (at most the limit), with ``communes_count``
    cpts_more: int = 0


def fiche_structures(communes: QuerySet, *, limit: int = FICHE_ROWS_LIMIT) -> FicheStructures:
    """The structures of a set of communes for the fiche: counts, a capped list, the CPTS. 4 queries at most."""
    structures = Structure.objects.for_communes(communes)
    counts = count_by_kind(structures)
    cpts_count = counts.get(StructureKind.CPTS)
    points_total = counts.total - (cpts_count.total if cpts_count else 0)
    rows = []
    if points_total:
        rows = list(
            structures.current()
            .exclude(kind=StructureKind.CPTS)
            .select_related("commune")
            .prefetch_related("team")
            .by_kind_order()[:limit]
        )
    cpts = []
    if cpts_count:
        cpts = list(
            structures.current()
            .filter(kind=StructureKind.CPTS)
            .select_related("commune")
            .annotate(communes_count=Count("coverage"))
            .order_by("name", "pk")[:limit]
        )
    return FicheStructures(
        counts=counts,
        rows=rows,
        more=max(points_total - len(rows), 0),
        cpts=cpts,
        cpts_more=max((cpts_count.total if cpts_count else 0) - len(cpts), 0),
    )
