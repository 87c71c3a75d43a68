"""The aid simulator form (French labels and error messages)."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet

from aids.enums import Beneficiary, CareerStage
from territories.models import Territory


class AidSimulatorForm(forms.Form):
    """Commune of practice (one of the territory's), beneficiary, career stage, date, recent installation aid.

    ``commune_choices``: (code, name) pairs shown as a list; ``None`` for a territory with too many communes
    (région, France), where the INSEE code is typed instead. Either way the commune must be one of ``communes``.
    """

    commune = forms.CharField(
        label="Commune d'exercice",
        max_length=5,
        error_messages={"required": "Choisissez la commune d'exercice."},
    )
    profession = forms.ChoiceField(
        label="Profession ou bénéficiaire",
        choices=[("", "Choisissez")] + Beneficiary.choices,
        widget=forms.Select(attrs={"class": "fr-select"}),
        error_messages={
            "required": "Choisissez une profession ou un bénéficiaire.",
            "invalid_choice": "Choisissez une profession ou un bénéficiaire dans la liste.",
        },
    )
    etape = forms.ChoiceField(
        label="Étape de carrière",
        required=False,
        choices=[("", "Toutes les étapes")] + CareerStage.choices,
        widget=forms.Select(attrs={"class": "fr-select"}),
        error_messages={"invalid_choice": "Choisissez une étape de carrière dans la liste."},
    )
    date = forms.DateField(
        label="Date",
        help_text="Les montants et le zonage en vigueur ce jour-là.",
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date", "class": "fr-input"}, format="%Y-%m-%d"),
        error_messages={"required": "Indiquez une date.", "invalid": "Saisissez une date valide (JJ/MM/AAAA)."},
    )
    aide_recente = forms.BooleanField(
        label="A déjà perçu une aide à l'installation il y a moins de 10 ans",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "fr-checkbox"}),
    )

    def __init__(self, *args, communes: QuerySet[Territory], commune_choices: list[tuple[str, str]] | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.communes = communes
        field = self.fields["commune"]
        if commune_choices is not None:
            field.widget = forms.Select(
                choices=[("", "Choisissez une commune")]
                + [(code, f"{name} ({code})") for code, name in commune_choices],
                attrs={"class": "fr-select"},
            )
        else:
            field.help_text = "Code INSEE à 5 caractères (ex. : 38226)."
            field.widget = forms.TextInput(attrs={"class": "fr-input", "inputmode": "text", "autocomplete": "off"})

    def clean_commune(self) -> Territory:
        code = self.cleaned_data["commune"].strip().upper()
        commune = (
            self.communes.filter(code=code).select_related("department", "region", "epci").first() if code else None
        )
        if commune is None:
            raise forms.ValidationError("Choisissez une commune de ce territoire.")
        return commune

    def clean_date(self):
        value = self.cleaned_data["date"]
        if not (2000 <= value.year <= 2100):
            raise forms.ValidationError("La date doit être comprise entre 2000 et 2100.")
        return value
