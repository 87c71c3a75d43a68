"""The territorial dashboard: key figures with comparisons, 5-year trends, ranking of subdivisions, peers.

``build_dashboard`` runs a CONSTANT number of SQL queries whatever the size of the territory (a
100-inhabitant commune, the largest EPCI, a région):

1. the indicator catalogue;
2. every stored value (all years) of the territory, its département, its région and France, in one query
   (key figures, comparisons and trends all come from it);
3. the ranking of the subdivisions (communes of an EPCI or of a département, départements of a région,
   régions of France) on one indicator, with whether the user may see each one, in one query;
4. the peers: the 5 territories of the same level nearest in (log population, log density), precomputed
   by ``territories.services.peers.compute_peers``, one indexed query;
5. the peers' values for a few public indicators, one query;
plus whatever the signals provider needs (``territories.services.signals``, constant too).

Access rule: the page has already checked that the territory is visible to the user, so all its values
are shown. Comparisons (département, région, France) and peers only show public indicators
(``Indicator.is_public``); in the ranking, values of a non-public indicator are shown only for the
subdivisions the user may see (``Territory.objects.visible_to``). Masked values (statistical secret)
carry no number: only « secret statistique ». Numerators and denominators are never loaded here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.safestring import SafeString

from portal.territory import charts
from territories.enums import Aggregation, Level, Theme
from territories.models import Indicator, IndicatorValue, Territory, TerritoryPeer

FRANCE_CODE = "FR"
TREND_YEARS = 5
PEER_COUNT = 5
DEFAULT_RANKING = "gp_density"
# Public indicators shown next to each peer (comparable whatever the size).
PEER_INDICATORS = ("gp_density", "apl_gp", "gp_60_plus_share", "pop_75_plus_share", "zip_population_share")

SIGNALS_TEMPLATE = "alerts/_territory_panel.html"
MASKED_LABEL = "secret statistique"
RESTRICTED_LABEL = "non communiqué"
MISSING_LABEL = "non disponible"

# Level of the subdivisions ranked on a territory's dashboard, and the field linking them to it.
RANKED_CHILDREN = {
    Level.COUNTRY: (Level.REGION, None, "Régions"),
    Level.REGION: (Level.DEPARTMENT, "region", "Départements"),
    Level.DEPARTMENT: (Level.COMMUNE, "department", "Communes"),
    Level.EPCI: (Level.COMMUNE, "epci", "Communes"),
}


def format_number(value: float, decimals: int) -> str:
    """French formatting: no-break space between thousands, decimal comma (« 12 345,6 »)."""
    text = f"{value:,.{decimals}f}"
    if text.startswith("-") and float(text.replace(",", "")) == 0:
        text = text[1:]  # no « -0,0 »
    return text.replace(",", "\xa0").replace(".", ",")


@dataclass(frozen=True)
class Figure:
    """One value as it may be shown: a number, « secret statistique », « non communiqué » or missing."""

    value: float | None = None
    year: int | None = None
    masked: bool = False
    is_demo: bool = False
    restricted: bool = False  # a non-public indicator of a territory the user may not see
    decimals: int = 1

    @property
    def available(self) -> bool:
        return self.value is not None and not self.masked and not self.restricted

    @property
    def display(self) -> str:
        if self.restricted:
            return RESTRICTED_LABEL
        if self.masked:
            return MASKED_LABEL
        if self.value is None:
            return MISSING_LABEL
        return format_number(self.value, self.decimals)


MISSING = Figure()


@dataclass
class Comparator:
    label: str  # « Département », « Région », « France »
    name: str
    territory_id: int | None


@dataclass
class KeyFigure:
    indicator: Indicator
    year: int
    figure: Figure
    comparisons: list[Figure]  # aligned with Dashboard.comparators


@dataclass
class ThemeBlock:
    theme: str
    label: str
    rows: list[KeyFigure]


@dataclass
class TrendLine:
    label: str
    points: list[Figure]  # aligned with Trend.years


@dataclass
class Trend:
    indicator: Indicator
    years: list[int]
    lines: list[TrendLine]
    svg: SafeString = SafeString("")
    legend: SafeString = SafeString("")

    @property
    def change(self) -> Figure:
        """Change of the territory's value over the period, in the indicator's unit."""
        points = [p for p in self.lines[0].points if p.available]
        if len(points) < 2:
            return MISSING
        return Figure(value=points[-1].value - points[0].value, decimals=self.indicator.decimals)


@dataclass
class RankingRow:
    rank: int | None
    name: str
    code: str
    level: str
    population: int
    is_visible: bool
    figure: Figure


@dataclass
class Ranking:
    title: str
    indicator: Indicator | None
    year: int | None
    choices: list[Indicator]
    rows: list[RankingRow] = field(default_factory=list)


@dataclass
class Peer:
    territory: Territory  # annotated with ``is_visible`` and ``density``
    figures: list[Figure]  # aligned with Dashboard.peer_indicators


@dataclass
class Dashboard:
    territory: Territory
    year: int | None  # the requested year (None: latest available per indicator)
    years: list[int]  # years with values for the territory
    comparators: list[Comparator]
    themes: list[ThemeBlock]
    trends: list[Trend]
    ranking: Ranking | None
    peer_indicators: list[Indicator]
    peers: list[Peer]
    signals: list | None  # None: signals are not available (provider not installed)
    has_demo: bool

    @property
    def key_figures(self) -> list[KeyFigure]:
        return [row for block in self.themes for row in block.rows]


def _comparators(territory: Territory) -> list[Comparator]:
    """Département, région and France for a territory (an EPCI's département is that of its seat)."""
    out = []
    if territory.level in (Level.COMMUNE, Level.EPCI, Level.IRIS):
        if territory.department_id:
            out.append(Comparator("Département", territory.department.name, territory.department_id))
    if territory.level in (Level.COMMUNE, Level.EPCI, Level.IRIS, Level.DEPARTMENT):
        if territory.region_id:
            out.append(Comparator("Région", territory.region.name, territory.region_id))
    if territory.level != Level.COUNTRY:
        out.append(Comparator("France", "France", None))  # resolved from the values query
    return out


def _load_values(territory: Territory, comparators: list[Comparator]) -> dict[tuple[str, int, int], Figure]:
    """All stored values of the territory and its comparators, keyed by (owner, indicator id, year).

    ``owner`` is "self" or the comparator label. One query; France (level ``country``, code FR) is found
    in the same query, so that it needs no lookup of its own.
    """
    ids = {territory.pk: "self"}
    ids.update({c.territory_id: c.label for c in comparators if c.territory_id})
    owners = Q(pk__in=list(ids))
    if any(c.territory_id is None for c in comparators):
        owners |= Q(level=Level.COUNTRY, code=FRANCE_CODE)
    # A semi-join on a few territory ids: the index on the values' territory is used (an OR across the
    # join would scan every value).
    rows = IndicatorValue.objects.filter(territory__in=Territory.objects.filter(owners).values("pk")).values_list(
        "territory_id", "territory__level", "indicator_id", "year", "value", "is_masked", "is_demo"
    )
    out = {}
    for territory_id, level, indicator_id, year, value, masked, demo in rows:
        owner = ids.get(territory_id) or ("France" if level == Level.COUNTRY else None)
        if owner is not None:
            out[(owner, indicator_id, year)] = Figure(
                value=None if masked else value, year=year, masked=masked, is_demo=demo
            )
    return out


def _with_decimals(figure: Figure, indicator: Indicator, *, restricted: bool = False) -> Figure:
    if restricted:
        return Figure(year=figure.year, restricted=True, is_demo=figure.is_demo)
    return Figure(
        value=figure.value,
        year=figure.year,
        masked=figure.masked,
        is_demo=figure.is_demo,
        decimals=indicator.decimals,
    )


def build_dashboard(territory: Territory, *, user, year: int | None = None, ranking: str | None = None) -> Dashboard:
    """Everything the dashboard shows for ``territory`` (already checked visible to ``user``).

    ``territory`` must come with its parents loaded (``selectors.get_visible_territory`` does it).
    ``year``: the year of the key figures (each indicator's latest year not after it; default: latest).
    ``ranking``: the indicator code the subdivisions are ranked on (default: GP density).
    """
    indicators = list(Indicator.objects.all())
    comparators = _comparators(territory)
    values = _load_values(territory, comparators)

    own_years: dict[int, list[int]] = {}
    for owner, indicator_id, value_year in values:
        if owner == "self" and (year is None or value_year <= year):
            own_years.setdefault(indicator_id, []).append(value_year)
    for years_list in own_years.values():
        years_list.sort()
    all_years = sorted({y for (owner, _i, y) in values if owner == "self"})

    themes: dict[str, ThemeBlock] = {
        value: ThemeBlock(theme=value, label=label[0].upper() + label[1:], rows=[]) for value, label in Theme.choices
    }
    trends: list[Trend] = []
    key_years: dict[int, int] = {}
    for indicator in indicators:
        years_list = own_years.get(indicator.pk)
        if not years_list:
            continue
        latest = years_list[-1]
        key_years[indicator.pk] = latest
        restricted = not indicator.is_public
        row = KeyFigure(
            indicator=indicator,
            year=latest,
            figure=_with_decimals(values[("self", indicator.pk, latest)], indicator),
            comparisons=[
                _with_decimals(values.get((c.label, indicator.pk, latest), MISSING), indicator, restricted=restricted)
                for c in comparators
            ],
        )
        themes.setdefault(indicator.theme, ThemeBlock(indicator.theme, indicator.theme, [])).rows.append(row)
        trend_years = years_list[-TREND_YEARS:]
        if len(trend_years) >= 2:
            trends.append(_trend(territory, indicator, trend_years, values, comparators))

    dashboard = Dashboard(
        territory=territory,
        year=year,
        years=all_years,
        comparators=comparators,
        themes=[block for block in themes.values() if block.rows],
        trends=trends,
        ranking=_ranking(territory, user=user, indicators=indicators, key_years=key_years, code=ranking),
        peer_indicators=[],
        peers=[],
        signals=_signals(territory, user=user),
        has_demo=any(f.is_demo for f in values.values()),
    )
    by_code = {i.code: i for i in indicators if i.is_public and i.pk in key_years}
    dashboard.peer_indicators = [by_code[code] for code in PEER_INDICATORS if code in by_code]
    dashboard.peers = _peers(territory, user=user, indicators=dashboard.peer_indicators, key_years=key_years)
    return dashboard


def _trend(territory, indicator, years, values, comparators) -> Trend:
    lines = [
        TrendLine(
            label=territory.name,
            points=[_with_decimals(values.get(("self", indicator.pk, y), MISSING), indicator) for y in years],
        )
    ]
    # Comparators only where they are comparable (ratios, not headcounts) and public.
    if indicator.aggregation == Aggregation.RATIO and indicator.is_public:
        for c in comparators:
            points = [_with_decimals(values.get((c.label, indicator.pk, y), MISSING), indicator) for y in years]
            if any(p.available for p in points):
                lines.append(TrendLine(label=c.name if c.label == "France" else f"{c.label} : {c.name}", points=points))
    trend = Trend(indicator=indicator, years=years, lines=lines)
    trend.svg = charts.line_chart(
        chart_id=f"tendance-{indicator.code}",
        title=f"{indicator.label} ({indicator.unit}), {years[0]}–{years[-1]}",
        desc=_trend_description(trend),
        years=years,
        lines=[(line.label, [p.value if p.available else None for p in line.points]) for line in lines],
        decimals=indicator.decimals,
    )
    trend.legend = charts.legend([line.label for line in lines])
    return trend


def _trend_description(trend: Trend) -> str:
    parts = []
    for line in trend.lines:
        points = [f"{y} : {p.display}" for y, p in zip(trend.years, line.points, strict=True)]
        parts.append(f"{line.label} — " + ", ".join(points))
    return ". ".join(parts) + "."


def _ranking(territory, *, user, indicators, key_years, code) -> Ranking | None:
    """Subdivisions ranked on one indicator (one query), highest value first; masked and restricted last."""
    spec = RANKED_CHILDREN.get(territory.level)
    if spec is None:
        return None
    child_level, link, title = spec
    choices = [i for i in indicators if i.pk in key_years]
    by_code = {i.code: i for i in choices}
    indicator = by_code.get(code or "") or by_code.get(DEFAULT_RANKING) or (choices[0] if choices else None)
    ranking = Ranking(title=title, indicator=indicator, year=None, choices=choices)
    if indicator is None:
        return ranking
    ranking.year = key_years[indicator.pk]
    qs = IndicatorValue.objects.filter(indicator=indicator, year=ranking.year, territory__level=child_level)
    if link:
        qs = qs.filter(**{f"territory__{link}": territory})
    check_visibility = not getattr(user, "is_portal_admin", False)
    if check_visibility:
        qs = qs.annotate(is_visible=Exists(Territory.objects.visible_to(user).filter(pk=OuterRef("territory_id"))))
    fields = ["territory__name", "territory__code", "territory__level", "territory__population"]
    fields += ["value", "is_masked", "is_demo"] + (["is_visible"] if check_visibility else [])
    items = []
    for row in qs.values(*fields):
        is_visible = row.get("is_visible", True)
        restricted = not indicator.is_public and not is_visible
        figure = Figure(
            value=None if row["is_masked"] or restricted else row["value"],
            year=ranking.year,
            masked=row["is_masked"] and not restricted,
            restricted=restricted,
            is_demo=row["is_demo"],
            decimals=indicator.decimals,
        )
        items.append(ranking_row(row, figure, is_visible=is_visible))
    ranking.rows = ranked(items)
    return ranking


def ranking_row(row: dict, figure: Figure, *, is_visible: bool = True) -> RankingRow:
    """A ranking row from a ``values()`` dict with the ``territory__name/code/level/population`` keys."""
    return RankingRow(
        rank=None,
        name=row["territory__name"],
        code=row["territory__code"],
        level=row["territory__level"],
        population=row["territory__population"],
        is_visible=is_visible,
        figure=figure,
    )


def ranked(items: list[RankingRow]) -> list[RankingRow]:
    """Available values highest first and numbered; the others (masked, restricted, missing) last by name, unranked,
    so that a hidden value never leaks through its position."""
    shown = sorted((r for r in items if r.figure.available), key=lambda r: (-r.figure.value, r.name, r.code))
    hidden = sorted((r for r in items if not r.figure.available), key=lambda r: (r.name, r.code))
    for rank, item in enumerate(shown, start=1):
        item.rank = rank
    return shown + hidden


def _peers(territory, *, user, indicators, key_years) -> list[Peer]:
    """The precomputed nearest territories of the same level (``TerritoryPeer``); public indicators only.

    One indexed query for the peers (with whether the user may open their page), one for their values.
    """
    links = (
        TerritoryPeer.objects.filter(territory=territory)
        .select_related("peer")
        .only("rank", "peer__level", "peer__code", "peer__name", "peer__population", "peer__area_km2")
        .order_by("rank")
    )
    if not getattr(user, "is_portal_admin", False):
        links = links.annotate(is_visible=Exists(Territory.objects.visible_to(user).filter(pk=OuterRef("peer_id"))))
    peers = []
    for link in links[:PEER_COUNT]:
        peer = link.peer
        peer.is_visible = getattr(link, "is_visible", True)
        peer.density = peer.population / peer.area_km2 if peer.area_km2 else None
        peers.append(peer)
    if not peers:
        return []
    wanted = {(i.pk, key_years[i.pk]) for i in indicators if i.pk in key_years}
    figures = {}
    if wanted:
        rows = IndicatorValue.objects.filter(
            territory__in=[p.pk for p in peers],
            indicator__in=[i for i, _y in wanted],
            year__in={y for _i, y in wanted},
        ).values_list("territory_id", "indicator_id", "year", "value", "is_masked", "is_demo")
        for territory_id, indicator_id, value_year, value, masked, demo in rows:
            if (indicator_id, value_year) in wanted:
                figures[(territory_id, indicator_id)] = Figure(
                    value=None if masked else value, year=value_year, masked=masked, is_demo=demo
                )
    return [
        Peer(
            territory=peer,
            figures=[_with_decimals(figures.get((peer.pk, i.pk), MISSING), i) for i in indicators],
        )
        for peer in peers
    ]


def _signals(territory, *, user):
    """Signals of the territory (``signals_for``, alertes first), or None while the signals module is absent."""
    signals_for = _signals_provider()
    return None if signals_for is None else signals_for(territory, user=user)


@functools.cache
def _signals_provider():
    """``signals_for`` and its template when both are installed, else None (then no signals section)."""
    try:
        from territories.services.signals import signals_for
    except ImportError:
        try:
            from territories.signal_selectors import signals_for
        except ImportError:
            return None
    try:
        get_template(SIGNALS_TEMPLATE)
    except TemplateDoesNotExist:
        return None
    return signals_for
