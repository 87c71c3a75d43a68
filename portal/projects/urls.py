from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("projets/", views.project_list, name="list"),
    path("projets/nouveau/", views.project_create, name="create"),
    path("projets/<uuid:project_id>/", views.project_detail, name="detail"),
    path("projets/<uuid:project_id>/modifier/", views.project_edit, name="edit"),
    path("projets/<uuid:project_id>/stade/", views.project_stage, name="stage"),
    path("projets/<uuid:project_id>/prochaine-etape/", views.project_next_step, name="next_step"),
    path("projets/<uuid:project_id>/aides/", views.project_aid, name="aid"),
    path("projets/<uuid:project_id>/documents/", views.project_document, name="document"),
    path("offres/", views.offer_list, name="offers"),
    path("offres/nouvelle/", views.offer_create, name="offer_create"),
    path("offres/a-transmettre/", views.offer_print, name="offer_print"),
    path("offres/<uuid:offer_id>/renouveler/", views.offer_renew, name="offer_renew"),
    path("offres/<uuid:offer_id>/retirer/", views.offer_withdraw, name="offer_withdraw"),
    path("offres/photos/<int:photo_id>/", views.offer_photo, name="offer_photo"),
]
