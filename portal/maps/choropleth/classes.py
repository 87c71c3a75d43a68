"""Classes and legend of an indicator map: breaks (quantiles or Fisher-Jenks, zero apart), colours, labels."""

from __future__ import annotations

import bisect
import html
from dataclasses import dataclass
from datetime import date

from portal.maps.choropleth.spec import MASKED, MISSING, RESTRICTED, SCHEMES
from portal.territory.dashboard import format_number
from territories.enums import Direction, Zone
from territories.models import Indicator

CLASS_COUNT = 5
# Fisher-Jenks is O(k·n²) (jenkspy, in C): beyond this many values it runs on as many evenly spaced quantiles
# of the values (breaks within a few % of the exact ones, a few ms instead of 0.3 s for 5,000 communes).
JENKS_SAMPLE = 1000

# ColorBrewer sequential ramps (light → dark), colour-blind safe.
REDS = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
BLUES = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
STATUS_COLORS = {MASKED: "#7b7b7b", MISSING: "#e5e5e5", RESTRICTED: "#b5b5b5"}
STATUS_LABELS = {MASKED: "secret statistique", MISSING: "pas de donnée", RESTRICTED: "non communiqué"}
ZONE_STYLES = {
    Zone.ZIP: {"color": "#3c1a5b", "weight": 1.5, "fillColor": "#6e2c9e", "fillOpacity": 0.6},
    Zone.ZAC: {"color": "#6e2c9e", "weight": 1, "fillColor": "#b58bd6", "fillOpacity": 0.5},
    Zone.NONE: {"color": "#6e2c9e", "weight": 0.5, "fillOpacity": 0},
}
# Page styles (a <style> element: allowed by the CSP's style-src 'unsafe-inline'): wrap long tooltips.
ZONE_LABELS = {Zone.ZIP: "ZIP", Zone.ZAC: "ZAC", Zone.NONE: "hors zone"}


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
    if zero_apart(values, k=k):
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


def zero_apart(values: list[float], *, k: int = CLASS_COUNT) -> bool:
    """Whether the classes of ``values`` put zero apart: 0 is the minimum, and there are values above it."""
    return bool(values) and min(values) == 0 and max(values) > 0 and k > 2


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


def scheme_label(scheme: str, values: list[float]) -> str:
    """The classification method as the legend says it."""
    if zero_apart(values):
        return f"zéro à part, puis {SCHEMES[scheme]} des valeurs non nulles"
    return SCHEMES[scheme]


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
