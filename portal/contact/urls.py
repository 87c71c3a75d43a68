from django.urls import path

from . import views

app_name = "contact"

urlpatterns = [
    path("", views.my_requests, name="list"),
    path("nouvelle/", views.create, name="create"),
    path("recues/", views.inbox, name="inbox"),
    path("<uuid:request_id>/", views.detail, name="detail"),
    path("<uuid:request_id>/prendre-en-charge/", views.take, name="take"),
    path("<uuid:request_id>/attribuer/", views.assign, name="assign"),
    path("<uuid:request_id>/statut/", views.change_status, name="status"),
    path("<uuid:request_id>/cloturer/", views.close, name="close"),
]
