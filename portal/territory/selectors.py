"""Read-only queries behind the territory pages and the search page.

Every page runs a fixed number of SQL queries whatever the size of the territory: lists are single
queries, and whether the user may open each listed territory is computed in the same query
(``Exists`` on ``Territory.objects.visible_to(user)``), so a list and a detail page never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.http import Http404

from territories.enums import Level
from territories.models import Territory

SEARCH_LIMIT = 50

PARENT_FIELDS = ("region", "department", "epci", "commune")


@dataclass
class TerritoryOverview:
    territory: Territory
    parents: list[tuple[Territory, bool]]  # (parent, visible to the user), from région down
    children_title: str = ""
    children: list[Territory] = field(default_factory=list)  # each with ``is_visible``
    commune_count: int | None = None


def with_visibility(queryset: QuerySet, *, user) -> QuerySet:
    """Annotate ``is_visible``: whether ``user`` may open each territory's page."""
    return queryset.annotate(is_visible=Exists(Territory.objects.visible_to(user).filter(pk=OuterRef("pk"))))


def get_visible_territory(*, user, level: str, code: str) -> Territory:
    """The territory ``level``/``code`` if ``user`` may see it, else 404 (never 403: no existence leak)."""
    if level not in Level.values:
        raise Http404("Niveau de territoire inconnu.")
    try:
        return Territory.objects.visible_to(user).select_related(*PARENT_FIELDS).get(level=level, code=code)
    except Territory.DoesNotExist:
        raise Http404("Territoire introuvable.") from None


def territory_overview(*, user, territory: Territory) -> TerritoryOverview:
    """Parents (with visibility) and subdivisions of ``territory`` for its page."""
    parents = [getattr(territory, name) for name in PARENT_FIELDS if getattr(territory, f"{name}_id")]
    visible = set()
    if parents:
        visible = set(
            Territory.objects.visible_to(user).filter(pk__in=[p.pk for p in parents]).values_list("pk", flat=True)
        )
    overview = TerritoryOverview(territory=territory, parents=[(p, p.pk in visible) for p in parents])

    communes = Territory.objects.communes()
    if territory.level == Level.COUNTRY:
        overview.children_title = "Régions"
        overview.children = list(
            with_visibility(Territory.objects.filter(level=Level.REGION), user=user).order_by("code")
        )
    elif territory.level == Level.REGION:
        overview.children_title = "Départements"
        overview.children = list(
            with_visibility(Territory.objects.filter(level=Level.DEPARTMENT, region=territory), user=user).order_by(
                "code"
            )
        )
    elif territory.level == Level.DEPARTMENT:
        overview.commune_count = communes.filter(department=territory).count()
        members = communes.filter(epci=OuterRef("pk"), department=territory).values("epci")
        overview.children_title = "Intercommunalités (EPCI)"
        overview.children = list(
            with_visibility(
                Territory.objects.filter(
                    level=Level.EPCI, pk__in=communes.filter(department=territory).values("epci_id")
                ),
                user=user,
            )
            .annotate(
                communes_here=Subquery(
                    members.annotate(n=Count("pk")).values("n"),
                    output_field=IntegerField(),
                )
            )
            .order_by("-population", "name", "code")
        )
    elif territory.level == Level.EPCI:
        overview.children_title = "Communes"
        overview.children = list(
            with_visibility(communes.filter(epci=territory), user=user)
            .select_related("department")
            .order_by("-population", "name", "code")
        )
    elif territory.level == Level.COMMUNE:
        overview.children_title = "IRIS"
        overview.children = list(
            with_visibility(Territory.objects.filter(level=Level.IRIS, commune=territory), user=user).order_by("code")
        )
    return overview


def search_territories(*, user, query: str) -> tuple[list[Territory], int]:
    """Territories matching ``query`` (name, INSEE/SIREN code or postal code), most populated first.

    Reference data is public: all matches are listed, each with ``is_visible`` telling whether the
    user may open its page. Returns at most :data:`SEARCH_LIMIT` results and the total count.
    """
    matches = Territory.objects.search(query)
    results = list(
        with_visibility(matches, user=user)
        .select_related("department", "region")
        .order_by("-population", "name", "level", "code")[:SEARCH_LIMIT]
    )
    total = len(results) if len(results) < SEARCH_LIMIT else matches.count()
    return results, total
