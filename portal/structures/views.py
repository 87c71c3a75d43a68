"""Care structures of a territory (« Structures d'exercice coordonné »): the list page with its filters.

Structures are public information, but the page follows the territory pages' rule: login required and a
territory the user may see (``get_visible_territory``: 404 otherwise). Constant number of queries: counts by
kind (1), paginator count (1), page (1), teams and CPTS communes (2 prefetches).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from portal.structures.small_map import small_map
from portal.territory import selectors
from structures import france_sante
from structures.enums import OPERATING_STAGES, TEAM_ROLE_PLURALS, CptsMission, Stage, StructureKind, Weekday
from structures.models import PROFESSION_ORDER, PROFESSION_PLURALS, Structure
from structures.selectors import count_by_kind, with_details
from territories.enums import GeometryUse, Level
from territories.models import Territory, TerritoryGeometry

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


def structure_detail(request, structure_id: int):
    """One structure: team and extended team, opening days, secteur, France Santé criteria, contact, CPTS
    missions and member communes, a small map. 404 unless it lies in (or, for a CPTS, covers) a commune the
    user may see. Constant number of queries: structure with commune (1), team, extended team, checks,
    covered communes (4 prefetches), its contour (1)."""
    visible_communes = Territory.objects.visible_to(request.user).filter(level=Level.COMMUNE)
    structure = get_object_or_404(
        Structure.objects.for_communes(visible_communes)
        .select_related("commune", "commune__epci", "commune__department")
        .prefetch_related(
            "team",
            "team_roles",
            "france_sante_checks",
            Prefetch(
                "covered_communes",
                queryset=Territory.objects.only("level", "code", "name", "centroid_lat", "centroid_lon").order_by(
                    "name", "code"
                ),
            ),
        ),
        pk=structure_id,
    )
    is_cpts = structure.kind == StructureKind.CPTS
    communes = list(structure.covered_communes.all()) if is_cpts else None
    readiness = france_sante.readiness(structure, on=timezone.localdate(), communes=communes or None)
    contour = structure.perimeter_geojson if is_cpts and structure.perimeter_geojson else None
    if contour is None:
        contour = (
            TerritoryGeometry.objects.filter(territory_id=structure.commune_id, use=GeometryUse.LIGHT)
            .values_list("geojson", flat=True)
            .first()
        )
    return render(
        request,
        "structures/detail.html",
        {
            "structure": structure,
            "team": [
                (
                    m.headcount,
                    PROFESSION_PLURALS[m.profession] if m.headcount > 1 else m.get_profession_display(),
                    m.fte,
                )
                for m in sorted(structure.team.all(), key=lambda m: PROFESSION_ORDER.get(m.profession, 99))
                if m.headcount
            ],
            "team_roles": [
                (r.headcount, TEAM_ROLE_PLURALS[r.role] if r.headcount > 1 else r.get_role_display())
                for r in structure.team_roles.all()
                if r.headcount
            ],
            "opening_days": [Weekday(d).label for d in sorted(structure.opening_days or []) if d in Weekday.values],
            "missions": [CptsMission(m).label for m in structure.cpts_missions or [] if m in CptsMission.values],
            "communes": communes or [],
            "readiness": readiness,
            "map": small_map(contour, lat=structure.latitude, lon=structure.longitude),
            "crumbs": [
                ("Accueil", reverse("portal:home")),
                (
                    structure.commune.name,
                    reverse("portal:territory", args=[structure.commune.level, structure.commune.code]),
                ),
            ],
        },
    )
