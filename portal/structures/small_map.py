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
    mid_lat = math.radians((min(ys) + max(ys)) / 2)
    kx = math.cos(mid_lat)
    span_x = max((max(xs) - min(xs)) * kx, 1e-3)
    span_y = max(max(ys) - min(ys), 1e-3)
    scale = min((WIDTH - 2 * PADDING) / span_x, (HEIGHT - 2 * PADDING) / span_y)
    off_x = (WIDTH - span_x * scale) / 2
    off_y = (HEIGHT - span_y * scale) / 2

    def project(x: float, y: float) -> tuple[float, float]:
        return (round(off_x + (x - min(xs)) * kx * scale, 1), round(off_y + (max(ys) - y) * scale, 1))

    paths = []
    for ring in rings:
        coords = [project(x, y) for x, y, *_ in ring]
        paths.append("M" + " L".join(f"{a},{b}" for a, b in coords) + " Z")
    point = project(lon, lat) if lat is not None and lon is not None else None
    return SmallMap(paths=paths, point=point)
