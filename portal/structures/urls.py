from django.urls import path

from . import views

urlpatterns = [
    path("territoires/<str:level>/<str:code>/structures/", views.territory_structures, name="territory_structures"),
    path("structures/<int:structure_id>/", views.structure_detail, name="structure"),
]
