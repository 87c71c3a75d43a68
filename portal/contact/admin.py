from django import forms
from django.contrib import admin
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from territories.enums import Level
from territories.models import Territory

from . import perms
from .enums import RequestStatus
from .models import ContactMessage, ContactRequest


class ContactMessageInline(admin.TabularInline):
    """The thread, read-only: messages are written from the portal so that notifications follow."""

    model = ContactMessage
    extra = 0
    can_delete = False
    fields = ["created_at", "author", "from_cpam", "body", "document", "notified_at", "notification_attempts"]
    readonly_fields = fields
    ordering = ["created_at", "pk"]

    def has_add_permission(self, request, obj=None):
        return False


class DepartmentFilter(admin.SimpleListFilter):
    title = "département"
    parameter_name = "departement"

    def lookups(self, request, model_admin):
        departments = Territory.objects.filter(
            level=Level.DEPARTMENT, pk__in=ContactRequest.objects.values("department_id")
        ).order_by("code")
        return [(d.pk, f"{d.code} — {d.name}") for d in departments]

    def queryset(self, request, queryset):
        return queryset.filter(department_id=self.value()) if self.value() else queryset


class ContactRequestAdminForm(forms.ModelForm):
    class Meta:
        model = ContactRequest
        fields = ["topic", "subject", "status", "assignee", "due_on"]

    def clean_assignee(self):
        assignee = self.cleaned_data.get("assignee")
        if assignee is not None and not perms.is_referent_of(assignee, self.instance.department_id):
            raise forms.ValidationError("Choisissez un référent CPAM actif du département de la demande.")
        return assignee


@admin.register(ContactRequest)
class ContactRequestAdmin(SimpleHistoryAdmin):
    """Requests of all départements; status and assignee changes made here are kept in the history too."""

    form = ContactRequestAdminForm
    list_display = ["created_at", "subject", "territory", "department", "topic", "status", "assignee", "due_on"]
    list_filter = [DepartmentFilter, "status", "topic"]
    search_fields = ["subject", "territory__name", "territory__code", "requester__email", "assignee__email"]
    list_select_related = ["territory", "department", "assignee"]
    raw_id_fields = ["territory", "department", "requester", "assignee"]
    readonly_fields = ["id", "created_at", "updated_at", "closed_at", "territory", "department", "requester"]
    history_list_display = ["status", "assignee"]
    inlines = [ContactMessageInline]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        if obj.status == RequestStatus.CLOSED:
            obj.closed_at = obj.closed_at or timezone.now()
        else:
            obj.closed_at = None
        super().save_model(request, obj, form, change)
