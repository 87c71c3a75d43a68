"""Choropleth maps of one indicator over a territory: a Folium (Leaflet) page with layers and a legend.

What is drawn, by level of the mapped territory (:data:`UNITS`): the communes of a région, a département
or an EPCI; the IRIS of a commune (or the commune itself, « pas de données infra-communales », when no
IRIS value is stored); the départements of France. Communes of a département or a région use the
``light`` geometries, the others the ``detail`` ones.

Layers (Folium FeatureGroups and a LayerControl, no Bootstrap or jQuery needed):
- the indicator, in 5 classes (mapclassify quantiles by default, Fisher-Jenks on request) on a sequential
  scale where the dark end is always the worrying one (:func:`class_colors`); masked values are grey
  « secret statistique » and carry no value in the page; missing values are « pas de donnée »;
- the territory's contour;
- the ARS zoning of the communes for GPs (ZIP / ZAC / hors zone) in force on the day of rendering;
- any layer of :data:`LAYER_PROVIDERS` (care structures, CPTS perimeters, access-to-rights points,
  prevention actions once those apps have data).

Access: the view has checked that the user may see the territory. Values of a non-public indicator are
shown only for the units the user may see (``Territory.objects.visible_to``), the others are
« non communiqué », as on the dashboard. The rendered page is cached per territory, indicator, year,
classification, data version (latest DataSource), tiles URL, day (zoning in force) and, for a
non-public indicator, the user's visibility scope.

The page works offline and under the portal's CSP (see :mod:`portal.maps.territory_map`): Leaflet from our static
files, nonce on inline scripts, the legend is a Leaflet control built from escaped HTML, no inline event
handler. :func:`standalone_html` inlines Leaflet's JS and CSS so that the downloaded file opens from disk.

Other services (the GeneratedDocument ``map_html`` job) call :func:`resolve` then :func:`standalone_html`.
"""

from __future__ import annotations

import base64
import bisect
import functools
import hashlib
import html
import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.module_loading import import_string

from portal.maps import territory_map as maps
from portal.territory.dashboard import format_number
from territories.enums import Direction, GeometryUse, Level, Profession, Zone
from territories.models import Indicator, IndicatorValue, Territory, TerritoryGeometry, Zoning

CACHE_KEY_VERSION = 1
CLASS_COUNT = 5
DEFAULT_INDICATOR = "gp_density"
# Fisher-Jenks is O(k·n²) in pure Python (no numba here): beyond this many values it runs on as many evenly
# spaced quantiles of the values (an approximation: breaks within a few % of the exact ones, 0.5 s).
JENKS_SAMPLE = 200
SCHEMES = {"quantiles": "quantiles", "jenks": "seuils naturels (Fisher-Jenks)"}

# Mapped territory level → (unit level, unit field pointing to the territory, geometry use of the units).
UNITS = {
    Level.COUNTRY: (Level.DEPARTMENT, None, GeometryUse.LIGHT),
    Level.REGION: (Level.COMMUNE, "region", GeometryUse.LIGHT),
    Level.DEPARTMENT: (Level.COMMUNE, "department", GeometryUse.LIGHT),
    Level.EPCI: (Level.COMMUNE, "epci", GeometryUse.DETAIL),
    Level.COMMUNE: (Level.IRIS, "commune", GeometryUse.DETAIL),
}
# Coordinates decimals by geometry use: 4 decimals ≈ 10 m, 5 ≈ 1 m.
DECIMALS = {GeometryUse.LIGHT: 4, GeometryUse.DETAIL: 5}

