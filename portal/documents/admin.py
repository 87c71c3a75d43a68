from django.contrib import admin

from .models import DocumentBatch, GeneratedDocument


@admin.register(GeneratedDocument)
class GeneratedDocumentAdmin(admin.ModelAdmin):
    """Read-only: rows are written by the request service and the Celery task."""

    list_display = ["created_at", "kind", "territory", "status", "progress", "attempts", "requested_by"]
    list_filter = ["status", "kind"]
    search_fields = ["territory__name", "territory__code", "requested_by__email"]
    list_select_related = ["territory", "requested_by"]
    readonly_fields = [f.name for f in GeneratedDocument._meta.fields] + ["requesters"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DocumentBatch)
class DocumentBatchAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "department", "level", "requested_by"]
    list_select_related = ["department", "requested_by"]
    readonly_fields = ["id", "kind", "department", "level", "requested_by", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
