"""Context of the fiche territoire (PDF): one function per section, each returning a :class:`Section`.

The fiche follows DOMAIN.md §9 and the CPAM booklet (seed 004, « fiche territoire »): identity, signaux
d'alerte first, population and needs, supply by profession compared with the département, the région and
France with 5-year trends, infra-territorial differences, access, a static map, coordinated structures,
aids, prevention, CPAM contacts, sources and caveats. The structures, aids and prevention sections take their
content from those apps' selectors (``fiche_structures``, ``aids_summary``, ``fiche_prevention``); a new
section is a function added to :data:`SECTIONS` with its template under ``templates/documents/fiche/sections/``.

Figures of a territory are those of its dashboard page: :func:`portal.territory.dashboard.build_dashboard` (key
figures, comparisons, trends and their SVG charts, ranking of subdivisions, peers, signals) for the user
who asked, so the PDF and the page can never disagree. An ad-hoc set of communes (a CPTS territory) has no
page: :func:`adhoc_dashboard` builds the same structure from the communes' stored counts by the catalogue's
rules (counts summed, ratios as Σ numerators / Σ denominators), for indicators without statistical secret
only, since an aggregate over a free set of communes could reveal a masked commune value by subtraction.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from accessibility import selectors as accessibility_selectors
from aids.models import Aid
from aids.services.eligibility import aids_summary
from portal.accounts.enums import Role
from portal.territory import charts
from portal.territory.dashboard import (
    MISSING,
    Comparator,
    Dashboard,
    Figure,
    KeyFigure,
    Ranking,
    ThemeBlock,
    Trend,
    TrendLine,
    build_dashboard,
    ranked,
    ranking_row,
)
from prevention.selectors import fiche_prevention
from structures.selectors import fiche_structures
from territories.enums import Aggregation, GeometryUse, Level, Profession, SecretBasis, Theme, Zone
from territories.models import DataSource, Indicator, IndicatorValue, Territory, TerritoryGeometry, Zoning

from . import figures

FRANCE_CODE = "FR"
TREND_YEARS = 5
IRIS_ROWS_LIMIT = 200
RANKING_ROWS_LIMIT = 150
RANKING_INDICATOR = "gp_density"
# Trend charts printed, by section (the dashboard computes one per series indicator).
SUPPLY_TRENDS = ["gp_density", "nurse_density", "physio_density", "dentist_density", "midwife_density"]
SUPPLY_TRENDS += ["gp_60_plus_share"]
ACCESS_TRENDS = ["patients_without_gp_share", "apl_gp", "zip_population_share"]


class FicheError(Exception):
    """The document cannot be made (no subject, unknown communes): a French message for the user."""


@dataclass
class Section:
    anchor: str
    title: str
    template: str
    context: dict = field(default_factory=dict)
    new_page: bool = False  # start the section on a new page


@dataclass
class Subject:
    """What the fiche is about: a territory, or an ad-hoc set of communes (``territory`` None)."""

    territory: Territory | None
    communes: list[Territory]
    title: str
    user: object = None  # who asked: signals and rankings depend on what they may see

    @property
    def is_adhoc(self) -> bool:
        return self.territory is None

    @property
    def level(self) -> str:
        return self.territory.level if self.territory else "adhoc"

    @property
    def population(self) -> int:
        if self.territory:
            return self.territory.population
        return sum(c.population for c in self.communes)

    def commune_queryset(self):
        if self.territory is None:
            return Territory.objects.communes().filter(pk__in=[c.pk for c in self.communes])
        return Territory.objects.communes_of(self.territory)


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


# --- subject ------------------------------------------------------------------------------------------------


def load_subject(document) -> Subject:
    """The subject of a document row; ``FicheError`` when it has neither territory nor communes."""
    if document.territory_id:
        territory = Territory.objects.select_related("region", "department", "epci", "commune").get(
            pk=document.territory_id
        )
        return Subject(territory=territory, communes=[], title=territory.name, user=document.requested_by)
    if document.communes:
        communes = list(
            Territory.objects.communes()
            .filter(code__in=document.communes)
            .select_related("department", "region", "epci")
            .order_by("code")
        )
        missing = sorted(set(document.communes) - {c.code for c in communes})
        if missing:
            raise FicheError(f"Communes introuvables : {', '.join(missing[:10])}.")
        title = document.title or f"Ensemble de {len(communes)} commune{'s' if len(communes) > 1 else ''}"
        return Subject(territory=None, communes=communes, title=title, user=document.requested_by)
    raise FicheError("Ce document n'a ni territoire ni communes : rien à décrire.")


# --- ad-hoc sets of communes ---------------------------------------------------------------------------------


def _adhoc_comparators(subject: Subject) -> list[tuple[Comparator, Territory]]:
    """The département holding most of the set's population, its région, and France."""
    weight: dict[int, int] = defaultdict(int)
    by_pk = {}
    for c in subject.communes:
        if c.department_id:
            weight[c.department_id] += c.population or 1
            by_pk[c.department_id] = c.department
    out = []
    if weight:
        department = by_pk[max(weight, key=lambda pk: (weight[pk], -pk))]
        out.append((Comparator("Département", department.name, department.pk), department))
        if department.region_id:
            out.append((Comparator("Région", department.region.name, department.region_id), department.region))
    france = Territory.objects.filter(level=Level.COUNTRY, code=FRANCE_CODE).first()
    if france is not None:
        out.append((Comparator("France", "France", france.pk), france))
    return out


