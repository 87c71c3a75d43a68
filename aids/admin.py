"""Admin of the aid catalogue: aids with their dated terms, history of both (django-simple-history).

Flow 4 (DESIGN.md): an amount is never changed in place. In the terms' own form, a changed amount (kind,
amount, ceiling, cap, schedule) needs « Nouveau montant à partir du »: the change goes through
:func:`aids.services.terms.supersede_terms` (the current terms end the day before, new terms start). In the
aid's form, the amounts of existing terms are read only; a new period is added there by ending the current one
(« jusqu'au ») and adding new terms, the periods being checked together. Every change asks for a « motif »,
written to the history. Amounts are shown in French (« 50 000 € »).
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from .enums import AmountKind, Beneficiary, CareerStage
from .formatting import NBSP, format_euros, format_number
from .models import Aid, AidTerms
from .services.terms import overlap_errors, supersede_error, supersede_terms

# The fields that make an amount: changing one of them creates new dated terms.
AMOUNT_FIELDS = ["amount_kind", "amount", "is_ceiling", "cap", "schedule"]
REASON_FIELD = forms.CharField(
    label="Motif de la modification",
    max_length=100,
    help_text="Conservé dans l'historique (ex. : avenant conventionnel du 1er juillet 2026).",
    error_messages={"required": "Indiquez le motif de la modification (conservé dans l'historique)."},
)


def amount_display(value, *, percent: bool = False) -> str:
    """« 50 000 € », « 50 % » for a percentage, « — » when empty."""
    if value is None:
        return "—"
    return f"{format_number(value)}{NBSP}%" if percent else format_euros(value)


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
    change_reason = REASON_FIELD

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
        if form.instance.pk:  # an amount is never edited in place (module docstring)
            for name in AMOUNT_FIELDS:
                form.fields[name].disabled = True
                form.fields[
                    name
                ].help_text = "Pour changer le montant : « Changer le montant » ou une nouvelle période."
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
    readonly_fields = ["change_amount_link"]

    def get_fields(self, request, obj=None):
        return [*self.fields, "change_amount_link"]

    @admin.display(description="changer le montant")
    def change_amount_link(self, obj):
        if not obj or not obj.pk:
            return "—"
        url = reverse("admin:aids_aidterms_change", args=[obj.pk])
        return format_html('<a href="{}">Changer le montant à partir d\'une date</a> ({})', url, obj.amount_label)


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
        ("Historique", {"fields": ["change_reason"]}),
    ]

    def save_model(self, request, obj, form, change):
        obj._change_reason = form.cleaned_data.get("change_reason") or None
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        reason = form.cleaned_data.get("change_reason") or None
        for inline in formset.forms:
            inline.instance._change_reason = reason
        super().save_formset(request, form, formset, change)


class AidTermsForm(forms.ModelForm):
    """The terms' form: a changed amount applies from « Nouveau montant à partir du » (never in place)."""

    new_from = forms.DateField(
        label="Nouveau montant à partir du",
        required=False,
        help_text="Obligatoire si le montant change : les conditions actuelles prennent fin la veille, de nouvelles "
        "conditions commencent ce jour-là (l'historique garde les deux).",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    change_reason = REASON_FIELD

    class Meta:
        model = AidTerms
        fields = ["aid", "valid_from", "valid_until", *AMOUNT_FIELDS, "amount_note", "conditions", "source"]

    @cached_property
    def original(self) -> AidTerms | None:
        return AidTerms.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None

    @property
    def amount_changed(self) -> bool:
        # Compared on values: ``changed_data`` reports an empty schedule as changed (JSON « {} » vs {}).
        data = getattr(self, "cleaned_data", {})
        return self.original is not None and any(
            name in data and data[name] != getattr(self.original, name) for name in AMOUNT_FIELDS
        )

    def clean(self):
        data = super().clean()
        if not self.amount_changed:
            return data
        new_from = data.get("new_from")
        original = self.original
        if new_from is None:
            self.add_error("new_from", "Un montant ne se modifie pas sur place : indiquez la date du nouveau montant.")
        elif new_from <= original.valid_from:
            self.add_error("new_from", "La date du nouveau montant doit suivre le début des conditions actuelles.")
        elif original.valid_until is not None and new_from > original.valid_until:
            self.add_error("new_from", "La date du nouveau montant doit tomber pendant ces conditions.")
        elif message := supersede_error(aid=original.aid, valid_from=new_from):
            self.add_error("new_from", message)
        return data

    def _post_clean(self):
        # The instance keeps its stored amounts: new ones become new terms (save_model).
        if self.amount_changed:
            self.instance.defer_overlap_check = True
        super()._post_clean()


@admin.register(AidTerms)
class AidTermsAdmin(SimpleHistoryAdmin):
    form = AidTermsForm
    list_display = ["aid", "valid_from", "valid_until", "amount_kind", "amount_euros", "cap_euros", "status_today"]
    list_filter = ["amount_kind", "aid__funder", "aid"]
    search_fields = ["aid__name", "aid__slug", "conditions", "source"]
    list_select_related = ["aid"]
    autocomplete_fields = ["aid"]
    date_hierarchy = "valid_from"

    @admin.display(description="statut aujourd'hui")
    def status_today(self, obj):
        return obj.status(timezone.localdate())

    @admin.display(description="montant", ordering="amount")
    def amount_euros(self, obj):
        return amount_display(obj.amount, percent=obj.amount_kind == AmountKind.PERCENT)

    @admin.display(description="plafond", ordering="cap")
    def cap_euros(self, obj):
        return amount_display(obj.cap)

    def save_model(self, request, obj, form, change):
        reason = form.cleaned_data.get("change_reason") or None
        if not form.amount_changed:
            obj._change_reason = reason
            return super().save_model(request, obj, form, change)
        original = form.original
        carried = ["amount_note", "conditions", "source", *AMOUNT_FIELDS]
        supersede_terms(
            aid=original.aid,
            valid_from=form.cleaned_data["new_from"],
            valid_until=original.valid_until,
            reason=reason or "",
            **{name: form.cleaned_data[name] for name in carried},
        )
