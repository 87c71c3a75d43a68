from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal import aids_views, api, map_views, prevention_views, signals_views, structures_views, views

app_name = "portal"

portal_patterns = [
    path("", views.landing, name="landing"),
    path("accueil/", views.home, name="home"),
    path("territoires/recherche/", views.search, name="search"),
    path("territoires/<str:level>/<str:code>/", views.territory_detail, name="territory"),
    path("territoires/<str:level>/<str:code>/carte/", views.territory_map, name="territory_map"),
    # Care structures of a territory (portal/structures_views.py).
    path(
        "territoires/<str:level>/<str:code>/structures/",
        structures_views.territory_structures,
        name="territory_structures",
    ),
    # Choropleth maps of an indicator (portal/map_views.py); their download is a generated document
    # (documents:request_map).
    path("territoires/<str:level>/<str:code>/carte/indicateur/", map_views.territory_choropleth, name="choropleth"),
    re_path(
        r"^territoires/(?P<level>[^/]+)/(?P<code>[^/]+)/indicateurs\.(?P<fmt>csv|xlsx)$",
        views.territory_export,
        name="territory_export",
    ),
    # Early-warning signals (portal/signals_views.py).
    path("territoires/<str:level>/<str:code>/signaler/", signals_views.report, name="signal_report"),
    path("signalements/", signals_views.reported_list, name="reported_signals"),
    path("signalements/<uuid:uuid>/statut/", signals_views.reported_status, name="reported_signal_status"),
    path("cpam/territoires/", signals_views.cpam_territories, name="cpam_territories"),
    # Installation aids (portal/aids_views.py).
    path("territoires/<str:level>/<str:code>/aides/", aids_views.territory_aids, name="territory_aids"),
    path("aides/", aids_views.aids_catalogue, name="aids_catalogue"),
    # Prevention, access to rights and inspiring initiatives (portal/prevention_views.py).
    path(
        "territoires/<str:level>/<str:code>/prevention/",
        prevention_views.territory_prevention,
        name="territory_prevention",
    ),
]

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    path("compte/", include("portal.accounts.urls")),
    path("documents/", include("portal.documents.urls")),
    path("demandes/", include("portal.contact.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("portal.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/.*/$", api.not_found),  # unknown API address: a JSON 404, not the HTML page (APPEND_SLASH kept)
]
