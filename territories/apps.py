from django.apps import AppConfig


class TerritoriesConfig(AppConfig):
    name = "territories"
    verbose_name = "Territoires et indicateurs"

    def ready(self):
        # The signals' admin lives in its own module (territories/admin.py is maintained separately).
        from . import admin_signals  # noqa: F401
