from django.apps import AppConfig


class AccessibilityConfig(AppConfig):
    name = "accessibility"
    verbose_name = "Accessibilité calculée et scénarios"

    def ready(self):
        from territories.events import supply_changed

        from .receivers import on_supply_changed

        supply_changed.connect(on_supply_changed, dispatch_uid="accessibility-recompute")
