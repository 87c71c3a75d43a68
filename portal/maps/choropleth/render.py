"""Rendering an indicator map: the cached page served in the territory page's iframe, and the self-contained
file downloaded as a generated document."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from portal.maps import geometry as map_geometry
from portal.maps import territory_map as maps
from portal.maps.choropleth import layers
from portal.maps.choropleth.classes import (
    STATUS_COLORS,
    STATUS_LABELS,
    ZONE_LABELS,
    Legend,
    build_classes,
    class_of,
    format_value,
    legend_html,
    scheme_label,
)
from portal.maps.choropleth.layers import CONTOUR_STYLE, HIGHLIGHT_STYLE, PAGE_STYLE, UNIT_STYLE
from portal.maps.choropleth.spec import ChoroplethSpec, load_units
from territories.enums import Level
from territories.models import Indicator, Territory

CACHE_KEY_VERSION = 1
DEMO_NOTE = "<em>Données de démonstration</em>"


# --- Rendering ---------------------------------------------------------------------------------------


def cache_key(spec: ChoroplethSpec, *, version: int) -> str:
    # The registered providers count: a new layer must not wait for the cached pages to expire.
    setup = hashlib.sha256("|".join([settings.MAP_TILES_URL, *layers.LAYER_PROVIDERS]).encode()).hexdigest()[:8]
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
    contour, units, unit_level, note = load_units(spec)
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
        scheme=scheme_label(spec.scheme, values),
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
    elements = layers.folium_elements()
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
    for layer in layers.provider_layers(territory, [u.code for u in units]):
        layers.add_provider_layer(
            folium_map, {**layer, "features": map_geometry.fit_features(layer["features"], scale)}
        )
    folium.LayerControl(collapsed=True, position="topright").add_to(folium_map)
    folium_map.get_root().header.add_child(folium.Element(PAGE_STYLE))
    legend_control = elements.LegendControl(legend_html(legend))
    legend_control.add_to(folium_map)
    elements.GeometryLoader(
        geometry=geometry, context=context, units=units_layer, zoning=zoning, legend=legend_control, contour=contour
    ).add_to(folium_map)
    return maps.with_nonce(folium_map.get_root().render(), nonce=maps.NONCE_PLACEHOLDER)


def _tooltip_footer(legend: Legend, indicator: Indicator) -> str:
    """Last lines of each unit's tooltip: year, source, demo mention (HTML, escaped)."""
    footer = f"<br>{legend.year} · Source : {html.escape(indicator.source)} ({html.escape(indicator.vintage)})"
    if indicator.is_demo:  # otherwise said per unit (DEMO_NOTE in the values)
        footer += f"<br>{DEMO_NOTE}"
    return footer


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
