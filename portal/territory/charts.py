"""Small accessible SVG charts drawn server-side (no JavaScript, no plotting library at request time).

Each chart is an inline ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` giving every value; pages
also show the same figures in a data table. Lines differ by colour *and* dash pattern and carry point
markers, so they can be told apart without colour. Only SVG presentation attributes are used (no
``style`` attribute), which the portal's Content-Security-Policy allows.
"""

from __future__ import annotations

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 360, 200
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28
# DSFR colours: blue France, then illustrative colours (contrast ≥ 3:1 on white), each with its dash.
STYLES = [
    ("#000091", ""),
    ("#b34000", "6 3"),
    ("#18753c", "2 3"),
    ("#3a3a3a", "8 3 2 3"),
]


def style(index: int) -> tuple[str, str]:
    """Colour and dash pattern of the ``index``-th line (legends use the same)."""
    return STYLES[index % len(STYLES)]


def _fmt(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\xa0").replace(".", ",")


def line_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    years: list[int],
    lines: list[tuple[str, list[float | None]]],
    decimals: int = 1,
) -> SafeString:
    """An SVG line chart of ``lines`` (label, one value or None per year). Empty string when nothing to draw."""
    numbers = [v for _label, values in lines for v in values if v is not None]
    if not numbers or len(years) < 2:
        return SafeString("")
    low, high = min(numbers), max(numbers)
    if low == high:
        low, high = low - (abs(low) * 0.1 or 1), high + (abs(high) * 0.1 or 1)
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad
    if min(numbers) >= 0 and low < 0:
        low = 0.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + plot_w * i / (len(years) - 1)

    def y(v: float) -> float:
        return TOP + plot_h * (high - v) / (high - low)

    # Numbers and constants are written as they are; the only text (title, description, labels) is escaped.
    parts = [
        f'<svg class="portal-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d" xmlns="http://www.w3.org/2000/svg" '
        f'focusable="false"><title id="{escape(chart_id)}-t">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>'
    ]
    # Axes: three horizontal grid lines with their values, one tick label per year.
    for k in range(3):
        v = low + (high - low) * k / 2
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#dddddd" '
            f'stroke-width="1"/><text x="{LEFT - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#3a3a3a">{escape(_fmt(v, decimals))}</text>'
        )
    for i, year in enumerate(years):
        parts.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - 8}" font-size="11" text-anchor="middle" fill="#3a3a3a">{int(year)}</text>'
        )
    for index, (_label, values) in enumerate(lines):
        colour, dash = style(index)
        # A gap (None) breaks the line: one polyline per run of consecutive values.
        segments, current = [], []
        for i, v in enumerate(values):
            if v is None:
                if current:
                    segments.append(current)
                current = []
            else:
                current.append(f"{x(i):.1f},{y(v):.1f}")
        if current:
            segments.append(current)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        for segment in segments:
            if len(segment) > 1:
                parts.append(
                    f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>'
                )
        parts += [
            f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"/>'
            for i, v in enumerate(values)
            if v is not None
        ]
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers, constants and escaped text only


def legend(labels: list[str]) -> SafeString:
    """A text legend matching the chart's line styles (small inline SVG swatch + label)."""
    items = []
    for index, label in enumerate(labels):
        colour, dash = style(index)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        swatch = mark_safe(  # noqa: S308 - constants only
            f'<svg width="28" height="10" aria-hidden="true" focusable="false"><line x1="0" x2="28" y1="5" y2="5" '
            f'stroke="{colour}" stroke-width="2"{dash_attr}/></svg>'
        )
        items.append(format_html('<li class="portal-chart-legend__item">{} {}</li>', swatch, label))
    return SafeString('<ul class="portal-chart-legend">' + "".join(items) + "</ul>") if items else SafeString("")
