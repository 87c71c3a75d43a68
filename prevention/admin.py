"""Admin of prevention and access to rights: access points, prevention actions, initiatives, with history."""

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .enums import AccessService, TargetPublic
from .models import AccessPoint, Initiative, PreventionAction


class AccessPointForm(forms.ModelForm):
    services = forms.MultipleChoiceField(
        label="Services proposés", choices=AccessService.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = AccessPoint
        fields = ["kind", "name", "address", "commune", "latitude", "longitude", "opening_hours", "services", "is_demo"]


class PublicsForm(forms.ModelForm):
    publics = forms.MultipleChoiceField(
        label="Publics visés", choices=TargetPublic.choices, widget=forms.CheckboxSelectMultiple, required=False
    )


class PreventionActionForm(PublicsForm):
    class Meta:
        model = PreventionAction
        fields = [
            "title",
            "theme",
            "status",
            "commune",
            "territory",
            "start_date",
            "end_date",
            "publics",
            "partners",
            "description",
            "is_demo",
        ]


class InitiativeForm(PublicsForm):
    url = forms.URLField(label="Lien", required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = Initiative
        fields = [
            "slug",
            "title",
            "summary",
            "place_label",
            "commune",
            "department",
            "region",
            "scale",
            "period",
            "axis",
            "lever",
            "role",
            "role_detail",
            "publics",
            "pilot",
            "partners",
            "results",
            "source_document",
            "source_lines",
            "url",
            "position",
        ]


@admin.register(AccessPoint)
class AccessPointAdmin(SimpleHistoryAdmin):
    form = AccessPointForm
    list_display = ["name", "kind", "commune", "is_demo"]
    list_filter = ["kind", "is_demo"]
    search_fields = ["name", "commune__name", "commune__code"]
    autocomplete_fields = ["commune"]
    list_select_related = ["commune"]


@admin.register(PreventionAction)
class PreventionActionAdmin(SimpleHistoryAdmin):
    form = PreventionActionForm
    list_display = ["title", "theme", "status", "start_date", "end_date", "commune", "territory", "is_demo"]
    list_filter = ["theme", "status", "is_demo"]
    search_fields = ["title", "commune__name", "territory__name"]
    autocomplete_fields = ["commune", "territory"]
    list_select_related = ["commune", "territory"]
    date_hierarchy = "start_date"


@admin.register(Initiative)
class InitiativeAdmin(SimpleHistoryAdmin):
    form = InitiativeForm
    list_display = ["title", "place_label", "axis", "lever", "role", "source_document", "source_lines"]
    list_filter = ["axis", "lever", "role", "source_document"]
    search_fields = ["title", "place_label", "summary", "slug"]
    autocomplete_fields = ["commune", "department", "region"]
    list_select_related = ["commune"]
