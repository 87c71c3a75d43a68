"""Read-only queries on prevention and access to rights for pages, maps and fiches: each a constant number of
queries whatever the size of the territory.

Access points, actions and initiatives are public information: no visibility rule of their own; callers pass a
territory the user may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q, QuerySet

from territories.enums import Level
from territories.models import Territory

from .enums import ACCESS_POINT_LAYER_COLORS, AccessPointKind, Axis, PreventionTheme
from .models import AccessPoint, Initiative, PreventionAction

POINTS_LAYER = "Points d'accès aux droits"
ACTIONS_LAYER = "Actions de prévention"
ACTIONS_COLOR = "#ce614a"
DEMO_LABEL = "données de démonstration"


@dataclass
class LabelCount:
    value: str
    label: str
    count: int


@dataclass
class PreventionSummary:
    """What the territory page's panel shows: access points by kind, current actions by theme."""

    points: list[LabelCount] = field(default_factory=list)
    actions: list[LabelCount] = field(default_factory=list)
    is_demo: bool = False

    @property
    def points_total(self) -> int:
        return sum(p.count for p in self.points)

    @property
    def actions_total(self) -> int:
        return sum(a.count for a in self.actions)


def _grouped(queryset: QuerySet, column: str, choices) -> tuple[list[LabelCount], bool]:
    """One grouped query: counts by ``column`` in enum order, and whether any row is demonstration data."""
    counts: dict[str, int] = {}
    is_demo = False
    for value, demo, n in (
        queryset.order_by().values(column, "is_demo").annotate(n=Count("pk")).values_list(column, "is_demo", "n")
    ):
        counts[value] = counts.get(value, 0) + n
        is_demo |= demo
    labels = dict(choices.choices)
    return [LabelCount(v, labels[v], counts[v]) for v in choices.values if v in counts], is_demo


def actions_for(*, territory: Territory | None, communes: QuerySet | None = None) -> QuerySet:
    """Actions of a territory (:meth:`~prevention.models.PreventionActionQuerySet.in_territory`) or, for an ad-hoc
    set of communes, those held in them or run at the scale of their EPCI."""
    if territory is not None:
        return PreventionAction.objects.in_territory(territory)
    return PreventionAction.objects.filter(
        Q(commune__in=communes.values("pk")) | Q(territory__in=communes.values("epci_id"))
    )


def territory_summary(territory: Territory, *, on: date) -> PreventionSummary:
    """Access points by kind and actions not over on ``on`` by theme: 2 queries."""
    points, points_demo = _grouped(AccessPoint.objects.in_territory(territory), "kind", AccessPointKind)
    actions, actions_demo = _grouped(
        PreventionAction.objects.in_territory(territory).current(on=on), "theme", PreventionTheme
    )
    return PreventionSummary(points=points, actions=actions, is_demo=points_demo or actions_demo)


# --- Maps --------------------------------------------------------------------------------------------------


def map_layers(territory: Territory, unit_codes: list[str]) -> list[dict]:
    """Layers for ``portal.maps.choropleth.layers.LAYER_PROVIDERS``: « Points d'accès aux droits » (at the point's coordinates,
    else its commune's centroid) and « Actions de prévention » not over today (at their commune's centroid, or
    the EPCI's for an intercommunal action). 2 queries whatever the size of the territory. The map of France
    draws none (≈ 4,500 points): the régions' maps do."""
    from django.utils import timezone

    if territory.level == Level.COUNTRY:
        return []
    kinds = dict(AccessPointKind.choices)
    points = []
    for p in (
        AccessPoint.objects.in_territory(territory)
        .select_related("commune")
        .only("kind", "name", "latitude", "longitude", "is_demo", "commune__centroid_lat", "commune__centroid_lon")
        .by_kind_order()
    ):
        lat, lon = (
            (p.latitude, p.longitude) if p.latitude is not None else (p.commune.centroid_lat, p.commune.centroid_lon)
        )
        if lat is None or lon is None:
            continue
        details = [kinds[p.kind]] + ([DEMO_LABEL] if p.is_demo else [])
        points.append(_feature(lat, lon, p.name, details))
    themes = dict(PreventionTheme.choices)
    actions = []
    for a in (
        PreventionAction.objects.in_territory(territory)
        .current(on=timezone.localdate())
        .select_related("commune", "territory")
        .only(
            "title",
            "theme",
            "start_date",
            "end_date",
            "is_demo",
            "commune__centroid_lat",
            "commune__centroid_lon",
            "territory__centroid_lat",
            "territory__centroid_lon",
        )
        .order_by("start_date", "title", "pk")
    ):
        place = a.commune if a.commune_id else a.territory
        if place is None or place.centroid_lat is None or place.centroid_lon is None:
            continue
        details = [themes[a.theme], a.period_label()] + ([DEMO_LABEL] if a.is_demo else [])
        actions.append(_feature(place.centroid_lat, place.centroid_lon, a.title, details))
    return [
        {
            "name": POINTS_LAYER,
            "color": ACCESS_POINT_LAYER_COLORS[AccessPointKind.CPAM],
            "show": False,
            "features": points,
        },
        {"name": ACTIONS_LAYER, "color": ACTIONS_COLOR, "show": False, "features": actions},
    ]


