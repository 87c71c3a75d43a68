"""Choropleth maps of one indicator over a territory: a Folium (Leaflet) page with layers and a legend.

What is drawn, by level of the mapped territory (:data:`portal.maps.geometry.UNITS`): the communes of a
région, a département or an EPCI; the IRIS of a commune (or the commune itself, « pas de données
infra-communales », when no IRIS value is stored); the départements of France.

Values and geometry are sent once: the page carries the values by unit code; the geometry (units, and the
context layer: neighbours, département boundaries, main towns) is the same for every indicator, year,
classification and user, fitted to the scale shown, and fetched from ``contours.geojson``
(:mod:`portal.maps.geometry`, cached per data version, by the browser too). The downloaded file inlines it.

Layers (custom Leaflet layers in Folium elements, a LayerControl; no Bootstrap or jQuery needed):
- the context layer (light grey neighbours, dashed département boundaries, town names), so that a map
  reads without base-map tiles; hidden by default when ``MAP_TILES_URL`` is set;
- the indicator, in 5 classes on a sequential scale where the dark end is always the worrying one
  (:func:`class_colors`): quantiles by default, Fisher-Jenks (jenkspy) on request, zero in a class of its
  own when it is the minimum (:func:`class_bounds`); the legend names the method. Masked values are grey
  « secret statistique » and carry no value in the page; missing values are « pas de donnée »;
- the territory's contour; the ARS zoning of the communes for GPs (ZIP / ZAC / hors zone) in force today;
- any layer of :data:`LAYER_PROVIDERS` (care structures, CPTS perimeters, access-to-rights points,
  prevention actions), simplified to the scale; crowded point layers hidden until asked for.
The map is fitted to the territory in the space the legend leaves free.

Access: the view has checked that the user may see the territory. Values of a non-public indicator are
shown only for the units the user may see (``Territory.objects.visible_to``), the others are
« non communiqué », as on the dashboard. The rendered page is cached per territory, indicator, year,
classification, data version (latest DataSource), tiles URL, day (zoning in force) and, for a
non-public indicator, the user's visibility scope.

Memory: neither mapclassify (scipy, scikit-learn, matplotlib: +110 MB) nor geopandas is imported here;
classes use numpy and jenkspy, geometry shapely only.

The page works offline and under the portal's CSP (see :mod:`portal.maps.territory_map`): Leaflet from our static
files, nonce on inline scripts, the legend is a Leaflet control built from escaped HTML, no inline event
handler. :func:`standalone_html` inlines Leaflet's JS and CSS and the geometry so that the downloaded file
opens from disk.

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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from portal.maps import geometry as map_geometry
from portal.maps import territory_map as maps
from portal.maps.geometry import UNITS
from portal.territory.dashboard import format_number
from territories.enums import Direction, Level, Profession, Zone
from territories.models import Indicator, IndicatorValue, Territory, Zoning

CACHE_KEY_VERSION = 1
CLASS_COUNT = 5
DEFAULT_INDICATOR = "gp_density"
# Fisher-Jenks is O(k·n²) (jenkspy, in C): beyond this many values it runs on as many evenly spaced quantiles
# of the values (breaks within a few % of the exact ones, a few ms instead of 0.3 s for 5,000 communes).
JENKS_SAMPLE = 1000
SCHEMES = {"quantiles": "quantiles", "jenks": "seuils naturels (Fisher-Jenks)"}

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
    "<style>html .leaflet-container{font:12px/1.4 Marianne,Arial,sans-serif;background:#fff}"
    ".leaflet-tooltip.portal-tooltip{white-space:normal;width:260px}"
    ".leaflet-tooltip.portal-town{background:none;border:0;box-shadow:none;padding:0 2px;font-weight:bold;"
    "color:#161616;text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff}.leaflet-tooltip.portal-town:before{display:none}"
    "</style>"
)
ZONE_LABELS = {Zone.ZIP: "ZIP", Zone.ZAC: "ZAC", Zone.NONE: "hors zone"}

# Extra layers: dotted paths of provider functions ``provider(territory, unit_codes) -> list[dict]``.
# Each dict: {"name": str (French), "features": [GeoJSON Feature…] (Point or polygons, properties "name"
# and optionally "label"), "color": "#rrggbb", "show": bool}. Providers live in the domain apps (they
# must not import portal) and must depend only on the territory and the reference data (the page is
# cached per data version). Registered: care structures by kind and CPTS perimeters (structures/); planned:
# access-to-rights points and prevention actions (prevention/).
MAX_SHOWN_POINTS = 150
DEMO_NOTE = "<em>Données de démonstration</em>"
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

    Zero apart: when the smallest value is 0 (no GP in a commune…), 0 is a class of its own and the
    ``k - 1`` others split the values above it; without that, quantiles put half the communes of a rural
    département in one « 0,0 » class. Fewer classes when there are fewer distinct values. Quantiles
    interpolate linearly (numpy); Fisher-Jenks (jenkspy) runs on :data:`JENKS_SAMPLE` evenly spaced
    quantiles of the values past that size, each break then snapped onto a real value.
    """
    import numpy as np

    if not values:
        return []
    y = np.asarray(values, dtype=float)
    if y.min() == 0 and y.max() > 0 and k > 2:
        return [0.0, *class_bounds(y[y > 0].tolist(), scheme=scheme, k=k - 1)]
    distinct = np.unique(y)
    k = min(k, len(distinct))
    if k < 2:
        return [float(y.max())]
    if scheme == "jenks":
        bins = _jenks(y, distinct, k)
    else:
        bins = np.quantile(y, np.linspace(1 / k, 1, k))
    bounds = sorted({float(b) for b in bins})
    bounds[-1] = float(y.max())
    return bounds