# ColorBrewer sequential ramps (light → dark), colour-blind safe.
REDS = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
BLUES = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
MASKED = "masked"
MISSING = "missing"
RESTRICTED = "restricted"
STATUS_COLORS = {MASKED: "#7b7b7b", MISSING: "#e5e5e5", RESTRICTED: "#b5b5b5"}
STATUS_LABELS = {MASKED: "secret statistique", MISSING: "pas de donnée", RESTRICTED: "non communiqué"}
UNIT_STYLE = {"color": "#ffffff", "weight": 0.6, "fillOpacity": 0.85}
CONTOUR_STYLE = {"color": "#000091", "weight": 2.5, "fill": False}
HIGHLIGHT_STYLE = {"color": "#161616", "weight": 2}
ZONE_STYLES = {
    Zone.ZIP: {"color": "#3c1a5b", "weight": 1.5, "fillColor": "#6e2c9e", "fillOpacity": 0.6},
    Zone.ZAC: {"color": "#6e2c9e", "weight": 1, "fillColor": "#b58bd6", "fillOpacity": 0.5},
    Zone.NONE: {"color": "#6e2c9e", "weight": 0.5, "fillOpacity": 0},
}
# Page styles (a <style> element: allowed by the CSP's style-src 'unsafe-inline'): wrap long tooltips.
PAGE_STYLE = (
    "<style>html .leaflet-container{font:12px/1.4 Marianne,Arial,sans-serif}"
    ".leaflet-tooltip.portal-tooltip{white-space:normal;width:260px}</style>"
)
ZONE_LABELS = {Zone.ZIP: "ZIP", Zone.ZAC: "ZAC", Zone.NONE: "hors zone"}

# Extra layers: dotted paths of provider functions ``provider(territory, unit_codes) -> list[dict]``.
# Each dict: {"name": str (French), "features": [GeoJSON Feature…] (Point or polygons, properties "name"
# and optionally "label"), "color": "#rrggbb", "show": bool}. Providers live in the domain apps (they
# must not import portal) and must depend only on the territory and the reference data (the page is
# cached per data version). Registered: care structures by kind and CPTS perimeters (structures/); planned:
# access-to-rights points and prevention actions (prevention/).
LAYER_PROVIDERS: list[str] = ["structures.selectors.map_layers", "prevention.selectors.map_layers"]


class ChoroplethError(Exception):
    """A request the map cannot answer (unknown indicator, year without values…), with a French message."""


@dataclass(frozen=True)
class MapClass:
    lower: float
    upper: float
    color: str
    count: int
    label: str


@dataclass
class Legend:
    title: str
    unit: str
    year: int
    scheme: str
    classes: list[MapClass]
    status_counts: dict[str, int]
    source: str
    vintage: str
    is_demo: bool
    note: str = ""
    zoning_date: date | None = None


@dataclass(frozen=True)
class ChoroplethSpec:
    """What one map shows: resolved from the request by :func:`resolve`."""

    territory: Territory
    indicator: Indicator
    year: int
    scheme: str
    user: object = field(compare=False, repr=False)
    years: tuple[int, ...] = ()

    @property
    def restricted(self) -> bool:
        """Whether values must be filtered by the user's visibility (non-public indicator, non-admin)."""
        return not self.indicator.is_public and not getattr(self.user, "is_portal_admin", False)

    @property
    def audience(self) -> str:
        if not self.restricted:
            return "all"
        user = self.user
        return f"{getattr(user, 'role', '')}-{getattr(user, 'territory_id', '')}-{getattr(user, 'department_id', '')}"


# --- Choices and request resolution ------------------------------------------------------------------


@dataclass
class MapChoices:
    """Indicators and years with a value for a territory, for the map form of its page (one query)."""

    indicators: list[tuple[str, str]]  # (code, label), catalogue order
    years: list[int]  # most recent first
    default_indicator: str
    schemes: list[tuple[str, str]] = field(default_factory=lambda: list(SCHEMES.items()))  # default first


def map_choices(territory: Territory) -> MapChoices | None:
    """The map form's choices, or None when no map can be drawn for ``territory``."""
    if territory.level not in UNITS or not territory.has_geometry:
        return None
    rows = (
        IndicatorValue.objects.filter(territory=territory)
        .values_list("indicator__code", "indicator__label", "indicator__position", "year")
        .distinct()
        .order_by()
    )
    indicators, years = {}, set()
    for code, label, position, year in rows:
        indicators[code] = (position, code, label)
        years.add(year)
    if not indicators:
        return None
    ordered = [(code, label) for _, code, label in sorted(indicators.values())]
    default = DEFAULT_INDICATOR if DEFAULT_INDICATOR in indicators else ordered[0][0]
    return MapChoices(indicators=ordered, years=sorted(years, reverse=True), default_indicator=default)


