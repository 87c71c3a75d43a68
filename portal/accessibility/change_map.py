"""A small inline SVG map of a scenario's change: one dot per commune affected, coloured by the change."""

from __future__ import annotations

import math
from html import escape

WIDTH, HEIGHT, MARGIN = 640, 420, 20
GAIN, LOSS = "#18753c", "#ce0500"


def change_map_svg(rows) -> str:
    """SVG (a string to mark safe in the template) of the communes of ``rows`` (``CommuneRow``); '' if none."""
    points = [r for r in rows if r.latitude is not None and r.longitude is not None and math.isfinite(r.latitude)]
    if not points:
        return ""
    mean_lat = math.radians(sum(r.latitude for r in points) / len(points))
    xs = [r.longitude * math.cos(mean_lat) for r in points]
    ys = [r.latitude for r in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-3)
    scale = min(WIDTH, HEIGHT) - 2 * MARGIN
    largest = max(abs(r.change) for r in points) or 1.0
    dots = []
    for r, x, y in zip(points, xs, ys, strict=True):
        cx = MARGIN + (x - min(xs)) / span * scale
        cy = HEIGHT - MARGIN - (y - min(ys)) / span * scale
        radius = 3 + 9 * abs(r.change) / largest
        colour = GAIN if r.change > 0 else LOSS
        change = f"{r.change:+.2f}".replace(".", ",").replace("-", "\u2212")
        dots.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}" fill="{colour}" fill-opacity="0.7">'
            f"<title>{escape(r.name)} : {change}</title></circle>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="Carte des communes dont l\'accessibilité change ({len(points)})">' + "".join(dots) + "</svg>"
    )
