"""Territory maps: a Folium (Leaflet) page showing a territory's contour, served by our own views.

The page works offline and under the portal's strict Content-Security-Policy:
- Leaflet comes from our static files (``vendor/leaflet/``, served from the xstatic-leaflet package);
  Folium's default jQuery, Bootstrap, Font Awesome and awesome-markers (all from CDNs) are dropped;
- no base-map tiles unless ``settings.MAP_TILES_URL`` is set;
- every inline ``<script>`` carries the request's CSP nonce. The rendered HTML is cached with a
  placeholder (:data:`NONCE_PLACEHOLDER`) that :func:`territory_map_html` swaps for the nonce.

Folium is imported inside the functions that need it, never when a view module is imported.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.core.cache import cache
from django.templatetags.static import static

from territories.enums import GeometryUse, Level
from territories.models import DataSource, Territory, TerritoryGeometry

NONCE_PLACEHOLDER = "__PORTAL_CSP_NONCE__"
CACHE_TIMEOUT = 24 * 3600
CACHE_KEY_VERSION = 1

# DSFR colours: "bleu France" for the territory, grey for its subdivisions.
CONTOUR_STYLE = {"color": "#000091", "weight": 3, "fillColor": "#6a6af4", "fillOpacity": 0.15}
CHILD_STYLE = {"color": "#666666", "weight": 1, "fillOpacity": 0.0, "dashArray": "3"}

# What is drawn inside a territory's contour (light geometries), by level: (child level, parent field).
# Not the communes of a département or a région: hundreds of contours make a heavy page.
CHILDREN = {
    Level.REGION: (Level.DEPARTMENT, "region"),
    Level.EPCI: (Level.COMMUNE, "epci"),
    Level.COMMUNE: (Level.IRIS, "commune"),
}

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*\bnonce=)([^>]*)>", re.IGNORECASE)


class NoGeometry(Exception):
    """The territory has no stored contour."""


def data_version() -> int:
    """An integer that changes whenever reference data is (re)loaded: the latest DataSource id."""
    return DataSource.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def cache_key(*, territory: Territory, version: int) -> str:
    tiles = hashlib.sha256(settings.MAP_TILES_URL.encode()).hexdigest()[:8]
    return f"portal:map:v{CACHE_KEY_VERSION}:{territory.level}:{territory.code}:{territory.pk}:{version}:{tiles}"


def territory_map_html(*, territory: Territory, nonce: str) -> str:
    """The standalone map page of ``territory``, its inline scripts marked with ``nonce``.

    Raises :class:`NoGeometry` when the territory has no detailed contour.
    """
    key = cache_key(territory=territory, version=data_version())
    page = cache.get(key)
    if page is None:
        page = render_territory_map(territory=territory)
        cache.set(key, page, CACHE_TIMEOUT)
    return page.replace(NONCE_PLACEHOLDER, html.escape(nonce, quote=True))


def render_territory_map(*, territory: Territory) -> str:
    """Render the map page of ``territory`` with :data:`NONCE_PLACEHOLDER` as script nonce."""
    contour = (
        TerritoryGeometry.objects.filter(territory=territory, use=GeometryUse.DETAIL)
        .values_list("geojson", flat=True)
        .first()
    )
    if contour is None:
        raise NoGeometry(f"Pas de contour pour {territory}.")
    children = []
    if territory.level in CHILDREN:
        child_level, parent_field = CHILDREN[territory.level]
        children = list(
            TerritoryGeometry.objects.filter(
                use=GeometryUse.LIGHT,
                territory__level=child_level,
                **{f"territory__{parent_field}": territory},
            )
            .order_by("territory__code")
            .values_list("territory__code", "territory__name", "geojson")
        )
    folium_map = build_map(
        title=f"Carte : {territory.name}",
        contour=as_feature(contour, name=territory.name, code=territory.code),
        children=[as_feature(geojson, name=name, code=code) for code, name, geojson in children],
    )
    return with_nonce(folium_map.get_root().render(), nonce=NONCE_PLACEHOLDER)


def build_map(*, title: str, contour: dict, children: list[dict]):
    """A folium.Map of one contour (and optional inner contours) fitted to its bounds, offline-ready."""
    import folium

    folium_map = offline_map(title=title, contour=contour)
    if children:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": children},
            name="Subdivisions",
            style_function=lambda _feature: CHILD_STYLE,
            tooltip=folium.GeoJsonTooltip(fields=["name", "code"], aliases=["", ""], labels=False),
        ).add_to(folium_map)
    folium.GeoJson(
        contour,
        name=contour["properties"]["name"],
        style_function=lambda _feature: CONTOUR_STYLE,
    ).add_to(folium_map)
    (min_lat, min_lon), (max_lat, max_lon) = bounds(contour)
    folium_map.fit_bounds([[min_lat, min_lon], [max_lat, max_lon]])
    return folium_map


def offline_map(*, title: str, contour: dict):
    """An empty folium.Map centred on ``contour``: Leaflet from our static files, tiles only if configured."""
    import folium

    class OfflineMap(folium.Map):
        default_js = [("leaflet", static("vendor/leaflet/leaflet.js"))]
        default_css = [("leaflet_css", static("vendor/leaflet/leaflet.css"))]

    tiles = settings.MAP_TILES_URL or None
    folium_map = OfflineMap(
        tiles=tiles,
        attr=(settings.MAP_TILES_ATTRIBUTION or "Fond de carte") if tiles else None,
        control_scale=True,
        zoom_start=10,
        zoom_snap=0.25,  # fit the territory closely, not to the nearest power of two
        location=_center(contour),
    )
    folium_map.get_root().title = html.escape(title)
    return folium_map


def with_nonce(page: str, *, nonce: str) -> str:
    """Add ``nonce`` to every inline ``<script>`` tag of ``page`` and declare the page French."""
    page = _INLINE_SCRIPT.sub(lambda m: f'<script nonce="{nonce}"{m.group(1)}>', page)
    return page.replace("<html>", '<html lang="fr">', 1)


def as_feature(geojson: str | dict, *, name: str, code: str) -> dict:
    """A GeoJSON Feature from a stored geometry, Feature or FeatureCollection, with name and code.

    Names are HTML-escaped: Leaflet tooltips insert them as HTML.
    """
    data = json.loads(geojson) if isinstance(geojson, str) else geojson
    if data.get("type") == "FeatureCollection":
        geometries = [f["geometry"] for f in data["features"] if f.get("geometry")]
        geometry = geometries[0] if len(geometries) == 1 else {"type": "GeometryCollection", "geometries": geometries}
    elif data.get("type") == "Feature":
        geometry = data["geometry"]
    else:
        geometry = data
    return {
        "type": "Feature",
        "properties": {"name": html.escape(name), "code": html.escape(code)},
        "geometry": geometry,
    }


def bounds(feature: dict) -> tuple[tuple[float, float], tuple[float, float]]:
    """((min_lat, min_lon), (max_lat, max_lon)) of a GeoJSON Feature."""
    lons, lats = zip(*_positions(feature["geometry"]), strict=True)
    return (min(lats), min(lons)), (max(lats), max(lons))


def _center(feature: dict) -> list[float]:
    (min_lat, min_lon), (max_lat, max_lon) = bounds(feature)
    return [(min_lat + max_lat) / 2, (min_lon + max_lon) / 2]


def _positions(geometry: dict) -> Iterator[tuple[float, float]]:
    if geometry["type"] == "GeometryCollection":
        for part in geometry["geometries"]:
            yield from _positions(part)
        return
    yield from _flatten(geometry["coordinates"])


def _flatten(coordinates: Iterable) -> Iterator[tuple[float, float]]:
    coordinates = list(coordinates)
    if coordinates and isinstance(coordinates[0], int | float):
        yield float(coordinates[0]), float(coordinates[1])
        return
    for item in coordinates:
        yield from _flatten(item)