def resolve(
    *, territory: Territory, user, indicator_code: str = "", year: str = "", scheme: str = ""
) -> ChoroplethSpec:
    """The map asked for by ``?indicateur=&annee=&classes=`` (2 queries); raises :class:`ChoroplethError`.

    No indicator means :data:`DEFAULT_INDICATOR`, no year the most recent year with a value for the territory.
    """
    if territory.level not in UNITS:
        raise ChoroplethError("Pas de carte d'indicateur à ce niveau : choisissez la commune ou l'intercommunalité.")
    indicator = Indicator.objects.filter(code=(indicator_code or DEFAULT_INDICATOR)[:60]).first()
    if indicator is None:
        raise ChoroplethError("Indicateur inconnu.")
    years = tuple(
        sorted(
            IndicatorValue.objects.filter(territory=territory, indicator=indicator)
            .values_list("year", flat=True)
            .order_by(),
            reverse=True,
        )
    )
    if not years:
        raise ChoroplethError(f"Aucune valeur de l'indicateur « {indicator.label} » pour ce territoire.")
    if not year:
        chosen = years[0]
    elif year.isdigit() and int(year) in years:
        chosen = int(year)
    else:
        available = ", ".join(str(y) for y in years)
        raise ChoroplethError(
            f"Pas de valeur de l'indicateur « {indicator.label} » pour l'année demandée. "
            f"Années disponibles : {available}."
        )
    if scheme and scheme not in SCHEMES:
        raise ChoroplethError("Méthode de classement inconnue (quantiles ou jenks).")
    return ChoroplethSpec(
        territory=territory, indicator=indicator, year=chosen, scheme=scheme or "quantiles", user=user, years=years
    )


# --- Classes and legend ------------------------------------------------------------------------------


def class_bounds(values: list[float], *, scheme: str = "quantiles", k: int = CLASS_COUNT) -> list[float]:
    """Upper bounds (ascending, the last one is the maximum) of at most ``k`` classes of ``values``.

    Fewer classes when there are fewer distinct values. Quantiles use every value; Fisher-Jenks runs on
    :data:`JENKS_SAMPLE` evenly spaced quantiles of the values past that size (deterministic, and fast
    enough without numba), each break then snapped onto a real value.
    """
    import mapclassify
    import numpy as np

    if not values:
        return []
    y = np.asarray(values, dtype=float)
    k = min(k, len(np.unique(y)))
    if k < 2:
        return [float(y.max())]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # « not enough unique values », « numba not installed »
        if scheme == "jenks" and y.size > JENKS_SAMPLE:
            sample = np.unique(np.quantile(y, np.linspace(0, 1, JENKS_SAMPLE)))
            k = min(k, len(sample))
            bins = mapclassify.FisherJenks(sample, k=k).bins if k >= 2 else [y.max()]
            bins = [_snap(np.unique(y), b, sample) for b in bins[:-1]] + [y.max()]
        elif scheme == "jenks":
            bins = mapclassify.FisherJenks(y, k=k).bins
        else:
            bins = mapclassify.Quantiles(y, k=k).bins
    bounds = sorted({float(b) for b in bins})
    bounds[-1] = float(y.max())
    return bounds


def _snap(values, bound: float, sample) -> float:
    """Move a break found on the quantile summary onto a real value: the class ends on the largest value
    below the midpoint between the break and the next summary value (the real gap lies in between)."""
    import numpy as np

    following = sample[sample > bound]
    midpoint = (bound + following[0]) / 2 if following.size else values[-1]
    return float(values[max(int(np.searchsorted(values, midpoint, side="right")) - 1, 0)])


