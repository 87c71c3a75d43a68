"""A small static map as inline SVG: a contour (commune or CPTS perimeter) and a point, no JavaScript, no tiles.

For pages that only need to situate one thing (the structure page). Interactive maps are the maps area's job.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

WIDTH = 320
HEIGHT = 240
PADDING = 12
MIN_SPAN = 0.02  # degrees: about 2 km


@dataclass
class SmallMap:
    paths: list[str]
    point: tuple[float, float] | None
    width: int = WIDTH
    height: int = HEIGHT

    def __bool__(self) -> bool:
        return bool(self.paths) or self.point is not None


def _rings(geometry: dict):
    if geometry.get("type") == "Polygon":
        yield from geometry["coordinates"]
    elif geometry.get("type") == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon
    elif geometry.get("type") == "GeometryCollection":
        for part in geometry.get("geometries", []):
            yield from _rings(part)


def small_map(geojson: str | dict | None, *, lat: float | None, lon: float | None) -> SmallMap:
    """Project ``geojson`` (a Polygon/MultiPolygon, a Feature or nothing) and the point to SVG coordinates
    (equirectangular, longitudes shrunk by cos(latitude): right for a commune or a CPTS)."""
    geometry = json.loads(geojson) if isinstance(geojson, str) and geojson else geojson or {}
    if geometry.get("type") == "Feature":
        geometry = geometry.get("geometry") or {}
    rings = [ring for ring in _rings(geometry) if len(ring) >= 3]
    points = [(x, y) for ring in rings for x, y, *_ in ring]
    if lat is not None and lon is not None:
        points.append((lon, lat))
    if not points:
        return SmallMap(paths=[], point=None)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    kx = math.cos(math.radians((min(ys) + max(ys)) / 2))
    # Extents around the centre, at least MIN_SPAN degrees (a lone point sits in the middle).
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    half_x = max((max(xs) - min(xs)) * kx, MIN_SPAN) / 2
    half_y = max(max(ys) - min(ys), MIN_SPAN) / 2
    scale = min((WIDTH - 2 * PADDING) / (2 * half_x), (HEIGHT - 2 * PADDING) / (2 * half_y))

    def project(x: float, y: float) -> tuple[float, float]:
        return (round(WIDTH / 2 + (x - cx) * kx * scale, 1), round(HEIGHT / 2 - (y - cy) * scale, 1))

    paths = []
    for ring in rings:
        coords = [project(x, y) for x, y, *_ in ring]
        paths.append("M" + " L".join(f"{a},{b}" for a, b in coords) + " Z")
    point = project(lon, lat) if lat is not None and lon is not None else None
    return SmallMap(paths=paths, point=point)
