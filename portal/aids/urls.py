from django.urls import path

from . import views

urlpatterns = [
    path("territoires/<str:level>/<str:code>/aides/", views.territory_aids, name="territory_aids"),
    path("aides/", views.aids_catalogue, name="aids_catalogue"),
]
