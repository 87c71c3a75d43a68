from django.urls import path

from . import views

urlpatterns = [
    path("territoires/<str:level>/<str:code>/et-si/", views.territory_scenario, name="territory_scenario"),
    path("accessibilite/scenarios/<uuid:scenario_id>/", views.scenario_detail, name="accessibility_scenario"),
    path("accessibilite/methode/", views.method, name="accessibility_method"),
]
