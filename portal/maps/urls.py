from django.urls import path

from . import views

# The download of a map is a generated document (documents:request_map).
urlpatterns = [
    path("territoires/<str:level>/<str:code>/carte/indicateur/", views.territory_choropleth, name="choropleth"),
]
