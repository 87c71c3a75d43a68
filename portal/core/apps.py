from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portail"

    def ready(self):
        from portal.panels import connect_invalidation

        connect_invalidation()  # the territory page's cached panels follow single-row edits
