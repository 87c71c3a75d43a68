"""Template tags for the long, repetitive parts of the dashboard (ranking rows, trend data tables).

Rendered in Python with ``format_html`` because a ranking can have ~900 rows (the communes of a
département): the template language costs ~20 µs per variable lookup, which would make the page time
grow with the size of the territory.
"""

from django import template
from django.urls import reverse
from django.utils.html import escape, format_html_join
from django.utils.safestring import mark_safe

register = template.Library()


def _figure_cell(figure) -> str:
    css = "portal-figure" if figure.available else "portal-figure portal-figure--na"
    return f'<td class="{css}">{escape(figure.display)}</td>'


@register.simple_tag
def ranking_rows(ranking):
    """The ``<tr>`` of a ranking: rank, name (linked when the user may open it) and code, population, value."""
    # One reverse() for the pattern, then substitution: reverse() per row costs ~30 µs.
    placeholder = reverse("portal:territory", args=["LEVEL", "CODE"])
    rows = []
    for row in ranking.rows:
        name, code = escape(row.name), escape(row.code)
        if row.is_visible:
            url = escape(placeholder.replace("LEVEL", row.level, 1).replace("CODE", row.code, 1))
            name = f'<a href="{url}">{name}</a>'
        population = f"{row.population:,}".replace(",", "\xa0")  # French thousands separator, as intcomma
        rows.append(
            f'<tr><td>{row.rank or "—"}</td><td>{name} <span class="fr-text--xs">{code}</span></td>'
            f"<td>{population}</td>{_figure_cell(row.figure)}</tr>"
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - every text is escaped above


@register.simple_tag
def trend_rows(trend):
    """The ``<tr>`` of a trend's data table: one line per territory, one cell per year."""
    return format_html_join(
        "",
        '<tr><th scope="row">{}</th>{}</tr>',
        (
            (line.label, format_html_join("", "<td>{}</td>", ((p.display,) for p in line.points)))
            for line in trend.lines
        ),
    )
