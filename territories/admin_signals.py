"""Admin of the early-warning signals (rules with history, computed signals read-only, reported signals).

Imported from ``TerritoriesConfig.ready`` so that it stays separate from ``territories/admin.py``.
"""

from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from .models import ReportedSignal, Signal, SignalRule
from .services.signals import evaluate_signals


@admin.register(SignalRule)
class SignalRuleAdmin(SimpleHistoryAdmin):
    list_display = [
        "label",
        "code",
        "indicator",
        "comparison",
        "vigilance_threshold",
        "alert_threshold",
        "period_years",
        "is_active",
    ]
    list_filter = ["is_active", "comparison", "indicator__theme"]
    search_fields = ["code", "label", "indicator__code", "indicator__label"]
    list_select_related = ["indicator"]
    actions = ["recompute_signals"]
    fieldsets = [
        (None, {"fields": ["code", "label", "indicator", "is_active", "position"]}),
        (
            "Comparaison",
            {
                "fields": [
                    "comparison",
                    "vigilance_threshold",
                    "alert_threshold",
                    "strict",
                    "period_years",
                    "relative_change",
                ]
            },
        ),
        ("Explication", {"fields": ["explanation_template"]}),
    ]

    @admin.action(description="Recalculer tous les signaux d'alerte (toute la France)")
    def recompute_signals(self, request, queryset):
        report = evaluate_signals()
        self.message_user(
            request,
            f"{report.signals} signaux calculés pour {report.territories} territoires en {report.duration_s} s.",
            messages.SUCCESS,
        )


@admin.register(Signal)
class SignalAdmin(admin.ModelAdmin):
    """Read-only: rows are replaced by ``evaluate_signals``."""

    list_display = ["territory", "rule", "level", "year", "explanation", "computed_at"]
    list_filter = ["level", "rule", "territory__level", "is_demo"]
    search_fields = ["territory__name", "territory__code"]
    list_select_related = ["territory", "rule"]
    raw_id_fields = ["territory"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReportedSignal)
class ReportedSignalAdmin(SimpleHistoryAdmin):
    list_display = ["created_at", "territory", "kind", "status", "author"]
    list_filter = ["status", "kind", "territory__level"]
    search_fields = ["territory__name", "territory__code", "text", "author__email"]
    list_select_related = ["territory", "author"]
    raw_id_fields = ["territory", "author", "status_changed_by"]
    readonly_fields = ["uuid", "created_at", "status_changed_at", "status_changed_by"]