def zero_apart(bounds: list[float]) -> bool:
    """Whether the classes of ``bounds`` put zero apart (see :func:`class_bounds`)."""
    return len(bounds) > 2 and bounds[0] == 0


def _jenks(y, distinct, k: int) -> list[float]:
    import jenkspy
    import numpy as np

    if y.size <= JENKS_SAMPLE:
        return jenkspy.jenks_breaks(y, n_classes=k)[1:]
    sample = np.unique(np.quantile(y, np.linspace(0, 1, JENKS_SAMPLE)))
    k = min(k, len(sample))
    if k < 2:
        return [y.max()]
    breaks = jenkspy.jenks_breaks(sample, n_classes=k)[1:]
    return [_snap(distinct, b, sample) for b in breaks[:-1]] + [y.max()]


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
    value: float | None = None
    status: str = MISSING  # MISSING, MASKED, RESTRICTED or "value"
    is_demo: bool = False
    zone: str = ""


def _load_units(spec: ChoroplethSpec) -> tuple[dict, list[Unit], str, str]:
    """(contour feature, units with values and zoning, unit level, note). Constant number of queries.

    The units' geometries are not loaded here: the page fetches them from :mod:`portal.maps.geometry`.
    """
    territory = spec.territory
    unit_level, link, _use = UNITS[territory.level]
    contour = map_geometry.contour_of(territory)
    if contour is None:
        raise ChoroplethError("Le contour de ce territoire n'est pas disponible.")
    scope = {"territory__level": unit_level}
    if link:
        scope[f"territory__{link}"] = territory
    units = [
        Unit(code=code, name=name)
        for code, name in Territory.objects.filter(**{k.removeprefix("territory__"): v for k, v in scope.items()})
        .order_by("code")
        .values_list("code", "name")
    ]
    _attach_values(spec, units, scope)
    note = ""
    if unit_level == Level.IRIS and not any(u.status != MISSING for u in units):
        # No IRIS value: the commune is drawn whole.
        note = "Pas de données infra-communales : la commune est représentée entière."
        unit_level = Level.COMMUNE
        units = [Unit(code=territory.code, name=territory.name)]
        _attach_values(spec, units, {"territory": territory})
    if unit_level == Level.COMMUNE:
        _attach_zoning(units, {"commune": territory} if note else {f"commune__{link}": territory})
    return maps.as_feature(contour, name=territory.name, code=territory.code), units, unit_level, note