def adhoc_dashboard(subject: Subject) -> Dashboard:
    """The dashboard structure for a free set of communes (see the module docstring for the rules)."""
    indicators = list(Indicator.objects.all())
    by_id = {i.pk: i for i in indicators}
    pairs = _adhoc_comparators(subject)
    comparators = [c for c, _t in pairs]
    owners = {t.pk: c.label for c, t in pairs}
    values: dict[tuple[str, int, int], Figure] = {}
    for territory_id, indicator_id, year, value, masked, demo in IndicatorValue.objects.filter(
        territory_id__in=list(owners)
    ).values_list("territory_id", "indicator_id", "year", "value", "is_masked", "is_demo"):
        values[(owners[territory_id], indicator_id, year)] = Figure(
            value=None if masked else value,
            year=year,
            masked=masked,
            is_demo=demo,
            decimals=by_id[indicator_id].decimals,
        )
    sums: dict[tuple[int, int], list] = defaultdict(lambda: [0.0, 0.0, False])
    for indicator_id, year, numerator, denominator, demo in IndicatorValue.objects.filter(
        territory_id__in=[c.pk for c in subject.communes]
    ).values_list("indicator_id", "year", "numerator", "denominator", "is_demo"):
        acc = sums[(indicator_id, year)]
        acc[0] += numerator or 0.0
        acc[1] += denominator or 0.0
        acc[2] = acc[2] or demo
    for (indicator_id, year), (numerator, denominator, demo) in sums.items():
        indicator = by_id[indicator_id]
        if indicator.secret_basis != SecretBasis.NONE:
            figure = Figure(year=year, masked=True, is_demo=demo)
        elif indicator.aggregation == Aggregation.SUM:
            figure = Figure(value=numerator * indicator.scale, year=year, is_demo=demo, decimals=indicator.decimals)
        elif denominator > 0:
            figure = Figure(
                value=numerator / denominator * indicator.scale, year=year, is_demo=demo, decimals=indicator.decimals
            )
        else:
            continue
        values[("self", indicator_id, year)] = figure

    themes = {v: ThemeBlock(theme=v, label=label[0].upper() + label[1:], rows=[]) for v, label in Theme.choices}
    trends = []
    for indicator in indicators:
        years = sorted(y for (owner, i, y) in values if owner == "self" and i == indicator.pk)
        if not years:
            continue
        latest = years[-1]
        themes[indicator.theme].rows.append(
            KeyFigure(
                indicator=indicator,
                year=latest,
                figure=values[("self", indicator.pk, latest)],
                comparisons=[values.get((c.label, indicator.pk, latest), MISSING) for c in comparators],
            )
        )
        trend_years = years[-TREND_YEARS:]
        if len(trend_years) >= 2 and indicator.aggregation == Aggregation.RATIO:
            lines = [TrendLine(subject.title, [values.get(("self", indicator.pk, y), MISSING) for y in trend_years])]
            lines += [
                TrendLine(
                    c.name if c.label == "France" else f"{c.label} : {c.name}",
                    [values.get((c.label, indicator.pk, y), MISSING) for y in trend_years],
                )
                for c in comparators
            ]
            trend = Trend(indicator=indicator, years=trend_years, lines=lines)
            trend.svg = charts.line_chart(
                chart_id=f"tendance-{indicator.code}",
                title=f"{indicator.label} ({indicator.unit}), {trend_years[0]}–{trend_years[-1]}",
                desc=indicator.label,
                years=trend_years,
                lines=[(line.label, [p.value if p.available else None for p in line.points]) for line in lines],
                decimals=indicator.decimals,
            )
            trend.legend = charts.legend([line.label for line in lines])
            trends.append(trend)
    dashboard = Dashboard(
        territory=None,
        year=None,
        years=sorted({y for (owner, _i, y) in values if owner == "self"}),
        comparators=comparators,
        themes=[block for block in themes.values() if block.rows],
        trends=trends,
        ranking=_adhoc_ranking(subject, indicators),
        peer_indicators=[],
        peers=[],
        signals=None,
        has_demo=any(f.is_demo for f in values.values()),
    )
    return dashboard


