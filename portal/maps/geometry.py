"""The geometry of an indicator map, fitted to the scale shown, with its offline context layer.

One GeoJSON FeatureCollection per mapped territory and data version, the same for every indicator, year,
classification and user (reference geography is public): the map page fetches it once from
``…/carte/geometrie.geojson`` (browser-cacheable, the data version is in its URL) and joins the values
it carries inline by unit code. Each feature has a ``layer`` property:

- ``unit``: the units the indicator is drawn on (communes, IRIS, départements: :data:`UNITS`);
- ``neighbour``: what surrounds the territory (neighbouring départements around a région or a
  département, neighbouring communes around an EPCI or a commune), drawn light grey so that the map
  reads without base-map tiles;
- ``boundary``: département boundaries (the départements of a région, the département of an EPCI or
  a commune);
- ``town``: the main towns (largest populations in view), as labelled points.

Scale: the map is fitted to the territory in a frame about :data:`FRAME_PX` pixels wide, so one pixel is
``span / FRAME_PX`` degrees. Geometries are simplified by :data:`SIMPLIFY_PX` pixels as one coverage (neighbours
keep shared edges: no gap, no overlap) when it exceeds the stored geometry's own, and coordinates keep
just enough decimals for half a pixel (3 for a région, 4 for an EPCI, 5 for a commune's IRIS).

Only shapely (C, no per-vertex Python object) is used: building the geometry of a 5,000-commune région
does not grow the web process (see ``make bench``).
"""

from __future__ import annotations

import html
import json
import math

from django.core.cache import cache

from territories.enums import GeometryUse, Level
from territories.models import Territory, TerritoryGeometry

CACHE_KEY_VERSION = 1
CACHE_TIMEOUT = 7 * 24 * 3600
FRAME_PX = 800
# Simplification tolerance in pixels of that frame: a vertex off by 2 px at the initial zoom does not show.
SIMPLIFY_PX = 2
# Simplification already applied to the stored geometries at load time (degrees; territories.services.reference).
STORED_TOLERANCE = {GeometryUse.LIGHT: 0.003, GeometryUse.DETAIL: 0.0}
# Mapped territory level → (unit level, unit field pointing to the territory, geometry use of the units).
UNITS = {
    Level.COUNTRY: (Level.DEPARTMENT, None, GeometryUse.LIGHT),
    Level.REGION: (Level.COMMUNE, "region", GeometryUse.LIGHT),
    Level.DEPARTMENT: (Level.COMMUNE, "department", GeometryUse.LIGHT),
    Level.EPCI: (Level.COMMUNE, "epci", GeometryUse.DETAIL),
    Level.COMMUNE: (Level.IRIS, "commune", GeometryUse.DETAIL),
}
# Number of town names shown, by mapped level.
TOWNS = {Level.COUNTRY: 12, Level.REGION: 12, Level.DEPARTMENT: 10, Level.EPCI: 8, Level.COMMUNE: 6}
# A town label is about this many pixels wide and high: towns closer than that to a chosen one are skipped.
LABEL_PX = (110, 18)
# Neighbours are looked for within the territory's bounding box widened by this share of its span.
MARGIN = 0.35


class Scale:
    """Tolerance (degrees) and coordinate decimals fitted to a bounding box shown :data:`FRAME_PX` wide."""

    def __init__(self, bbox: tuple[float, float, float, float]):
        min_lon, min_lat, max_lon, max_lat = bbox
        # Web Mercator stretches latitudes by 1/cos(lat): a degree of latitude takes more pixels.
        self.stretch = stretch = 1 / max(math.cos(math.radians((min_lat + max_lat) / 2)), 0.2)
        span = max(max_lon - min_lon, (max_lat - min_lat) * stretch, 1e-4)
        self.degrees_per_px = span / FRAME_PX
        self.decimals = min(6, max(2, math.ceil(-math.log10(self.degrees_per_px / 2))))

    def tolerance_for(self, use: str) -> float:
        """Extra simplification to apply to geometries stored for ``use`` (0: none needed): 2 pixels."""
        tolerance = SIMPLIFY_PX * self.degrees_per_px
        return tolerance if tolerance > STORED_TOLERANCE[use] * 1.2 else 0.0


def cache_key(territory: Territory, *, version: int) -> str:
    return f"portal:map-geometry:v{CACHE_KEY_VERSION}:{territory.level}:{territory.code}:{territory.pk}:{version}"


