from django.urls import path

from . import views

urlpatterns = [
    path("territoires/<str:level>/<str:code>/prevention/", views.territory_prevention, name="territory_prevention"),
]
