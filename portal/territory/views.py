from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control

from portal.aids import views as aids_views
from portal.contact import perms as contact_perms
from portal.maps import choropleth
from portal.maps import territory_map as maps
from portal.prevention import views as prevention_views
from portal.territory import dashboard as dashboards
from portal.territory import exports, panels, selectors
from projects.selectors import levers_for
from structures.selectors import structures_summary


def home(request):
    """The user's own territory: an élu's commune or EPCI, a referent's département."""
    user = request.user
    territory = user.territory if user.is_elu else user.department if user.is_referent else None
    if territory is None:
        return redirect("portal:search")
    return territory_detail(request, level=territory.level, code=territory.code)


def search(request):
    query = request.GET.get("q", "").strip()[:100]
    results, total = selectors.search_territories(user=request.user, query=query) if query else ([], 0)
    return render(
        request,
        "territory/search.html",
        {"query": query, "results": results, "total": total, "limit": selectors.SEARCH_LIMIT},
    )


def territory_detail(request, level: str, code: str):
    territory = selectors.get_visible_territory(user=request.user, level=level, code=code)
    overview = selectors.territory_overview(user=request.user, territory=territory)
    crumbs = [("Accueil", reverse("portal:home"))] + [
        (parent.name, reverse("portal:territory", args=[parent.level, parent.code]) if visible else None)
        for parent, visible in overview.parents
    ]
    return render(
        request,
        "territory/detail.html",
        {
            "territory": territory,
            "overview": overview,
            "crumbs": crumbs,
            "is_own": territory.pk in (request.user.territory_id, request.user.department_id),
            "dashboard": _dashboard(request, territory),
            "map_choices": choropleth.map_choices(territory),  # the indicator map's form (one query)
            **_panels(territory),
            "can_contact_cpam": contact_perms.can_create(request.user, territory),
            "levers": levers_for(territory, on=timezone.localdate(), user=request.user),  # 6 queries
        },
    )


def _panels(territory) -> dict:
    """Structures, aids and prevention panels, cached per territory and data version (``portal.territory.panels``):
    one query when cached, else 2 per panel (care structures by kind and CPTS; aids in force today and zone
    counts; access points by kind and current actions)."""
    return panels.territory_panels(
        territory,
        {
            "structures_summary": structures_summary,
            "aids_summary": aids_views.territory_panel,
            "prevention_summary": prevention_views.territory_panel,
        },
    )


def _dashboard(request, territory) -> dashboards.Dashboard:
    """The dashboard for the page's ``?annee=`` and ``?classement=`` (an invalid year means the latest)."""
    year = request.GET.get("annee", "")
    return dashboards.build_dashboard(
        territory,
        user=request.user,
        year=int(year) if year.isdigit() and 1990 <= int(year) <= 2100 else None,
        ranking=request.GET.get("classement", "")[:60] or None,
    )


def territory_export(request, level: str, code: str, fmt: str):
    """The dashboard's figures as CSV or XLSX (same access rule and parameters as the page)."""
    territory = selectors.get_visible_territory(user=request.user, level=level, code=code)
    dashboard = _dashboard(request, territory)
    if fmt == "csv":
        response = HttpResponse(exports.to_csv(dashboard), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            exports.to_xlsx(dashboard),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(dashboard, fmt)}"'
    return response


@cache_control(private=True, max_age=0)
def territory_map(request, level: str, code: str):
    """The territory's contour as a standalone Leaflet page, embedded in the territory page's iframe."""
    territory = selectors.get_visible_territory(user=request.user, level=level, code=code)
    try:
        page = maps.territory_map_html(territory=territory, nonce=request.csp_nonce)
    except maps.NoGeometry:
        raise Http404("Pas de contour pour ce territoire.") from None
    return HttpResponse(page)
