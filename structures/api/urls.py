from django.urls import path

from . import views

urlpatterns = [path("structures/", views.StructureListView.as_view(), name="structure-list")]