def _feature(lat: float, lon: float, name: str, details: list[str]) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"name": name, "label": " · ".join(details)},
    }


# --- Initiatives -------------------------------------------------------------------------------------------

FICHE_INITIATIVES = 4
FICHE_AXES_ORDER = [Axis.C, Axis.D, Axis.B, Axis.A]  # access to rights and prevention first


def pick_initiatives(ordered: list[Initiative], *, count: int = FICHE_INITIATIVES) -> list[Initiative]:
    """The initiatives of the territory's département (``proximity`` 0) first, then one per axis (access to rights
    and prevention first, the nearest of each axis), then the next nearest ones, ``count`` at most."""
    chosen = [i for i in ordered if i.proximity == 0][:count]
    for axis in FICHE_AXES_ORDER:
        if len(chosen) >= count:
            break
        if any(i.axis == axis for i in chosen):
            continue
        if best := next((i for i in ordered if i.axis == axis and i not in chosen), None):
            chosen.append(best)
    for initiative in ordered:
        if len(chosen) >= count:
            break
        if initiative not in chosen:
            chosen.append(initiative)
    return chosen


# --- Fiche territoire --------------------------------------------------------------------------------------

FICHE_POINTS_LIMIT = 25
FICHE_ACTIONS_LIMIT = 25


@dataclass
class FichePrevention:
    points_by_kind: list[LabelCount]
    points: list[AccessPoint]
    points_more: int
    actions: list[PreventionAction]
    actions_more: int
    initiatives: list[Initiative]
    is_demo: bool
    loaded: bool  # any access point, action or initiative in the database


def fiche_prevention(
    *, territory: Territory | None, communes: QuerySet, department: Territory | None, on: date
) -> FichePrevention:
    """Access points (counts by kind, capped list), current actions (capped list) and inspiring initiatives for
    the fiche. 5 queries at most, whatever the size of the territory. ``department``: the département of an ad-hoc set of
    communes lying in one (to put its initiatives first), else None."""
    points_qs = (
        AccessPoint.objects.in_territory(territory)
        if territory is not None
        else AccessPoint.objects.filter(commune__in=communes.values("pk"))
    )
    by_kind, points_demo = _grouped(points_qs, "kind", AccessPointKind)
    total = sum(k.count for k in by_kind)
    points = list(points_qs.select_related("commune").by_kind_order()[:FICHE_POINTS_LIMIT]) if total else []
    actions_qs = actions_for(territory=territory, communes=communes).current(on=on)
    actions_total = actions_qs.count()
    actions = []
    if actions_total:
        actions = list(
            actions_qs.select_related("commune", "territory").order_by("start_date", "title", "pk")[
                :FICHE_ACTIONS_LIMIT
            ]
        )
    initiatives = pick_initiatives(list(Initiative.objects.nearest_first(territory or department)))
    return FichePrevention(
        points_by_kind=by_kind,
        points=points,
        points_more=max(total - len(points), 0),
        actions=actions,
        actions_more=actions_total - len(actions),
        initiatives=initiatives,
        is_demo=points_demo or any(a.is_demo for a in actions),
        loaded=bool(total or actions or initiatives),
    )
