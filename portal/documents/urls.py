from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("fiche/<str:level>/<str:code>/", views.request_territory_fiche, name="request_fiche"),
    path("carte/<str:level>/<str:code>/", views.request_territory_map, name="request_map"),
    path("ensemble-de-communes/", views.adhoc_fiche, name="adhoc"),
    path("lots/departement/<str:code>/", views.request_batch, name="request_batch"),
    path("lots/<uuid:batch_id>/", views.batch_detail, name="batch"),
    path("<uuid:document_id>/", views.document_detail, name="detail"),
    path("<uuid:document_id>/telecharger/", views.document_download, name="download"),
]
