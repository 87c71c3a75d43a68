from django.urls import path, re_path

from . import views

urlpatterns = [
    path("accueil/", views.home, name="home"),
    path("territoires/recherche/", views.search, name="search"),
    path("territoires/<str:level>/<str:code>/", views.territory_detail, name="territory"),
    path("territoires/<str:level>/<str:code>/carte/", views.territory_map, name="territory_map"),
    re_path(
        r"^territoires/(?P<level>[^/]+)/(?P<code>[^/]+)/indicateurs\.(?P<fmt>csv|xlsx)$",
        views.territory_export,
        name="territory_export",
    ),
]
