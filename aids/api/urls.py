from django.urls import path

from . import views

urlpatterns = [
    path("aides/", views.AidCatalogueView.as_view(), name="aid-list"),
    path("aides/eligibilite/", views.AidEligibilityView.as_view(), name="aid-eligibility"),
]
