from django.apps import AppConfig


class ContactConfig(AppConfig):
    name = "portal.contact"
    label = "contact"
    verbose_name = "Demandes à la CPAM"