def _adhoc_ranking(subject: Subject, indicators: list[Indicator]) -> Ranking | None:
    indicator = next((i for i in indicators if i.code == RANKING_INDICATOR), None)
    if indicator is None:
        return None
    ids = [c.pk for c in subject.communes]
    year = IndicatorValue.objects.filter(indicator=indicator, territory_id__in=ids).aggregate(y=Max("year"))["y"]
    ranking = Ranking(title="Communes", indicator=indicator, year=year, choices=[indicator])
    if year is None:
        return ranking
    rows = IndicatorValue.objects.filter(indicator=indicator, year=year, territory_id__in=ids).values(
        "territory__name", "territory__code", "territory__level", "territory__population", "value", "is_masked"
    )
    ranking.rows = ranked(
        [
            ranking_row(
                row,
                Figure(
                    value=None if row["is_masked"] else row["value"],
                    year=year,
                    masked=row["is_masked"],
                    decimals=indicator.decimals,
                ),
            )
            for row in rows
        ]
    )
    return ranking


# --- building ----------------------------------------------------------------------------------------------


def build_fiche_context(document, *, progress: Callable[[int], None] | None = None) -> dict:
    """Everything the fiche template needs, section by section. ``progress(percent)`` is told along the way."""
    progress = progress or (lambda percent: None)
    subject = load_subject(document)
    if subject.territory is not None:
        dashboard = build_dashboard(subject.territory, user=subject.user, ranking=RANKING_INDICATOR)
    else:
        dashboard = adhoc_dashboard(subject)
    progress(25)
    sections = []
    for index, builder in enumerate(SECTIONS):
        sections.append(builder(subject, dashboard))
        progress(25 + int(45 * (index + 1) / len(SECTIONS)))
    synthetic_iris = _has_synthetic_iris(subject)
    return {
        "subject": subject,
        "territory": subject.territory,
        "dashboard": dashboard,
        "comparators": dashboard.comparators,
        "sections": sections,
        "generated_at": timezone.localtime(),
        "is_demo": dashboard.has_demo or synthetic_iris or DataSource.objects.filter(is_demo=True).exists(),
        "document": document,
    }


