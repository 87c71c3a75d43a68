"""The API router: each domain app contributes its routes here."""

from django.urls import include, path

urlpatterns = [
    path("", include("territories.api.urls")),
    path("", include("structures.api.urls")),
    path("", include("aids.api.urls")),
    path("", include("prevention.api.urls")),
]