def class_colors(count: int, direction: str) -> list[str]:
    """Colours of ``count`` classes from the lowest values up; the dark end is the worrying one.

    « Higher is worse »: light → dark red; « higher is better »: dark red → light; neutral: light → dark blue.
    """
    ramp = BLUES if direction == Direction.NEUTRAL else REDS
    if count <= 0:
        return []
    picks = [round(i * (len(ramp) - 1) / (count - 1)) for i in range(count)] if count > 1 else [len(ramp) // 2]
    colors = [ramp[i] for i in picks]
    return colors[::-1] if direction == Direction.HIGHER_IS_BETTER else colors


def class_of(value: float, bounds: list[float]) -> int:
    """Index of the class of ``value``: bounds are inclusive upper bounds."""
    return min(bisect.bisect_left(bounds, value), len(bounds) - 1)


def format_value(value: float, indicator: Indicator) -> str:
    return format_number(value, indicator.decimals)


def with_unit(text: str, unit: str) -> str:
    return f"{text}\xa0{unit}" if unit else text


def build_classes(values: list[float], *, indicator: Indicator, scheme: str) -> list[MapClass]:
    """Legend classes of ``values``: bounds, colour, number of units, French label with the unit."""
    bounds = class_bounds(values, scheme=scheme)
    colors = class_colors(len(bounds), indicator.direction)
    counts = [0] * len(bounds)
    for value in values:
        counts[class_of(value, bounds)] += 1
    classes = []
    for i, upper in enumerate(bounds):
        lower = min(values) if i == 0 else bounds[i - 1]
        low, high = format_value(lower, indicator), format_value(upper, indicator)
        if i == 0:
            label = with_unit(f"de {low} à {high}" if low != high else low, indicator.unit)
        else:
            label = with_unit(f"plus de {low} à {high}", indicator.unit)
        classes.append(MapClass(lower=lower, upper=upper, color=colors[i], count=counts[i], label=label))
    return classes


# --- Data --------------------------------------------------------------------------------------------


@dataclass
class Unit:
    code: str
    name: str
    geometry: dict
    value: float | None = None
    status: str = MISSING  # MISSING, MASKED, RESTRICTED or "value"
    is_demo: bool = False
    zone: str = ""


def _load_units(spec: ChoroplethSpec) -> tuple[dict, list[Unit], str, str]:
    """(contour feature, units with values and zoning, unit level, note). Constant number of queries."""
    territory = spec.territory
    unit_level, link, use = UNITS[territory.level]
    contour_use = GeometryUse.LIGHT if use == GeometryUse.LIGHT else GeometryUse.DETAIL
    contour = (
        TerritoryGeometry.objects.filter(territory=territory, use=contour_use).values_list("geojson", flat=True).first()
    )
    if contour is None:
        raise ChoroplethError("Le contour de ce territoire n'est pas disponible.")
    scope = {"territory__level": unit_level}
    if link:
        scope[f"territory__{link}"] = territory
    units = _units(spec, scope, use)
    note = ""
    if unit_level == Level.IRIS and not any(u.status != MISSING for u in units):
        # No IRIS value: the commune is drawn whole.
        note = "Pas de données infra-communales : la commune est représentée entière."
        unit_level, use = Level.COMMUNE, GeometryUse.DETAIL
        units = [Unit(code=territory.code, name=territory.name, geometry=_round_geometry(contour, use))]
        _attach_values(spec, units, {"territory": territory})
    if unit_level == Level.COMMUNE:
        _attach_zoning(units, {"commune": territory} if note else {f"commune__{link}": territory})
    return maps.as_feature(contour, name=territory.name, code=territory.code), units, unit_level, note


def _units(spec: ChoroplethSpec, scope: dict, use: str) -> list[Unit]:
    rows = (
        TerritoryGeometry.objects.filter(use=use, **scope)
        .order_by("territory__code")
        .values_list("territory__code", "territory__name", "geojson")
    )
    units = [Unit(code=code, name=name, geometry=_round_geometry(g, use)) for code, name, g in rows]
    _attach_values(spec, units, scope)
    return units


def _attach_values(spec: ChoroplethSpec, units: list[Unit], scope: dict) -> None:
    """One query: the indicator's values for the units; never the numerator or denominator."""
    qs = IndicatorValue.objects.filter(indicator=spec.indicator, year=spec.year, **scope)
    fields = ["territory__code", "value", "is_masked", "is_demo"]
    if spec.restricted:
        visible = Territory.objects.visible_to(spec.user).filter(pk=OuterRef("territory_id"))
        qs = qs.annotate(is_visible=Exists(visible))
        fields.append("is_visible")
    by_code = {u.code: u for u in units}
    for row in qs.values(*fields).order_by():
        unit = by_code.get(row["territory__code"])
        if unit is None:
            continue
        unit.is_demo = row["is_demo"]
        if not row.get("is_visible", True):
            unit.status = RESTRICTED
        elif row["is_masked"]:
            unit.status = MASKED
        elif row["value"] is not None:
            unit.status, unit.value = "value", row["value"]


def _attach_zoning(units: list[Unit], scope: dict) -> None:
    """One query: the GP zoning in force today of the communes (the latest arrêté if several overlap)."""
    rows = (
        Zoning.objects.in_force(on=timezone.localdate())
        .filter(profession=Profession.GP, **scope)
        .order_by("valid_from")
        .values_list("commune__code", "zone")
    )
    zones = dict(rows)
    for unit in units:
        unit.zone = zones.get(unit.code, "")


def _round_geometry(geojson: str, use: str) -> dict:
    """The geometry of a stored GeoJSON with its coordinates cut to :data:`DECIMALS` decimals.

    Cut on the text, before parsing (a regex runs at C speed; walking 20 000 positions in Python does not):
    truncating at 4 decimals moves a point by at most 11 m, at 5 decimals 1 m.
    """
    digits = DECIMALS[use]
    data = json.loads(re.sub(rf"(\d\.\d{{{digits}}})\d+", r"\1", geojson))
    return maps.as_feature(data, name="", code="")["geometry"]  # a geometry, Feature or FeatureCollection


# --- Rendering ---------------------------------------------------------------------------------------


def cache_key(spec: ChoroplethSpec, *, version: int) -> str:
    # The registered providers count: a new layer must not wait for the cached pages to expire.
    setup = hashlib.sha256("|".join([settings.MAP_TILES_URL, *LAYER_PROVIDERS]).encode()).hexdigest()[:8]
    t = spec.territory
    return (
        f"portal:choropleth:v{CACHE_KEY_VERSION}:{t.level}:{t.code}:{t.pk}:{spec.indicator.code}:{spec.year}:"
        f"{spec.scheme}:{version}:{setup}:{timezone.localdate().isoformat()}:{spec.audience}"
    )


def _cached_page(spec: ChoroplethSpec) -> str:
    key = cache_key(spec, version=maps.data_version())
    page = cache.get(key)
    if page is None:
        page = render_choropleth(spec)
        cache.set(key, page, maps.CACHE_TIMEOUT)
    return page


def choropleth_html(spec: ChoroplethSpec, *, nonce: str) -> str:
    """The map page served in the territory page's iframe, its inline scripts marked with ``nonce``."""
    return _cached_page(spec).replace(maps.NONCE_PLACEHOLDER, html.escape(nonce, quote=True))


def render_choropleth(spec: ChoroplethSpec) -> str:
    """Render the map page with :data:`portal.maps.territory_map.NONCE_PLACEHOLDER` as script nonce."""
    import folium

    territory, indicator = spec.territory, spec.indicator
    contour, units, unit_level, note = _load_units(spec)
    values = [u.value for u in units if u.status == "value"]
    classes = build_classes(values, indicator=indicator, scheme=spec.scheme)
    bounds = [c.upper for c in classes]
    counts = dict.fromkeys(STATUS_LABELS, 0)
    features = []
    for unit in units:
        props = {"code": html.escape(unit.code), "name": html.escape(unit.name)}
        if unit.status == "value":
            props["value"] = format_value(unit.value, indicator)
            props["class"] = class_of(unit.value, bounds)
        else:
            props["class"] = unit.status
            counts[unit.status] += 1
        if unit.zone:
            props["zone"] = unit.zone
        features.append({"type": "Feature", "id": unit.code, "properties": props, "geometry": unit.geometry})
    is_demo = indicator.is_demo or any(u.is_demo for u in units)
    has_zoning = any(u.zone for u in units)
    legend = Legend(
        title=indicator.label,
        unit=indicator.unit,
        year=spec.year,
        scheme=SCHEMES[spec.scheme],
        classes=classes,
        status_counts=counts,
        source=indicator.source,
        vintage=indicator.vintage,
        is_demo=is_demo,
        note=note,
        zoning_date=timezone.localdate() if has_zoning else None,
    )

    per = {Level.COMMUNE: "commune", Level.IRIS: "IRIS", Level.DEPARTMENT: "département"}[unit_level]
    folium_map = maps.offline_map(title=f"{indicator.label} ({spec.year}) : {territory.name}", contour=contour)
    colors = [c.color for c in classes]

    def style(feature):
        cls = feature["properties"]["class"]
        fill = STATUS_COLORS[cls] if isinstance(cls, str) else colors[cls]
        return {**UNIT_STYLE, "fillColor": fill}

    # Layer names are shown as HTML by Leaflet's layer control: escaped.
    choropleth_group = folium.FeatureGroup(name=html.escape(f"{indicator.label} ({spec.year}), par {per}"))
    choropleth = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=indicator.label,
        style_function=style,
        highlight_function=lambda _f: HIGHLIGHT_STYLE,
        on_each_feature=folium.JsCode(_tooltip_js(legend, indicator, zoning=has_zoning)),
        control=False,
    )
    choropleth.add_to(choropleth_group)
    choropleth_group.add_to(folium_map)
    if has_zoning:
        ZoningLayer(source=choropleth, day=legend.zoning_date).add_to(folium_map)
    contour_group = folium.FeatureGroup(name=f"Contour : {html.escape(territory.name)}")
    folium.GeoJson(contour, style_function=lambda _f: CONTOUR_STYLE, interactive=False, control=False).add_to(
        contour_group
    )
    contour_group.add_to(folium_map)
    for layer in provider_layers(territory, [u.code for u in units]):
        _add_provider_layer(folium_map, layer)
    folium.LayerControl(collapsed=False, position="topright").add_to(folium_map)
    folium_map.get_root().header.add_child(folium.Element(PAGE_STYLE))
    LegendControl(legend_html(legend)).add_to(folium_map)
    (min_lat, min_lon), (max_lat, max_lon) = maps.bounds(contour)
    folium_map.fit_bounds([[min_lat, min_lon], [max_lat, max_lon]])
    return maps.with_nonce(folium_map.get_root().render(), nonce=maps.NONCE_PLACEHOLDER)