def _has_synthetic_iris(subject: Subject) -> bool:
    return Territory.objects.filter(
        level=Level.IRIS, is_synthetic=True, commune__in=subject.commune_queryset().values("pk")
    ).exists()


def _theme_rows(dashboard: Dashboard, theme: str) -> list[KeyFigure]:
    return next((block.rows for block in dashboard.themes if block.theme == theme), [])


def _trends(dashboard: Dashboard, codes: list[str]) -> list[Trend]:
    by_code = {t.indicator.code: t for t in dashboard.trends}
    return [by_code[c] for c in codes if c in by_code and by_code[c].svg]


def _legend(trends: list[Trend]):
    """One legend per section: the lines are the same territories in every chart (the fullest one)."""
    return max(trends, key=lambda t: len(t.lines)).legend if trends else ""


# --- sections -------------------------------------------------------------------------------------------------


def section_identity(subject: Subject, dashboard: Dashboard) -> Section:
    t = subject.territory
    communes_qs = subject.commune_queryset()
    context: dict = {"subject": subject, "territory": t, "peers": dashboard.peers, "peer_indicators": []}
    if t is None or t.level != Level.COMMUNE:
        context["commune_count"] = communes_qs.count()
    if t is None or t.level == Level.EPCI:
        context["communes"] = list(communes_qs.order_by("-population", "name", "code"))
    if t is not None:
        context["parents"] = [p for p in (t.region, t.department, t.epci, t.commune) if p is not None]
    context["iris_count"] = Territory.objects.filter(level=Level.IRIS, commune__in=communes_qs.values("pk")).count()
    context["peer_indicators"] = dashboard.peer_indicators
    return Section("identite", "Identité du territoire", "documents/fiche/sections/identity.html", context)


def section_signals(subject: Subject, dashboard: Dashboard) -> Section:
    """Signaux d'alerte first (CPAM booklet: « anticiper plutôt que subir »), as on the territory page."""
    return Section(
        "signaux",
        "Signaux d'alerte",
        "documents/fiche/sections/signals.html",
        {"signals": dashboard.signals, "subject": subject},
    )


def section_population(subject: Subject, dashboard: Dashboard) -> Section:
    return Section(
        "population",
        "Population et besoins de santé",
        "documents/fiche/sections/population.html",
        new_page=True,
        context={"rows": _theme_rows(dashboard, Theme.POPULATION)},
    )


def section_supply(subject: Subject, dashboard: Dashboard) -> Section:
    trends = _trends(dashboard, SUPPLY_TRENDS)
    return Section(
        "offre",
        "Offre de soins par profession",
        "documents/fiche/sections/supply.html",
        new_page=True,
        context={"rows": _theme_rows(dashboard, Theme.SUPPLY), "trends": trends, "legend": _legend(trends)},
    )


def section_infra(subject: Subject, dashboard: Dashboard) -> Section:
    """Differences inside the territory: its subdivisions ranked (as on the page) and its IRIS."""
    t = subject.territory
    communes_qs = subject.commune_queryset()
    ranking = dashboard.ranking
    context: dict = {"subject": subject, "ranking": ranking}
    if ranking is not None:
        context["ranking_rows"] = ranking.rows[:RANKING_ROWS_LIMIT]
        context["ranking_truncated"] = len(ranking.rows) > RANKING_ROWS_LIMIT
    iris = Territory.objects.filter(level=Level.IRIS, commune__in=communes_qs.values("pk"))
    if t is not None and t.level == Level.COMMUNE:
        context["iris"] = list(iris.order_by("code")[:IRIS_ROWS_LIMIT])
        context["iris_total"] = iris.count()
        context["iris_truncated"] = context["iris_total"] > IRIS_ROWS_LIMIT
    else:
        context["iris_summary"] = iris.aggregate(n=Count("pk"), lo=Min("population"), hi=Max("population"))
    context["iris_synthetic"] = iris.filter(is_synthetic=True).exists()
    return Section(
        "infra",
        "Différences infra-territoriales (communes, IRIS)",
        "documents/fiche/sections/infra.html",
        context,
        new_page=True,
    )