def _attach_values(spec: ChoroplethSpec, units: list[Unit], scope: dict) -> None:
    """One query: the indicator's values for the units; never the numerator or denominator."""
    qs = IndicatorValue.objects.filter(indicator=spec.indicator, year=spec.year, **scope)
    fields = ["territory__code", "value", "is_masked", "is_demo"]
    if spec.restricted:
        visible = Territory.objects.visible_to(spec.user).filter(pk=OuterRef("territory_id"))
        qs = qs.annotate(is_visible=Exists(visible))
        fields.append("is_visible")
    by_code = {u.code: u for u in units}
    for code, value, is_masked, is_demo, *visibility in qs.values_list(*fields).order_by():  # tuples: 5,000 rows
        unit = by_code.get(code)
        if unit is None:
            continue
        unit.is_demo = is_demo
        if visibility and not visibility[0]:
            unit.status = RESTRICTED
        elif is_masked:
            unit.status = MASKED
        elif value is not None:
            unit.status, unit.value = "value", value


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


# --- Rendering ---------------------------------------------------------------------------------------


def cache_key(spec: ChoroplethSpec, *, version: int) -> str:
    # The registered providers count: a new layer must not wait for the cached pages to expire.
    setup = hashlib.sha256("|".join([settings.MAP_TILES_URL, *LAYER_PROVIDERS]).encode()).hexdigest()[:8]
    t = spec.territory
    return (
        f"portal:choropleth:v{CACHE_KEY_VERSION}:{t.level}:{t.code}:{t.pk}:{spec.indicator.code}:{spec.year}:"
        f"{spec.scheme}:{version}:{setup}:{timezone.localdate().isoformat()}:{spec.audience}"
    )


def geometry_url(territory: Territory, *, version: int) -> str:
    """The URL of the map's geometry (:mod:`portal.maps.geometry`); the data version makes it cacheable."""
    path = reverse("portal:choropleth_geometry", args=[territory.level, territory.code])
    return f"{path}?v={version}"


def _cached_page(spec: ChoroplethSpec) -> str:
    version = maps.data_version()
    key = cache_key(spec, version=version)
    page = cache.get(key)
    if page is None:
        page = render_choropleth(spec, geometry=geometry_url(spec.territory, version=version))
        cache.set(key, page, maps.CACHE_TIMEOUT)
    return page


def choropleth_html(spec: ChoroplethSpec, *, nonce: str) -> str:
    """The map page served in the territory page's iframe, its inline scripts marked with ``nonce``."""
    return _cached_page(spec).replace(maps.NONCE_PLACEHOLDER, html.escape(nonce, quote=True))