def map_geometry(territory: Territory, *, version: int) -> bytes:
    """The GeoJSON of ``territory``'s indicator map (cached per data version)."""
    key = cache_key(territory, version=version)
    body = cache.get(key)
    if body is None:
        body = build_geometry(territory)
        cache.set(key, body, CACHE_TIMEOUT)
    return body


def contour_of(territory: Territory) -> str | None:
    unit_use = UNITS[territory.level][2]
    return TerritoryGeometry.objects.filter(territory=territory, use=unit_use).values_list("geojson", flat=True).first()


def build_geometry(territory: Territory) -> bytes:
    """Units, neighbours, boundaries and towns of ``territory``'s map, as GeoJSON bytes. 5 queries."""
    import shapely

    unit_level, link, use = UNITS[territory.level]
    contour = contour_of(territory)
    if contour is None:
        return b'{"type":"FeatureCollection","features":[]}'
    bbox = shapely.bounds(shapely.from_geojson(contour)).tolist()
    scale = Scale(bbox)
    scope = {"territory__level": unit_level}
    if link:
        scope[f"territory__{link}"] = territory
    units = _rows(TerritoryGeometry.objects.filter(use=use, **scope))
    if not units and unit_level == Level.IRIS:  # a commune without IRIS: drawn whole
        units = [(territory.code, territory.name, contour)]
    parts = [_features(units, "unit", scale, use, coverage=True)]
    neighbours, boundaries = _context(territory, bbox)
    parts.append(_features(neighbours, "neighbour", scale, GeometryUse.LIGHT, coverage=False))
    parts.append(_features(boundaries, "boundary", scale, GeometryUse.LIGHT, coverage=False))
    parts.append(_towns(territory, bbox, scale))
    features = ",".join(p for p in parts if p)
    return f'{{"type":"FeatureCollection","features":[{features}]}}'.encode()


def _rows(queryset) -> list[tuple[str, str, str]]:
    return list(queryset.order_by("territory__code").values_list("territory__code", "territory__name", "geojson"))


def _widened(bbox, margin: float = MARGIN) -> tuple[float, float, float, float]:
    min_lon, min_lat, max_lon, max_lat = bbox
    dx, dy = (max_lon - min_lon) * margin, (max_lat - min_lat) * margin
    return min_lon - dx, min_lat - dy, max_lon + dx, max_lat + dy


def _in_box(bbox) -> dict:
    min_lon, min_lat, max_lon, max_lat = bbox
    return {
        "centroid_lon__gte": min_lon,
        "centroid_lon__lte": max_lon,
        "centroid_lat__gte": min_lat,
        "centroid_lat__lte": max_lat,
    }


def _context(territory: Territory, bbox) -> tuple[list, list]:
    """(neighbours, boundaries): 2 queries."""
    around = {f"territory__{k}": v for k, v in _in_box(_widened(bbox)).items()}
    if territory.level in (Level.COUNTRY, Level.REGION, Level.DEPARTMENT):
        neighbours = TerritoryGeometry.objects.filter(use=GeometryUse.LIGHT, territory__level=Level.DEPARTMENT)
        if territory.level == Level.REGION:
            neighbours = neighbours.filter(**around).exclude(territory__region=territory)
            boundaries = TerritoryGeometry.objects.filter(
                use=GeometryUse.LIGHT, territory__level=Level.DEPARTMENT, territory__region=territory
            )
        elif territory.level == Level.DEPARTMENT:
            neighbours = neighbours.filter(**around).exclude(territory=territory)
            boundaries = TerritoryGeometry.objects.none()
        else:
            neighbours = TerritoryGeometry.objects.none()
            boundaries = TerritoryGeometry.objects.filter(use=GeometryUse.LIGHT, territory__level=Level.REGION)
    else:
        link = "epci" if territory.level == Level.EPCI else "pk"
        neighbours = TerritoryGeometry.objects.filter(
            use=GeometryUse.LIGHT, territory__level=Level.COMMUNE, **around
        ).exclude(**{f"territory__{link}": territory.pk})
        boundaries = TerritoryGeometry.objects.filter(
            use=GeometryUse.LIGHT, territory__level=Level.DEPARTMENT, territory_id=territory.department_id
        )
    return _rows(neighbours), _rows(boundaries)


