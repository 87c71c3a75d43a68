from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal.core"
    label = "portal"  # the label its migrations and tables were created under
    verbose_name = "Portail"

    def ready(self):
        from portal.territory.panels import connect_invalidation

        connect_invalidation()  # the territory page's cached panels follow single-row edits
