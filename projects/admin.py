"""Admin of the health projects and of the élus' levers. Projects changed here follow the portal's rules: a stage
goes back only with a motif, and every change is written to the project's journal (and to the history)."""

from django import forms
from django.contrib import admin
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from .enums import STAGE_RANK, EventKind, ProjectStage
from .models import (
    LocalHealthContract,
    Offer,
    OfferPhoto,
    Partner,
    Project,
    ProjectAid,
    ProjectDocument,
    ProjectEvent,
    TrainingCount,
)


class ProjectAidInline(admin.TabularInline):
    model = ProjectAid
    fields = ["aid", "status", "amount", "on", "note"]
    extra = 0


class ProjectDocumentInline(admin.TabularInline):
    model = ProjectDocument
    fields = ["title", "url", "added_by", "added_at"]
    readonly_fields = ["added_by", "added_at"]
    extra = 0


class ProjectEventInline(admin.TabularInline):
    """The journal, read-only: it is written by the services and by this admin's saves."""

    model = ProjectEvent
    fields = ["at", "author", "kind", "message", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ProjectAdminForm(forms.ModelForm):
    reason = forms.CharField(
        label="Motif (obligatoire pour revenir à un stade antérieur)", required=False, widget=forms.Textarea
    )

    class Meta:
        model = Project
        fields = [
            "name",
            "kind",
            "territory",
            "commune",
            "porteur",
            "stage",
            "next_step",
            "next_step_owner",
            "next_step_due",
            "blockers",
            "structure",
        ]

    def clean(self):
        cleaned = super().clean()
        previous = self.initial.get("stage")
        stage = cleaned.get("stage")
        if previous and stage and STAGE_RANK[stage] < STAGE_RANK[previous] and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Un projet ne revient à un stade antérieur qu'avec un motif : indiquez pourquoi.")
        return cleaned


@admin.register(Project)
class ProjectAdmin(SimpleHistoryAdmin):
    form = ProjectAdminForm
    list_display = ["name", "kind", "stage", "territory", "next_step_due", "updated_at"]
    list_filter = ["kind", "stage", "department"]
    search_fields = ["name", "porteur", "territory__name", "territory__code"]
    list_select_related = ["territory"]
    raw_id_fields = ["territory", "commune", "next_step_owner", "structure"]
    readonly_fields = ["created_by", "created_at", "updated_at", "next_step_reminded_on"]
    inlines = [ProjectAidInline, ProjectDocumentInline, ProjectEventInline]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            obj.stage_changed_on = obj.stage_changed_on or timezone.localdate()
        elif "stage" in form.changed_data:
            obj.stage_changed_on = timezone.localdate()
        obj.copy_scope()
        super().save_model(request, obj, form, change)
        if not change:
            message = f"Projet créé dans l'administration au stade « {obj.get_stage_display()} »."
            ProjectEvent.objects.create(project=obj, author=request.user, kind=EventKind.CREATED, message=message)
            return
        if "stage" in form.changed_data:
            labels = dict(ProjectStage.choices)
            previous = form.initial["stage"]
            reason = form.cleaned_data.get("reason", "").strip()
            ProjectEvent.objects.create(
                project=obj,
                author=request.user,
                kind=EventKind.STAGE,
                message=f"Stade : « {labels[previous]} » → « {labels[obj.stage]} » (administration).",
                from_stage=previous,
                to_stage=obj.stage,
                reason=reason,
            )
        others = [f for f in form.changed_data if f not in ("stage", "reason")]
        if others:
            labels = [str(Project._meta.get_field(f).verbose_name) for f in others]
            ProjectEvent.objects.create(
                project=obj,
                author=request.user,
                kind=EventKind.DETAILS,
                message="Modifié dans l'administration : " + ", ".join(labels) + ".",
            )


@admin.register(ProjectEvent)
class ProjectEventAdmin(admin.ModelAdmin):
    list_display = ["at", "project", "kind", "message", "author"]
    list_filter = ["kind"]
    list_select_related = ["project", "author"]
    search_fields = ["project__name", "message"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(ProjectAid)
class ProjectAidAdmin(admin.ModelAdmin):
    list_display = ["project", "aid", "status", "amount", "on"]
    list_filter = ["status"]
    list_select_related = ["project", "aid"]
    raw_id_fields = ["project"]


@admin.register(ProjectDocument)
class ProjectDocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "url", "added_at"]
    list_select_related = ["project"]
    raw_id_fields = ["project", "added_by"]


class OfferPhotoInline(admin.TabularInline):
    model = OfferPhoto
    fields = ["image", "caption"]
    extra = 0


@admin.register(Offer)
class OfferAdmin(SimpleHistoryAdmin):
    list_display = ["title", "kind", "commune", "surface_m2", "available_from", "expires_on", "withdrawn"]
    list_filter = ["kind", "withdrawn", "accessible"]
    search_fields = ["title", "commune__name", "commune__code"]
    list_select_related = ["commune"]
    raw_id_fields = ["commune", "published_by"]
    inlines = [OfferPhotoInline]


@admin.register(OfferPhoto)
class OfferPhotoAdmin(admin.ModelAdmin):
    list_display = ["offer", "caption"]
    raw_id_fields = ["offer"]


@admin.register(Partner)
class PartnerAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "department", "email", "phone", "position"]
    list_filter = ["kind", "department"]
    search_fields = ["name", "contact_name", "email"]
    list_select_related = ["department"]
    raw_id_fields = ["department"]


@admin.register(LocalHealthContract)
class LocalHealthContractAdmin(SimpleHistoryAdmin):
    list_display = ["name", "territory", "signed_on", "ends_on", "coordinator_name"]
    search_fields = ["name", "territory__name", "coordinator_name"]
    list_select_related = ["territory"]
    raw_id_fields = ["territory"]


@admin.register(TrainingCount)
class TrainingCountAdmin(admin.ModelAdmin):
    list_display = ["territory", "year", "supervisors", "junior_doctors", "is_demo"]
    list_filter = ["year", "is_demo"]
    list_select_related = ["territory"]
    raw_id_fields = ["territory"]
