"""Prevention and access to rights of a territory: access points, current and planned actions, inspiring initiatives.

Access: the territory goes through ``selectors.get_visible_territory`` (404 when not visible). Constant number of
queries whatever the territory's size: points (count + page), actions (capped list + count), initiatives (1).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from portal.territory import selectors
from prevention import selectors as prevention_selectors
from prevention.enums import AccessPointKind, Axis, CollectivityRole, Lever, PreventionTheme
from prevention.models import AccessPoint, Initiative, PreventionAction
from territories.models import Territory

PAGE_SIZE = 50
ACTIONS_LIMIT = 100
SELECT = forms.Select(attrs={"class": "fr-select"})


class AccessPointFilter(django_filters.FilterSet):
    """``?type=france_services``"""

    type = django_filters.ChoiceFilter(
        field_name="kind", choices=AccessPointKind.choices, empty_label="Tous les types", widget=SELECT
    )

    class Meta:
        model = AccessPoint
        fields: list[str] = []


class ActionFilter(django_filters.FilterSet):
    """``?theme=vaccination``"""

    theme = django_filters.ChoiceFilter(choices=PreventionTheme.choices, empty_label="Tous les thèmes", widget=SELECT)

    class Meta:
        model = PreventionAction
        fields: list[str] = []


class InitiativeFilter(django_filters.FilterSet):
    """``?axe=C&levier=C3&role=financeur``"""

    axe = django_filters.ChoiceFilter(
        field_name="axis", choices=Axis.choices, empty_label="Tous les axes", widget=SELECT
    )
    levier = django_filters.ChoiceFilter(
        field_name="lever", choices=Lever.choices, empty_label="Tous les leviers", widget=SELECT
    )
    role = django_filters.ChoiceFilter(choices=CollectivityRole.choices, empty_label="Tous les rôles", widget=SELECT)

    class Meta:
        model = Initiative
        fields: list[str] = []


def territory_panel(territory: Territory) -> prevention_selectors.PreventionSummary:
    """The summary shown on the territory page: access points by kind, actions not over today (2 queries)."""
    return prevention_selectors.territory_summary(territory, on=timezone.localdate())


def territory_prevention(request, level: str, code: str):
    territory = selectors.get_visible_territory(user=request.user, level=level, code=code)
    data = request.GET or None
    points = AccessPointFilter(data, queryset=AccessPoint.objects.in_territory(territory))
    page = Paginator(points.qs.select_related("commune").by_kind_order(), PAGE_SIZE).get_page(request.GET.get("page"))
    actions_filter = ActionFilter(
        data, queryset=PreventionAction.objects.in_territory(territory).current(on=timezone.localdate())
    )
    actions_qs = actions_filter.qs.select_related("commune", "territory").order_by("start_date", "title", "pk")
    actions = list(actions_qs[: ACTIONS_LIMIT + 1])
    actions_total = len(actions)
    if actions_total > ACTIONS_LIMIT:
        actions_total = actions_qs.count()
        actions = actions[:ACTIONS_LIMIT]
    initiatives = InitiativeFilter(data, queryset=Initiative.objects.all())
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "prevention/territory_prevention.html",
        {
            "territory": territory,
            "crumbs": [
                ("Accueil", reverse("portal:home")),
                (territory.name, reverse("portal:territory", args=[territory.level, territory.code])),
            ],
            "points_filter": points,
            "page": page,
            "actions_filter": actions_filter,
            "actions": actions,
            "actions_more": actions_total - len(actions),
            "initiatives_filter": initiatives,
            "initiatives": list(initiatives.qs.select_related("commune", "department").nearest_first(territory)),
            "query": query.urlencode(),
        },
    )