def render_choropleth(spec: ChoroplethSpec, *, geometry: str | bytes) -> str:
    """Render the map page with :data:`portal.maps.territory_map.NONCE_PLACEHOLDER` as script nonce.

    ``geometry``: the URL the page fetches its geometry from (str), or that GeoJSON itself (bytes) to
    inline it (the downloaded file).
    """
    import folium

    territory, indicator = spec.territory, spec.indicator
    contour, units, unit_level, note = _load_units(spec)
    values = [u.value for u in units if u.status == "value"]
    classes = build_classes(values, indicator=indicator, scheme=spec.scheme)
    bounds = [c.upper for c in classes]
    counts = dict.fromkeys(STATUS_LABELS, 0)
    # code → [class or status, formatted value, GP zone, provenance note]: the values, sent once. The note
    # (4th slot) says per unit that its figure is demonstration data when the indicator is not wholly demo.
    joined = {}
    for unit in units:
        if unit.status == "value":
            entry = [class_of(unit.value, bounds), format_value(unit.value, indicator), unit.zone]
        else:
            entry = [unit.status, None, unit.zone]
            counts[unit.status] += 1
        if unit.is_demo and not indicator.is_demo:
            entry.append(DEMO_NOTE)
        joined[unit.code] = entry
    is_demo = indicator.is_demo or any(u.is_demo for u in units)
    has_zoning = any(u.zone for u in units)
    legend = Legend(
        title=indicator.label,
        unit=indicator.unit,
        year=spec.year,
        scheme=scheme_label(spec.scheme, bounds),
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
    elements = _folium_element_classes()
    elements.Panes().add_to(folium_map)
    tiles = bool(settings.MAP_TILES_URL)
    context = elements.ContextLayer(name="Repères : alentours, villes, limites départementales", show=not tiles)
    context.add_to(folium_map)
    # Layer names are shown as HTML by Leaflet's layer control: escaped.
    units_layer = elements.UnitsLayer(
        name=html.escape(f"{indicator.label} ({spec.year}), par {per}"),
        config={
            "values": joined,
            "colors": [c.color for c in classes],
            "status_colors": STATUS_COLORS,
            "status_labels": STATUS_LABELS,
            "zones": {str(k): f"<br>Zonage ARS médecins : {v}" for k, v in ZONE_LABELS.items()} if has_zoning else None,
            "unit": "\xa0" + html.escape(indicator.unit) if indicator.unit else "",
            "footer": _tooltip_footer(legend, indicator),
            "style": UNIT_STYLE,
            "highlight": HIGHLIGHT_STYLE,
            "whole": contour if note else None,
        },
    )
    units_layer.add_to(folium_map)
    zoning = elements.ZoningLayer(day=legend.zoning_date) if has_zoning else None
    if zoning:
        zoning.add_to(folium_map)
    contour_group = folium.FeatureGroup(name=f"Contour : {html.escape(territory.name)}")
    folium.GeoJson(
        contour, style_function=lambda _f: CONTOUR_STYLE, interactive=False, control=False, pane="portalOutline"
    ).add_to(contour_group)
    contour_group.add_to(folium_map)
    scale = map_geometry.scale_of(contour)
    for layer in provider_layers(territory, [u.code for u in units]):
        _add_provider_layer(folium_map, {**layer, "features": map_geometry.fit_features(layer["features"], scale)})
    folium.LayerControl(collapsed=True, position="topright").add_to(folium_map)
    folium_map.get_root().header.add_child(folium.Element(PAGE_STYLE))
    legend_control = elements.LegendControl(legend_html(legend))
    legend_control.add_to(folium_map)
    elements.GeometryLoader(
        geometry=geometry, context=context, units=units_layer, zoning=zoning, legend=legend_control, contour=contour
    ).add_to(folium_map)
    return maps.with_nonce(folium_map.get_root().render(), nonce=maps.NONCE_PLACEHOLDER)


def scheme_label(scheme: str, bounds: list[float]) -> str:
    """The classification method as the legend says it."""
    if zero_apart(bounds):
        return f"zéro à part, puis {SCHEMES[scheme]} des valeurs non nulles"
    return SCHEMES[scheme]


def _js(value) -> str:
    """A JSON literal safe inside an inline <script>."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


def _tooltip_footer(legend: Legend, indicator: Indicator) -> str:
    """Last lines of each unit's tooltip: year, source, demo mention (HTML, escaped)."""
    footer = f"<br>{legend.year} · Source : {html.escape(indicator.source)} ({html.escape(indicator.vintage)})"
    if indicator.is_demo:  # otherwise said per unit (DEMO_NOTE in the values)
        footer += f"<br>{DEMO_NOTE}"
    return footer


def legend_html(legend: Legend) -> str:
    """The legend as an HTML fragment with inline styles (allowed by the CSP), every text escaped."""
    e = html.escape

    def swatch(color: str, label: str, border: str = "#666") -> str:
        return (
            f'<li style="display:flex;align-items:center;gap:6px;margin:1px 0">'
            f'<span style="display:inline-block;flex:none;width:16px;height:11px;background:{color};'
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


# Context layer styles: light grey land around the territory, dark dashed département boundaries.
NEIGHBOUR_STYLE = {"color": "#b8b8b8", "weight": 0.7, "fillColor": "#efefec", "fillOpacity": 1}
BOUNDARY_STYLE = {"color": "#3a3a3a", "weight": 1.6, "dashArray": "5 4", "fill": False}
TOWN_STYLE = {"radius": 3, "color": "#161616", "weight": 1, "fillColor": "#ffffff", "fillOpacity": 1}


@functools.cache
def _folium_element_classes():
    """Folium classes defined lazily (folium is imported on first use, not with this module)."""
    import types

    import folium
    from branca.element import MacroElement
    from jinja2 import Template

    class _Panes(MacroElement):
        """Leaflet panes: context below the indicator, outlines and towns above it."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            [["portalContext", 350], ["portalOutline", 450], ["portalTowns", 460]].forEach(function (p) {
                {{ this._parent.get_name() }}.createPane(p[0]).style.zIndex = p[1];
            });
            {% endmacro %}
            """
        )

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
                div.style.cssText = "background:#fff;padding:6px 8px;font:11px/1.3 Marianne,Arial,sans-serif;"
                    + "max-width:250px;max-height:70vh;overflow:auto;box-shadow:0 1px 4px rgba(0,0,0,.3)";
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

    class _ContextLayer(folium.map.Layer):
        """Neighbours (light grey), département boundaries and main towns: the map reads without tiles."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.featureGroup();
            {{ this.get_name() }}.neighbours = L.geoJson(null, {
                pane: "portalContext", interactive: false, style: function () { return {{ this.neighbour }}; }
            }).addTo({{ this.get_name() }});
            {{ this.get_name() }}.outlines = L.geoJson(null, {
                pane: "portalOutline", interactive: false, style: function () { return {{ this.boundary }}; },
                pointToLayer: function (feature, latlng) {
                    return L.circleMarker(latlng, Object.assign({pane: "portalTowns", interactive: false}, {{ this.town }}))
                        .bindTooltip(feature.properties.name, {
                            permanent: true, direction: "right", offset: [3, 0], className: "portal-town"
                        });
                }
            }).addTo({{ this.get_name() }});
            {% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
            {% endmacro %}
            """
        )

        def __init__(self, *, name: str, show: bool):
            super().__init__(name=name, overlay=True, control=True, show=show)
            self._name = "PortalContext"
            self.neighbour, self.boundary, self.town = _js(NEIGHBOUR_STYLE), _js(BOUNDARY_STYLE), _js(TOWN_STYLE)

    class _UnitsLayer(folium.map.Layer):
        """The indicator: the units' geometry (fetched once) joined with the values carried by the page."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }}_config = {{ this.config }};
            var {{ this.get_name() }} = (function (cfg) {
                function entry(feature) { return cfg.values[feature.id] || ["missing", null, ""]; }
                var layer = L.geoJson(null, {
                    style: function (feature) {
                        var cls = entry(feature)[0];
                        var fill = typeof cls === "number" ? cfg.colors[cls] : cfg.status_colors[cls];
                        return Object.assign({}, cfg.style, {fillColor: fill});
                    },
                    onEachFeature: function (feature, unit) {
                        var v = entry(feature);
                        var text = v[1] !== null ? v[1] + cfg.unit : cfg.status_labels[v[0]];
                        if (cfg.zones && v[2]) { text += cfg.zones[v[2]]; }
                        if (v[3]) { text += "<br>" + v[3]; }
                        unit.bindTooltip("<strong>" + feature.properties.name + "</strong><br>" + text + cfg.footer,
                            {sticky: true, className: "portal-tooltip"});
                        unit.on("mouseover", function () { unit.setStyle(cfg.highlight); });
                        unit.on("mouseout", function () { layer.resetStyle(unit); });
                    }
                });
                layer.config = cfg;
                return layer;
            })({{ this.get_name() }}_config);
            {% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
            {% endmacro %}
            """
        )

        def __init__(self, *, name: str, config: dict):
            super().__init__(name=name, overlay=True, control=True, show=True)
            self._name = "PortalUnits"
            self.config = _js(config)

    class _ZoningLayer(folium.map.Layer):
        """The GP zoning, drawn from the units' geometry (no second copy of it)."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.geoJson(null, {
                interactive: false,
                style: function (feature) { return {{ this.styles }}[feature.properties.zone]; }
            });
            {% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
            {% endmacro %}
            """
        )

        def __init__(self, *, day: date):
            super().__init__(
                name=f"Zonage ARS médecins généralistes (au {day:%d/%m/%Y})", overlay=True, control=True, show=False
            )
            self._name = "PortalZoning"
            self.styles = _js({str(k): v for k, v in ZONE_STYLES.items()})

    class _GeometryLoader(MacroElement):
        """Fits the map to the territory beside the legend, then fills the layers from the geometry."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            (function () {
                var map = {{ this._parent.get_name() }}, units = {{ this.units.get_name() }};
                var context = {{ this.context.get_name() }}, legend = map.getContainer().querySelector(".portal-legend");
                var size = map.getSize(), right = 12;
                if (legend && size.x > 2.2 * legend.offsetWidth) { right += legend.offsetWidth; }
                map.fitBounds({{ this.bounds }}, {paddingTopLeft: [12, 12], paddingBottomRight: [right, 12]});
                function layer(name) { return function (f) { return f.properties.layer === name; }; }
                function draw(data) {
                    var features = data.features, cfg = units.config;
                    context.neighbours.addData(features.filter(layer("neighbour")));
                    context.outlines.addData(features.filter(layer("boundary")).concat(features.filter(layer("town"))));
                    var drawn = cfg.whole ? [{type: "Feature", id: cfg.whole.properties.code,
                        properties: {layer: "unit", name: cfg.whole.properties.name}, geometry: cfg.whole.geometry}]
                        : features.filter(layer("unit"));
                    units.addData(drawn);
                    {% if this.zoning %}
                    {{ this.zoning.get_name() }}.addData(drawn.filter(function (f) {
                        return cfg.values[f.id] && cfg.values[f.id][2];
                    }).map(function (f) {
                        return {type: "Feature", properties: {zone: cfg.values[f.id][2]}, geometry: f.geometry};
                    }));
                    {% endif %}
                    map.getContainer().setAttribute("data-portal-ready", "1");
                }
                {% if this.url %}
                fetch({{ this.url }}, {credentials: "same-origin"}).then(function (response) {
                    if (!response.ok) { throw new Error(response.status); }
                    return response.json();
                }).then(draw).catch(function () {
                    var note = L.control({position: "topleft"});
                    note.onAdd = function () {
                        var div = L.DomUtil.create("div", "portal-map-error");
                        div.setAttribute("role", "alert");
                        div.style.cssText = "background:#fff;padding:6px 8px;margin-left:50px";
                        div.textContent = "Les contours n'ont pas pu être chargés : rechargez la page.";
                        return div;
                    };
                    note.addTo(map);
                });
                {% else %}
                draw({{ this.inline }});
                {% endif %}
            })();
            {% endmacro %}
            """
        )

        def __init__(self, *, geometry, context, units, zoning, legend, contour: dict):
            super().__init__()
            self._name = "PortalGeometry"
            self.context, self.units, self.zoning, self.legend = context, units, zoning, legend
            (min_lat, min_lon), (max_lat, max_lon) = maps.bounds(contour)
            self.bounds = _js([[min_lat, min_lon], [max_lat, max_lon]])
            self.url = _js(geometry) if isinstance(geometry, str) else ""
            self.inline = "" if isinstance(geometry, str) else geometry.decode().replace("</", "<\\/")

    class _ProviderLayer(folium.map.Layer):
        """An extra layer (:data:`LAYER_PROVIDERS`): points as small circles, polygons outlined."""

        _template = Template(
            """
            {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.geoJson({{ this.data }}, {
                style: function () { return {{ this.style }}; },
                pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, {{ this.marker }}); },
                onEachFeature: function (feature, layer) {
                    var p = feature.properties;
                    layer.bindTooltip("<strong>" + p.name + "</strong>" + (p.label ? "<br>" + p.label : ""));
                }
            });
            {% if this.show %}{{ this.get_name() }}.addTo({{ this._parent.get_name() }});{% endif %}
            {% endmacro %}
            """
        )

        def __init__(self, *, name: str, show: bool, color: str, features: list[dict]):
            super().__init__(name=name, overlay=True, control=True, show=show)
            self._name = "PortalExtra"
            self.data = _js({"type": "FeatureCollection", "features": features})
            self.style = _js({"color": color, "weight": 2, "fillColor": color, "fillOpacity": 0.25})
            self.marker = _js({"radius": 5, "color": color, "fillColor": color, "fillOpacity": 0.9, "weight": 1})

    return types.SimpleNamespace(
        ProviderLayer=_ProviderLayer,
        Panes=_Panes,
        LegendControl=_LegendControl,
        ContextLayer=_ContextLayer,
        UnitsLayer=_UnitsLayer,
        ZoningLayer=_ZoningLayer,
        GeometryLoader=_GeometryLoader,
    )