def _towns(territory: Territory, bbox, scale: Scale) -> str:
    """The most populated communes whose centre is in view, as labelled points (1 query).

    Those of the territory first; a town is skipped when its label would overlap one already chosen.
    """
    unit_link = UNITS[territory.level][1]
    inside = f"{unit_link}_id" if unit_link else None
    rows = (
        Territory.objects.filter(level=Level.COMMUNE, **_in_box(bbox))
        .exclude(centroid_lat=None)
        .order_by("-population", "code")
        .values("code", "name", "population", "centroid_lon", "centroid_lat", *([inside] if inside else []))[
            : 8 * TOWNS[territory.level]
        ]
    )
    rows = sorted(rows, key=lambda r: (bool(inside) and r[inside] != territory.pk, -r["population"]))
    px, stretch = scale.degrees_per_px, scale.stretch
    chosen = []
    for row in rows:
        if len(chosen) == TOWNS[territory.level]:
            break
        if all(
            abs(row["centroid_lon"] - c["centroid_lon"]) / px > LABEL_PX[0]
            or abs(row["centroid_lat"] - c["centroid_lat"]) * stretch / px > LABEL_PX[1]
            for c in chosen
        ):
            chosen.append(row)
    features = [
        {
            "type": "Feature",
            "id": row["code"],
            "properties": {"layer": "town", "name": html.escape(row["name"]), "population": row["population"]},
            "geometry": {
                "type": "Point",
                "coordinates": [round(row["centroid_lon"], 4), round(row["centroid_lat"], 4)],
            },
        }
        for row in chosen
    ]
    return ",".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)


def _features(rows: list[tuple[str, str, str]], layer: str, scale: Scale, use: str, *, coverage: bool) -> str:
    """GeoJSON features of ``rows`` (code, name, stored GeoJSON) simplified and rounded for ``scale``."""
    if not rows:
        return ""
    import numpy as np
    import shapely

    geoms = shapely.from_geojson([_geometry_text(g) for _, _, g in rows])
    tolerance = scale.tolerance_for(use)
    if tolerance:
        geoms = _simplify(geoms, tolerance, coverage=coverage)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, scale.decimals))
    texts = shapely.to_geojson(geoms).tolist()
    out = []
    for (code, name, _), geometry in zip(rows, texts, strict=True):
        props = json.dumps({"layer": layer, "name": html.escape(name)}, ensure_ascii=False, separators=(",", ":"))
        out.append(f'{{"type":"Feature","id":{json.dumps(code)},"properties":{props},"geometry":{geometry}}}')
    return ",".join(out)


def _simplify(geoms, tolerance: float, *, coverage: bool):
    import shapely

    if coverage and len(geoms) > 1:
        try:
            simplified = shapely.coverage_simplify(geoms, tolerance)
        except shapely.errors.GEOSException:
            pass  # not a valid coverage (overlapping test data): each geometry on its own
        else:
            invalid = ~shapely.is_valid(simplified)  # rare (a sliver collapsing): those alone on their own
            simplified[invalid] = shapely.simplify(geoms[invalid], tolerance, preserve_topology=True)
            return simplified
    return shapely.simplify(geoms, tolerance, preserve_topology=True)


def _geometry_text(geojson: str) -> str:
    """A stored geometry, Feature or FeatureCollection as a geometry GeoJSON text (shapely reads geometries)."""
    if '"Feature' not in geojson[:40]:
        return geojson
    data = json.loads(geojson)
    if data["type"] == "Feature":
        return json.dumps(data["geometry"])
    geometries = [f["geometry"] for f in data["features"] if f.get("geometry")]
    if len(geometries) == 1:
        return json.dumps(geometries[0])
    return json.dumps({"type": "GeometryCollection", "geometries": geometries})


def scale_of(contour: dict) -> Scale:
    """The scale of a map fitted to ``contour`` (a GeoJSON Feature)."""
    import shapely

    return Scale(shapely.bounds(shapely.from_geojson(json.dumps(contour["geometry"]))).tolist())


def fit_features(features: list[dict], scale: Scale) -> list[dict]:
    """``features`` (of an extra layer) with their geometries simplified and rounded for ``scale``."""
    import numpy as np
    import shapely

    if not features:
        return features
    geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in features])
    tolerance = scale.tolerance_for(GeometryUse.DETAIL)
    if tolerance:
        geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, scale.decimals + 1))
    texts = shapely.to_geojson(geoms).tolist()
    return [{**f, "geometry": json.loads(text)} for f, text in zip(features, texts, strict=True)]
