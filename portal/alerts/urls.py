from django.urls import path

from . import views

urlpatterns = [
    path("territoires/<str:level>/<str:code>/signaler/", views.report, name="signal_report"),
    path("signalements/", views.reported_list, name="reported_signals"),
    path("signalements/<uuid:uuid>/statut/", views.reported_status, name="reported_signal_status"),
    path("cpam/territoires/", views.cpam_territories, name="cpam_territories"),
]