def section_access(subject: Subject, dashboard: Dashboard) -> Section:
    today = timezone.localdate()
    zoning = (
        Zoning.objects.in_force(on=today)
        .filter(profession=Profession.GP, commune__in=subject.commune_queryset().values("pk"))
        .values("zone")
        .annotate(n=Count("commune", distinct=True), population=Sum("commune__population"))
    )
    labels = dict(Zone.choices)
    trends = _trends(dashboard, ACCESS_TRENDS)
    order = [Zone.ZIP, Zone.ZAC, Zone.NONE]
    zones = [
        {"label": labels.get(z["zone"], z["zone"]), "communes": z["n"], "population": z["population"] or 0}
        for z in sorted(zoning, key=lambda z: order.index(z["zone"]) if z["zone"] in order else len(order))
    ]
    return Section(
        "acces",
        "Accès aux soins",
        "documents/fiche/sections/access.html",
        new_page=True,
        context={
            "rows": _theme_rows(dashboard, Theme.ACCESS),
            "trends": trends,
            "legend": _legend(trends),
            "zones": zones,
            "zoning_date": today,
        },
    )


def section_accessibility(subject: Subject, dashboard: Dashboard) -> Section:
    """Computed accessibility beside the DREES APL, the gap explained, the five-year outlook (2 queries)."""
    return Section(
        "accessibilite",
        "Accessibilité calculée aux médecins généralistes",
        "documents/fiche/sections/accessibility.html",
        {
            "summary": accessibility_selectors.summary(subject.commune_queryset()),
            "parameters": accessibility_selectors.method_parameters(),
        },
    )


def section_map(subject: Subject, dashboard: Dashboard) -> Section:
    t = subject.territory
    outline = None
    if t is not None:
        outline = (
            TerritoryGeometry.objects.filter(territory=t, use=GeometryUse.DETAIL)
            .values_list("geojson", flat=True)
            .first()
        )
    if t is not None and t.level == Level.COMMUNE:
        children, by_zone = Territory.objects.filter(level=Level.IRIS, commune=t), False
        legend = "Contour de la commune et de ses IRIS."
    elif t is not None and t.level == Level.REGION:
        children, by_zone = Territory.objects.filter(level=Level.DEPARTMENT, region=t), False
        legend = "Contour de la région et de ses départements."
    else:
        children, by_zone = subject.commune_queryset(), True
        legend = "Communes colorées selon le zonage ARS des médecins généralistes en vigueur."
    zones = {}
    if by_zone:
        zones = dict(
            Zoning.objects.in_force(on=timezone.localdate())
            .filter(profession=Profession.GP, commune__in=children.values("pk"))
            .values_list("commune_id", "zone")
        )
    shapes = [
        figures.Shape(geojson=geojson, zone=zones.get(territory_id, ""))
        for territory_id, geojson in TerritoryGeometry.objects.filter(
            territory__in=children.values("pk"), use=GeometryUse.LIGHT
        ).values_list("territory_id", "geojson")
    ]
    coloured = by_zone and bool(zones)
    svg = figures.static_map(outline=outline, shapes=shapes, colour_by_zone=coloured)
    return Section(
        "carte",
        "Carte du territoire",
        "documents/fiche/sections/map.html",
        new_page=True,
        context={
            "src": svg_data_uri(svg) if svg else None,
            "legend": legend,
            "zones": figures.zone_legend({s.zone for s in shapes}) if coloured else [],
        },
    )


