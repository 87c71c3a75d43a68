from django.urls import path
from rest_framework.routers import DefaultRouter

from . import indicators, signals

router = DefaultRouter()

urlpatterns = router.urls + [
    path("indicators/", indicators.IndicatorListView.as_view(), name="indicator-list"),
    path("territories/<str:code>/values/", indicators.TerritoryValuesView.as_view(), name="territory-values"),
    path("signals/", signals.SignalListView.as_view(), name="signal-list"),
]
