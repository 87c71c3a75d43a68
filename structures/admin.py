"""Admin of the care structures: real rows are entered or corrected here (with history); FINESS and demo loads
write in bulk (traced by their DataSource)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .enums import StructureKind
from .france_sante import FranceSanteCheck
from .models import CoveredCommune, Structure, TeamCount, TeamRoleCount
from .services.changes import record_manual_change
from .services.perimeters import refresh_perimeter


class TeamCountInline(admin.TabularInline):
    model = TeamCount
    fields = ["profession", "headcount", "fte"]
    extra = 0


class TeamRoleCountInline(admin.TabularInline):
    model = TeamRoleCount
    fields = ["role", "headcount"]
    extra = 0


class FranceSanteCheckInline(admin.TabularInline):
    model = FranceSanteCheck
    fields = ["criterion", "status", "checked_on", "note"]
    extra = 0
    verbose_name_plural = "engagements socles France Santé vérifiés (équipe et accès en 30 minutes : calculés)"


class CoveredCommuneInline(admin.TabularInline):
    model = CoveredCommune
    fields = ["commune"]
    raw_id_fields = ["commune"]
    extra = 0
    verbose_name = "commune couverte (CPTS)"
    verbose_name_plural = "communes couvertes (CPTS)"


@admin.register(Structure)
class StructureAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "stage", "commune", "finess", "france_sante", "is_demo"]
    list_filter = ["kind", "stage", "france_sante", "is_demo", "commune__department"]
    search_fields = ["name", "finess", "commune__name", "commune__code", "postal_code"]
    list_select_related = ["commune"]
    raw_id_fields = ["commune"]
    readonly_fields = ["source", "perimeter_size"]
    list_per_page = 50
    show_full_result_count = False
    ordering = ["kind", "name"]
    fieldsets = [
        (None, {"fields": ["kind", "name", "stage", "finess", "opened_on", "is_demo", "source"]}),
        ("Adresse", {"fields": ["address", "postal_code", "commune", "latitude", "longitude"]}),
        ("Accueil", {"fields": ["opening_days", "sector", "phone", "email", "website"]}),
        ("Label France Santé", {"fields": ["france_sante", "france_sante_on"]}),
        ("Territoire couvert (CPTS)", {"fields": ["population_covered", "perimeter_size", "cpts_missions"]}),
    ]
    inlines = [TeamCountInline, TeamRoleCountInline, FranceSanteCheckInline, CoveredCommuneInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        structure = form.instance
        if structure.kind == StructureKind.CPTS:
            refresh_perimeter(structure)  # the perimeter's contour and population follow its communes
        action = "modification" if change else "création"
        record_manual_change(structure_id=structure.pk, label=str(structure), user=request.user, action=action)

    def delete_model(self, request, obj):
        pk, label = obj.pk, str(obj)
        super().delete_model(request, obj)
        record_manual_change(structure_id=pk, label=label, user=request.user, action="suppression")

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    @admin.display(description="contour du territoire couvert (caractères)")
    def perimeter_size(self, obj):
        return len(obj.perimeter_geojson) if obj.perimeter_geojson else "—"


@admin.register(TeamRoleCount)
class TeamRoleCountAdmin(admin.ModelAdmin):
    """The extended team across structures (counts by role per territory are computed from these rows)."""

    list_display = ["structure", "role", "headcount"]
    list_filter = ["role", "structure__commune__department"]
    list_select_related = ["structure"]
    raw_id_fields = ["structure"]
    search_fields = ["structure__name"]
