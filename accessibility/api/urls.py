from django.urls import path

from . import views

urlpatterns = [
    path("accessibilite/communes/", views.CommuneValuesView.as_view(), name="accessibility-communes"),
    path("accessibilite/scenarios/", views.ScenarioView.as_view(), name="accessibility-scenarios"),
]
