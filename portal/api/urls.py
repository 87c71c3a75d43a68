"""The API: each domain app contributes its routes here; its schema and docs; a JSON 404 for unknown addresses."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .base import not_found

urlpatterns = [
    path("", include("territories.api.urls")),
    path("", include("structures.api.urls")),
    path("", include("aids.api.urls")),
    path("", include("prevention.api.urls")),
    path("", include("accessibility.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^.*/$", not_found),  # unknown API address: a JSON 404, not the HTML page (APPEND_SLASH kept)
]
