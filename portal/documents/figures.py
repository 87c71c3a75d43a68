"""Server-side SVG map for the fiche (WeasyPrint runs no JavaScript); trend charts come from ``portal.territory.charts``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

ZONE_COLOURS = {"zip": "#e1000f", "zac": "#fc5d00", "none": "#e5e5e5", "": "#ffffff"}
ZONE_LABELS = {"zip": "ZIP", "zac": "ZAC", "none": "hors zone", "": "zonage inconnu"}

MAP_SIZE = 640  # px, the longer side of the drawing
MAP_MARGIN = 6


@dataclass
class Shape:
    geojson: str
    zone: str = ""


def static_map(*, outline: str | None, shapes: list[Shape], colour_by_zone: bool) -> str | None:
    """The subject's contour over its subdivisions (filled by ARS zoning when asked). None without geometry.

    Written as a compact SVG by hand (one ``<path>`` per shape, equirectangular projection scaled by the
    cosine of the mean latitude, coordinates rounded to the drawing's resolution): a matplotlib SVG of the
    same map is several times larger and slower for WeasyPrint to lay out and draw.
    """
    from shapely.geometry import shape

    parts = []
    for s in shapes:
        try:
            parts.append((shape(json.loads(s.geojson)), s.zone))
        except (ValueError, TypeError, KeyError, AttributeError):
            continue  # one unreadable contour must not break the fiche
    contour = shape(json.loads(outline)) if outline else None
    geoms = [g for g, _ in parts] + ([contour] if contour is not None else [])
    if not geoms:
        return None
    west = min(g.bounds[0] for g in geoms)
    south = min(g.bounds[1] for g in geoms)
    east = max(g.bounds[2] for g in geoms)
    north = max(g.bounds[3] for g in geoms)
    kx = max(math.cos(math.radians((south + north) / 2)), 0.2)
    span = max((east - west) * kx, north - south) or 1.0
    scale = (MAP_SIZE - 2 * MAP_MARGIN) / span
    width = (east - west) * kx * scale + 2 * MAP_MARGIN
    height = (north - south) * scale + 2 * MAP_MARGIN

    def path(geom) -> str:
        out = []
        for polygon in getattr(geom, "geoms", [geom]):
            if polygon.geom_type != "Polygon":
                continue
            for ring in (polygon.exterior, *polygon.interiors):
                points = [
                    f"{(x - west) * kx * scale + MAP_MARGIN:.1f} {(north - y) * scale + MAP_MARGIN:.1f}"
                    for x, y in ring.coords
                ]
                out.append("M" + "L".join(points) + "Z")
        return "".join(out)

    body = []
    for geom, zone in parts:
        fill = ZONE_COLOURS.get(zone, "#ffffff") if colour_by_zone else "#f5f5fe"
        body.append(f'<path d="{path(geom)}" fill="{fill}" stroke="#666666" stroke-width="0.6"/>')
    if contour is not None:
        body.append(f'<path d="{path(contour)}" fill="none" stroke="#000091" stroke-width="2.2"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" fill-rule="evenodd">' + "".join(body) + "</svg>"
    )


def zone_legend(zones: set[str]) -> list[dict]:
    """Legend entries (colour, label) for the zones present on a map, in a fixed order."""
    return [{"colour": ZONE_COLOURS[z], "label": ZONE_LABELS[z]} for z in ("zip", "zac", "none", "") if z in zones]
