"""Choropleth map view: the map page shown in the territory page's iframe.

Same access rule as the territory page (the territory must be visible to the user, else 404); the map
service (:mod:`portal.maps.choropleth`) hides a non-public indicator's values for the units the user may not see.
The downloadable, self-contained file of a map is a generated document (``map_html``), made by the
documents job: :func:`portal.documents.views.request_territory_map`.
"""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.cache import cache_control

from portal.maps import choropleth
from portal.maps import geometry as map_geometry
from portal.maps import territory_map as maps
from portal.territory import selectors

GEOMETRY_MAX_AGE = 7 * 24 * 3600


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


def territory_choropleth_geometry(request, level: str, code: str):
    """The map's geometry (units, context), the same for every indicator: cached by the browser per data version."""
    territory = selectors.get_visible_territory(user=request.user, level=level, code=code)
    if territory.level not in map_geometry.UNITS:
        raise Http404("Pas de carte d'indicateur à ce niveau.")
    version = maps.data_version()
    response = HttpResponse(map_geometry.map_geometry(territory, version=version), content_type="application/geo+json")
    if request.GET.get("v") == str(version):  # the URL names its version: it never changes
        patch_cache_control(response, private=True, max_age=GEOMETRY_MAX_AGE, immutable=True)
    else:
        patch_cache_control(response, private=True, max_age=0)
    return response
