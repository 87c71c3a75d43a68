"""Admin of the aid catalogue: aids with their dated terms, history of both (django-simple-history).

Flow 4 (DESIGN.md): to change an amount from a date, end the current terms the day before (« jusqu'au ») and
add new terms from that date, in the same form; the periods are checked together (no overlap) before saving.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from .enums import Beneficiary, CareerStage
from .models import Aid, AidTerms
from .services.terms import overlap_errors


class AidForm(forms.ModelForm):
    beneficiaries = forms.MultipleChoiceField(
        label="Bénéficiaires",
        choices=Beneficiary.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Cochez au moins un bénéficiaire."},
    )
    career_stages = forms.MultipleChoiceField(
        label="Étapes de carrière",
        choices=CareerStage.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Aucune case cochée : quelle que soit l'étape de carrière.",
    )

    source_url = forms.URLField(label="Lien vers la source", required=False, max_length=500, assume_scheme="https")

    class Meta:
        model = Aid
        fields = [
            "name",
            "slug",
            "kind",
            "is_active",
            "position",
            "funder",
            "funder_territory",
            "beneficiaries",
            "career_stages",
            "zoning_condition",
            "description",
            "obligations",
            "legal_basis",
            "once_per_years",
            "non_cumulative_rule",
            "source",
            "source_url",
        ]


class AidTermsInlineFormSet(BaseInlineFormSet):
    """Checks the periods of all the aid's terms together, as they will be once saved."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.defer_overlap_check = True  # checked in clean() on the final set of periods
        return form

    def clean(self):
        super().clean()
        periods = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data or self._should_delete_form(form):
                continue
            start, end = form.cleaned_data.get("valid_from"), form.cleaned_data.get("valid_until")
            if start:
                periods.append((start, end))
        if errors := overlap_errors(periods):
            raise ValidationError(errors)


class AidTermsInline(admin.StackedInline):
    model = AidTerms
    formset = AidTermsInlineFormSet
    extra = 0
    fields = [
        ("valid_from", "valid_until"),
        ("amount_kind", "amount", "is_ceiling", "cap"),
        "amount_note",
        "schedule",
        "conditions",
        "source",
    ]
    ordering = ["valid_from"]


@admin.register(Aid)
class AidAdmin(SimpleHistoryAdmin):
    form = AidForm
    list_display = ["name", "funder", "funder_territory", "zoning_condition", "kind", "is_active", "updated_at"]
    list_filter = ["funder", "zoning_condition", "is_active", "kind"]
    search_fields = ["name", "slug", "description", "source", "legal_basis"]
    list_select_related = ["funder_territory"]
    autocomplete_fields = ["funder_territory"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AidTermsInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "is_active", "position"]}),
        ("Financeur et périmètre", {"fields": ["funder", "funder_territory"]}),
        ("Éligibilité", {"fields": ["beneficiaries", "career_stages", "zoning_condition"]}),
        ("Contenu", {"fields": ["description", "obligations", "legal_basis"]}),
        ("Non-cumul", {"fields": ["once_per_years", "non_cumulative_rule"]}),
        ("Source", {"fields": ["source", "source_url"]}),
    ]


@admin.register(AidTerms)
class AidTermsAdmin(SimpleHistoryAdmin):
    list_display = ["aid", "valid_from", "valid_until", "amount_kind", "amount", "cap", "status_today"]
    list_filter = ["amount_kind", "aid__funder", "aid"]
    search_fields = ["aid__name", "aid__slug", "conditions", "source"]
    list_select_related = ["aid"]
    autocomplete_fields = ["aid"]
    date_hierarchy = "valid_from"

    @admin.display(description="statut aujourd'hui")
    def status_today(self, obj):
        return obj.status(timezone.localdate())
