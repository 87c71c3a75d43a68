"""Care structures of a territory (« Structures d'exercice coordonné »): the list page with its filters.

Structures are public information, but the page follows the territory pages' rule: login required and a
territory the user may see (``get_visible_territory``: 404 otherwise). Constant number of queries: counts by
kind (1), paginator count (1), page (1), teams and CPTS communes (2 prefetches).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse

from portal.territory import selectors
from structures.enums import OPERATING_STAGES, Stage, StructureKind
from structures.models import Structure
from structures.selectors import count_by_kind, with_details

PAGE_SIZE = 50
SELECT = forms.Select(attrs={"class": "fr-select"})
STATES = [("operating", "en fonctionnement"), ("project", "en projet"), ("closed", "fermées")]


class StructureFilter(django_filters.FilterSet):
    """``?type=msp&label=oui&etat=project``: kind, France Santé label, state (not closed by default)."""

    type = django_filters.ChoiceFilter(
        field_name="kind", choices=StructureKind.choices, empty_label="Tous les types", widget=SELECT
    )
    label = django_filters.ChoiceFilter(
        method="filter_label",
        choices=[("oui", "labellisées"), ("non", "non labellisées")],
        empty_label="Toutes",
        widget=SELECT,
    )
    etat = django_filters.ChoiceFilter(
        method="filter_state", choices=STATES, empty_label="Ouvertes ou en projet", widget=SELECT
    )

    class Meta:
        model = Structure
        fields: list[str] = []

    def filter_label(self, queryset, name, value):
        return queryset.filter(france_sante=(value == "oui"))

    def filter_state(self, queryset, name, value):
        if value == "operating":
            return queryset.filter(stage__in=OPERATING_STAGES)
        if value == "project":
            return queryset.filter(stage__in=[Stage.PROJECT, Stage.PREFIGURATION])
        return queryset.filter(stage=Stage.CLOSED)

    @property
    def qs(self):
        queryset = super().qs
        if not self.is_bound or not self.form.is_valid() or not self.form.cleaned_data.get("etat"):
            queryset = queryset.current()
        return queryset


def territory_structures(request, level: str, code: str):
    territory = selectors.get_visible_territory(user=request.user, level=level, code=code)
    structures = Structure.objects.in_territory(territory)
    filters = StructureFilter(request.GET or None, queryset=structures)
    page = Paginator(with_details(filters.qs).by_kind_order(), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    crumbs = [
        ("Accueil", reverse("portal:home")),
        (territory.name, reverse("portal:territory", args=[territory.level, territory.code])),
    ]
    return render(
        request,
        "structures/list.html",
        {
            "territory": territory,
            "crumbs": crumbs,
            "counts": count_by_kind(structures),
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "kinds": StructureKind,
        },
    )
