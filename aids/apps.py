from django.apps import AppConfig


class AidsConfig(AppConfig):
    name = "aids"
    verbose_name = "Aides à l'installation"
