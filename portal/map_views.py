"""Choropleth map views: the map page (shown in the territory page's iframe) and its standalone download.

Same access rule as the territory page (the territory must be visible to the user, else 404); the map
service (:mod:`portal.choropleth`) hides a non-public indicator's values for the units the user may not see.
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control

from portal import choropleth, selectors


def _spec(request, level: str, code: str) -> choropleth.ChoroplethSpec:
    territory = selectors.get_visible_territory(user=request.user, level=level, code=code)
    return choropleth.resolve(
        territory=territory,
        user=request.user,
        indicator_code=request.GET.get("indicateur", "").strip(),
        year=request.GET.get("annee", "").strip(),
        scheme=request.GET.get("classes", "").strip(),
    )


def _error(request, exc: choropleth.ChoroplethError):
    return render(request, "portal/maps/choropleth_error.html", {"message": str(exc)}, status=404)


@cache_control(private=True, max_age=0)
def territory_choropleth(request, level: str, code: str):
    """``?indicateur=<code>&annee=<year>&classes=quantiles|jenks``: the indicator's map over the territory."""
    try:
        spec = _spec(request, level, code)
        page = choropleth.choropleth_html(spec, nonce=request.csp_nonce)
    except choropleth.ChoroplethError as exc:
        return _error(request, exc)
    return HttpResponse(page)


@cache_control(private=True, max_age=0)
def territory_choropleth_download(request, level: str, code: str):
    """The same map as a self-contained HTML file (Leaflet inlined), to open offline from disk."""
    try:
        spec = _spec(request, level, code)
        page = choropleth.standalone_html(spec)
    except choropleth.ChoroplethError as exc:
        return _error(request, exc)
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{choropleth.download_filename(spec)}"'
    return response
