from django.contrib import admin

from portal.core.models import WorkerCheck


@admin.register(WorkerCheck)
class WorkerCheckAdmin(admin.ModelAdmin):
    """Read-only: rows are written by ``check_worker`` and the worker only."""

    list_display = ["requested_at", "status", "done_at", "worker_hostname", "worker_pid"]
    list_filter = ["status"]
    readonly_fields = ["id", "requested_at", "status", "done_at", "worker_hostname", "worker_pid"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
