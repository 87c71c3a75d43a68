"""Admin of the reference geography: looked up, never edited by hand (``load_reference`` and
``import_iris`` own these rows)."""

from django.contrib import admin

from .models import DataSource, Territory, TerritoryGeometry


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TerritoryGeometryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TerritoryGeometry
    fields = ["use", "size"]
    readonly_fields = ["use", "size"]
    extra = 0

    @admin.display(description="taille (caractères)")
    def size(self, obj):
        return len(obj.geojson)


@admin.register(Territory)
class TerritoryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "level", "population", "department", "epci", "has_geometry", "is_synthetic"]
    list_filter = ["level", "zone", "kind", "has_geometry", "is_synthetic"]
    # search_name is the accent-free, lowercase name: "martin heres" finds Saint-Martin-d'Hères
    search_fields = ["code", "name", "search_name", "postal_codes", "siren"]
    list_select_related = ["department", "epci"]
    list_per_page = 50
    show_full_result_count = False  # about 90,000 rows: skip the extra COUNT(*)
    ordering = ["level", "code"]
    fieldsets = [
        (None, {"fields": ["level", "code", "name", "kind", "zone", "siren", "postal_codes", "population"]}),
        ("Rattachements", {"fields": ["region", "department", "epci", "commune"]}),
        ("Géométrie", {"fields": ["has_geometry", "area_km2", "centroid_lat", "centroid_lon", "is_synthetic"]}),
    ]
    inlines = [TerritoryGeometryInline]


@admin.register(DataSource)
class DataSourceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "version", "loaded_at", "duration_s", "is_demo"]
    list_filter = ["is_demo", "name"]
    search_fields = ["name", "version", "checksum"]
    date_hierarchy = "loaded_at"
