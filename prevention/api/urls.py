from django.urls import path

from . import views

urlpatterns = [
    path("prevention/points/", views.AccessPointListView.as_view(), name="prevention-point-list"),
    path("prevention/initiatives/", views.InitiativeListView.as_view(), name="prevention-initiative-list"),
]
