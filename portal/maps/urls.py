from django.urls import path

from . import views

# The download of a map is a generated document (documents:request_map).
urlpatterns = [
    path("territoires/<str:level>/<str:code>/carte/indicateur/", views.territory_choropleth, name="choropleth"),
    # The map's geometry, the same for every indicator (fetched by the map page, cached per data version).
    path(
        "territoires/<str:level>/<str:code>/carte/contours.geojson",
        views.territory_choropleth_geometry,
        name="choropleth_geometry",
    ),
]
