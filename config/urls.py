"""Root URLs: one include per area of the web layer (``portal/<area>/urls.py``).

The pages of core, territory, structures, maps, alerts, aids and prevention share the ``portal:`` namespace
(their URL names predate the split); accounts, documents, contact and projects have their own.
"""

from django.contrib import admin
from django.urls import include, path

AREAS = ["core", "territory", "structures", "maps", "alerts", "aids", "prevention", "accessibility"]

urlpatterns = [
    path("", include(([path("", include(f"portal.{area}.urls")) for area in AREAS], "portal"))),
    path("compte/", include("portal.accounts.urls")),
    path("documents/", include("portal.documents.urls")),
    path("demandes/", include("portal.contact.urls")),
    path("", include("portal.projects.urls")),  # /projets/…, /offres/… (namespace projects)
    path("admin/", admin.site.urls),
    path("api/", include("portal.api.urls")),
]