# --- Extra layers (registry) -------------------------------------------------------------------------


def provider_layers(territory: Territory, unit_codes: list[str]) -> list[dict]:
    """Layers of the registered providers (:data:`LAYER_PROVIDERS`), in registration order."""
    layers = []
    for path in LAYER_PROVIDERS:
        provider: Callable = import_string(path)
        layers.extend(layer for layer in provider(territory, unit_codes) if layer.get("features"))
    return layers


def _add_provider_layer(folium_map, layer: dict) -> None:
    features = []
    for feature in layer["features"]:
        props = feature.get("properties") or {}
        label = props.get("label", "")
        properties = {"name": html.escape(str(props.get("name", "")))}
        if label:
            properties["label"] = html.escape(str(label))
        features.append({"type": "Feature", "properties": properties, "geometry": feature["geometry"]})
    _folium_element_classes().ProviderLayer(
        name=html.escape(layer["name"]),
        # Hundreds of points hide the indicator: shown on request only (the layer control).
        show=layer.get("show", True) and len(features) <= MAX_SHOWN_POINTS,
        color=layer.get("color", "#000091"),
        features=features,
    ).add_to(folium_map)


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
    """The map as one self-contained HTML file (opens offline from disk): geometry and Leaflet inlined."""
    geometry = map_geometry.map_geometry(spec.territory, version=maps.data_version())
    return inline_leaflet(render_choropleth(spec, geometry=geometry))


def download_filename(spec: ChoroplethSpec, *, day: date | None = None) -> str:
    return map_filename(indicator_code=spec.indicator.code, territory_code=spec.territory.code, day=day)


def map_filename(*, indicator_code: str, territory_code: str, day: date | None = None) -> str:
    """``carte-<indicator>-<territory code>-<day>.html``: the name of a downloaded map file."""
    day = day or timezone.localdate()
    code = re.sub(r"[^\w-]", "", indicator_code)
    territory = re.sub(r"[^\w-]", "", territory_code)
    return f"carte-{code}-{territory}-{day.isoformat()}.html"
