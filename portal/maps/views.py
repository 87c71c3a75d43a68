"""Choropleth map view: the map page shown in the territory page's iframe.

Same access rule as the territory page (the territory must be visible to the user, else 404); the map
service (:mod:`portal.maps.choropleth`) hides a non-public indicator's values for the units the user may not see.
The downloadable, self-contained file of a map is a generated document (``map_html``), made by the
documents job: :func:`portal.documents.views.request_territory_map`.
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control

from portal.maps import choropleth
from portal.territory import selectors


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
    return render(request, "maps/choropleth_error.html", {"message": str(exc)}, status=404)


@cache_control(private=True, max_age=0)
def territory_choropleth(request, level: str, code: str):
    """``?indicateur=<code>&annee=<year>&classes=quantiles|jenks``: the indicator's map over the territory."""
    try:
        spec = _spec(request, level, code)
        page = choropleth.choropleth_html(spec, nonce=request.csp_nonce)
    except choropleth.ChoroplethError as exc:
        return _error(request, exc)
    return HttpResponse(page)