def _js(value) -> str:
    """A JSON literal safe inside an inline <script>."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


def _tooltip_js(legend: Legend, indicator: Indicator, *, zoning: bool) -> str:
    """The tooltip of each unit: name, value with unit (or its status), GP zoning, year, source."""
    footer = f"<br>{legend.year} · Source : {html.escape(indicator.source)} ({html.escape(indicator.vintage)})"
    if legend.is_demo:
        footer += "<br><em>Données de démonstration</em>"
    unit = "\xa0" + html.escape(indicator.unit) if indicator.unit else ""
    zones = ""
    if zoning:
        zones = (
            f" var zones = {_js({str(k): v for k, v in ZONE_LABELS.items()})};"
            " if (p.zone) { text += '<br>Zonage ARS médecins : ' + zones[p.zone]; }"
        )
    return (
        "function (feature, layer) {"
        f" var status = {_js(STATUS_LABELS)}, p = feature.properties;"
        f" var text = p.value !== undefined ? p.value + {_js(unit)} : status[p['class']];{zones}"
        " layer.bindTooltip('<strong>' + p.name + '</strong><br>' + text"
        f" + {_js(footer)}, {{sticky: true, className: 'portal-tooltip'}});"
        " }"
    )


def legend_html(legend: Legend) -> str:
    """The legend as an HTML fragment with inline styles (allowed by the CSP), every text escaped."""
    e = html.escape

    def swatch(color: str, label: str, border: str = "#666") -> str:
        return (
            f'<li style="display:flex;align-items:center;gap:6px;margin:2px 0">'
            f'<span style="display:inline-block;width:18px;height:12px;background:{color};'
            f'border:1px solid {border}"></span><span>{e(label)}</span></li>'
        )

    parts = [
        f'<p style="margin:0 0 4px;font-weight:bold">{e(legend.title)} ({legend.year})</p>',
        f'<p style="margin:0 0 4px">Unité : {e(legend.unit)}</p>' if legend.unit else "",
        '<ul style="list-style:none;margin:0;padding:0">',
    ]
    for cls in reversed(legend.classes):  # highest values on top
        parts.append(swatch(cls.color, f"{cls.label} ({cls.count})"))
    for status in (MASKED, MISSING, RESTRICTED):
        if status != RESTRICTED or legend.status_counts.get(status):
            count = legend.status_counts.get(status, 0)
            parts.append(swatch(STATUS_COLORS[status], f"{STATUS_LABELS[status]} ({count})"))
    parts.append("</ul>")
    if not legend.classes:
        parts.append('<p style="margin:4px 0 0">Aucune valeur à représenter.</p>')
    if legend.note:
        parts.append(f'<p style="margin:4px 0 0">{e(legend.note)}</p>')
    if legend.zoning_date:
        parts.append(
            f'<p style="margin:6px 0 2px;font-weight:bold">Zonage ARS médecins généralistes '
            f"(au {legend.zoning_date:%d/%m/%Y})</p>"
            '<ul style="list-style:none;margin:0;padding:0">'
        )
        for zone, label in ZONE_LABELS.items():
            style = ZONE_STYLES[zone]
            parts.append(swatch(style.get("fillColor", "transparent"), label, border=style["color"]))
        parts.append("</ul>")
    parts.append(
        f'<p style="margin:6px 0 0;font-size:11px">Classes : {e(legend.scheme)}.<br>'
        f"Source : {e(legend.source)} ({e(legend.vintage)}).</p>"
    )
    if legend.is_demo:
        parts.append('<p style="margin:4px 0 0;font-weight:bold;color:#b34000">Données de démonstration</p>')
    return "".join(parts)


@functools.cache
def _folium_element_classes():
    """Folium classes defined lazily (folium is imported on first use, not with this module)."""
    import folium
    from branca.element import MacroElement
    from jinja2 import Template

    class _LegendControl(MacroElement):
        """The legend, a Leaflet control at the bottom right; no Bootstrap, no inline event handler."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: "bottomright"});
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create("div", "portal-legend");
                div.setAttribute("role", "region");
                div.setAttribute("aria-label", "Légende");
                div.style.cssText = "background:#fff;padding:8px 10px;font:12px/1.35 Marianne,Arial,sans-serif;"
                    + "max-width:280px;max-height:60vh;overflow:auto;box-shadow:0 1px 4px rgba(0,0,0,.3)";
                div.innerHTML = {{ this.html }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
            {% endmacro %}
            """
        )

        def __init__(self, fragment: str):
            super().__init__()
            self._name = "PortalLegend"
            self.html = _js(fragment)

    class _ZoningLayer(folium.map.Layer):
        """The GP zoning, drawn from the choropleth's own features (no second copy of the geometries)."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.geoJson(null, {
                interactive: false,
                filter: function (feature) { return !!feature.properties.zone; },
                style: function (feature) { return {{ this.styles }}[feature.properties.zone]; }
            });
            {{ this.source.get_name() }}.eachLayer(function (layer) {
                {{ this.get_name() }}.addData(layer.feature);
            });
            {% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
            {% endmacro %}
            """
        )

        def __init__(self, *, source, day: date):
            super().__init__(
                name=f"Zonage ARS médecins généralistes (au {day:%d/%m/%Y})", overlay=True, control=True, show=False
            )
            self._name = "PortalZoning"
            self.source = source
            self.styles = _js({str(k): v for k, v in ZONE_STYLES.items()})

    return _LegendControl, _ZoningLayer


def LegendControl(fragment: str):  # noqa: N802 (a class factory)
    return _folium_element_classes()[0](fragment)


def ZoningLayer(*, source, day: date):  # noqa: N802 (a class factory)
    return _folium_element_classes()[1](source=source, day=day)


# --- Extra layers (registry) -------------------------------------------------------------------------


def provider_layers(territory: Territory, unit_codes: list[str]) -> list[dict]:
    """Layers of the registered providers (:data:`LAYER_PROVIDERS`), in registration order."""
    layers = []
    for path in LAYER_PROVIDERS:
        provider: Callable = import_string(path)
        layers.extend(layer for layer in provider(territory, unit_codes) if layer.get("features"))
    return layers


def _add_provider_layer(folium_map, layer: dict) -> None:
    import folium

    color = layer.get("color", "#000091")
    features = []
    for feature in layer["features"]:
        props = feature.get("properties") or {}
        label = props.get("label", "")
        features.append(
            {
                **feature,
                "properties": {
                    "name": html.escape(str(props.get("name", ""))),
                    "label": html.escape(str(label)) if label else "",
                },
            }
        )
    group = folium.FeatureGroup(name=html.escape(layer["name"]), show=layer.get("show", True))
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        style_function=lambda _f: {"color": color, "weight": 2, "fillColor": color, "fillOpacity": 0.25},
        marker=folium.CircleMarker(radius=5, color=color, fill=True, fill_color=color, fill_opacity=0.9),
        on_each_feature=folium.JsCode(
            "function (feature, layer) { var p = feature.properties;"
            " layer.bindTooltip('<strong>' + p.name + '</strong>' + (p.label ? '<br>' + p.label : '')); }"
        ),
        control=False,
    ).add_to(group)
    group.add_to(folium_map)


# --- Standalone file ---------------------------------------------------------------------------------

_LEAFLET_SCRIPT = re.compile(r'<script\s+src="[^"]*leaflet\.js"\s*>\s*</script>')
_LEAFLET_CSS = re.compile(r'<link\s+rel="stylesheet"\s+href="[^"]*leaflet\.css"\s*/?>')


def _leaflet_dir() -> Path:
    import xstatic.pkg.leaflet as xstatic_leaflet

    return Path(xstatic_leaflet.BASE_DIR)


def inline_leaflet(page: str) -> str:
    """``page`` with Leaflet's JS and CSS (its images as data: URIs) inlined, and no CSP nonce."""
    base = _leaflet_dir()
    script = (base / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        image = base / match.group(1)
        return f"url(data:image/png;base64,{base64.b64encode(image.read_bytes()).decode()})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", data_uri, css)
    page = _LEAFLET_SCRIPT.sub(lambda _m: f"<script>{script}</script>", page, count=1)
    page = _LEAFLET_CSS.sub(lambda _m: f"<style>{css}</style>", page, count=1)
    return page.replace(f' nonce="{maps.NONCE_PLACEHOLDER}"', "")


def standalone_html(spec: ChoroplethSpec) -> str:
    """The map as one self-contained HTML file (opens offline from disk)."""
    return inline_leaflet(_cached_page(spec))


def download_filename(spec: ChoroplethSpec, *, day: date | None = None) -> str:
    return map_filename(indicator_code=spec.indicator.code, territory_code=spec.territory.code, day=day)


def map_filename(*, indicator_code: str, territory_code: str, day: date | None = None) -> str:
    """``carte-<indicator>-<territory code>-<day>.html``: the name of a downloaded map file."""
    day = day or timezone.localdate()
    code = re.sub(r"[^\w-]", "", indicator_code)
    territory = re.sub(r"[^\w-]", "", territory_code)
    return f"carte-{code}-{territory}-{day.isoformat()}.html"
