from django.conf import settings


def portal(request):
    return {"SITE_TITLE": "Portail élus santé", "DEMO_MODE": settings.DEMO_MODE}
