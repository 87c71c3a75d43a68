"""The API router: each domain app contributes its routes here."""

from django.urls import include, path

urlpatterns = [
    path("", include("territories.api.urls")),
]