def section_structures(subject: Subject, dashboard: Dashboard) -> Section:

    return Section(
        "structures",
        "Structures d'exercice coordonné (CPTS, MSP, centres de santé)",
        "documents/fiche/sections/structures.html",
        {"structures": fiche_structures(subject.commune_queryset()), "subject": subject},  # 4 queries at most
    )


def section_aids(subject: Subject, dashboard: Dashboard) -> Section:
    """Aids mobilisables by beneficiary, terms in force on the fiche's date, communes and population that qualify
    (zone counts in aggregate queries: ``aids.services.eligibility.aids_summary``), and their sources."""

    summary = aids_summary(communes=subject.commune_queryset(), on=timezone.localdate())
    sources = sorted({line.terms.public_source for group in summary.groups for line in group.aids})
    return Section(
        "aides",
        "Aides à l'installation et leviers",
        "documents/fiche/sections/aids.html",
        {"summary": summary, "sources": sources, "loaded": Aid.objects.exists()},
        new_page=True,
    )


def section_prevention(subject: Subject, dashboard: Dashboard) -> Section:
    """Prevention indicators of the dashboard, access-to-rights points, current actions and inspiring initiatives
    (those of the département first): ``prevention.selectors.fiche_prevention``, 5 queries at most."""

    departments = {c.department_id for c in subject.communes}
    department = subject.communes[0].department if subject.is_adhoc and len(departments) == 1 else None
    prevention = fiche_prevention(
        territory=subject.territory, communes=subject.commune_queryset(), department=department, on=timezone.localdate()
    )
    return Section(
        "prevention",
        "Prévention et accès aux droits",
        "documents/fiche/sections/prevention.html",
        {"rows": _theme_rows(dashboard, Theme.PREVENTION), "prevention": prevention, "subject": subject},
    )


def section_contacts(subject: Subject, dashboard: Dashboard) -> Section:
    from portal.accounts.models import User

    t = subject.territory
    if t is not None and t.level == Level.DEPARTMENT:
        departments = [t.pk]
    elif t is not None and t.level in (Level.REGION, Level.COUNTRY):
        departments = list(
            Territory.objects.filter(
                level=Level.DEPARTMENT, **({"region": t} if t.level == Level.REGION else {})
            ).values_list("pk", flat=True)
        )
    else:
        departments = [c.territory_id for c in dashboard.comparators if c.label == "Département" and c.territory_id]
    referents = list(
        User.objects.filter(role=Role.REFERENT, is_active=True, department_id__in=departments)
        .select_related("department")
        .order_by("department__code", "last_name", "first_name", "email")
    )
    from projects.models import Partner

    partners = list(Partner.objects.filter(department_id__in=departments).select_related("department"))
    return Section(
        "contacts",
        "Vos contacts à la CPAM et vos partenaires",
        "documents/fiche/sections/contacts.html",
        {"referents": referents, "partners": partners},
    )


def section_sources(subject: Subject, dashboard: Dashboard) -> Section:
    used = sorted({(row.indicator.source, row.indicator.vintage) for row in dashboard.key_figures})
    latest_loads = {}
    for source in DataSource.objects.order_by("-loaded_at", "-pk")[:50]:
        latest_loads.setdefault(source.name, source)
    any_masked = any(row.figure.masked for row in dashboard.key_figures)
    return Section(
        "sources",
        "Sources, millésimes et précautions de lecture",
        "documents/fiche/sections/sources.html",
        {
            "indicator_sources": used,
            "loads": list(latest_loads.values()),
            "subject": subject,
            "any_masked": any_masked,
            "is_demo": dashboard.has_demo,
        },
    )


# Order of the fiche: signals first (CPAM booklet), caveats last.
SECTIONS: list[Callable[[Subject, Dashboard], Section]] = [
    section_identity,
    section_signals,
    section_population,
    section_supply,
    section_infra,
    section_access,
    section_accessibility,
    section_map,
    section_structures,
    section_aids,
    section_prevention,
    section_contacts,
    section_sources,
]
