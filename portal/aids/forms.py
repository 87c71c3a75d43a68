"""The aid simulator form (French labels and error messages)."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet

from aids.enums import Beneficiary, CareerStage
from aids.services.profile import PARAMETERS, read_profile, relevant_fields
from territories.models import Territory

PROFILE_FIELDS = list(PARAMETERS)
YES_NO = [("", "Non précisé"), ("true", "Oui"), ("false", "Non")]


def _number(label: str, **attrs) -> forms.CharField:
    """A profile field read as text: ``aids.services.profile.read_profile`` checks it (same messages as the API)."""
    widget = forms.TextInput(attrs={"class": "fr-input", "inputmode": "numeric", **attrs})
    return forms.CharField(label=label, required=False, max_length=12, widget=widget)


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
    # The profile: same names as the API's parameters; only the relevant ones are shown (``visible_profile``).
    study_year = _number("Année d'études de médecine", placeholder="ex. : 2")
    fte = forms.ChoiceField(
        label="Temps de travail de l'assistant médical",
        required=False,
        choices=[("", "Non précisé"), ("0.5", "0,5 ETP (mi-temps)"), ("1", "1 ETP (temps plein)")],
        widget=forms.Select(attrs={"class": "fr-select"}),
        error_messages={"invalid_choice": "Le temps de travail de l'assistant médical est 0,5 ou 1 ETP."},
    )
    years = _number("Nombre d'années à totaliser", placeholder="ex. : 3")
    equipment_cost = _number("Coût du matériel d'installation (€)", inputmode="decimal", placeholder="ex. : 15000")
    half_days_per_month = _number("Demi-journées de consultations avancées par mois", placeholder="ex. : 4")
    home_commune = forms.CharField(
        label="Commune d'installation du médecin (code INSEE)",
        required=False,
        max_length=5,
        help_text="Pour les consultations avancées : le médecin doit être installé hors zone sous-dense.",
        widget=forms.TextInput(attrs={"class": "fr-input", "autocomplete": "off"}),
    )
    age = _number("Âge du médecin")
    full_rate_pension = forms.ChoiceField(
        label="Retraite à taux plein", required=False, choices=YES_NO, widget=forms.Select(attrs={"class": "fr-select"})
    )
    replacement = forms.ChoiceField(
        label="Médecin remplaçant", required=False, choices=YES_NO, widget=forms.Select(attrs={"class": "fr-select"})
    )

    def __init__(
        self,
        *args,
        communes: QuerySet[Territory],
        commune_choices: list[tuple[str, str]] | None,
        home_communes: QuerySet[Territory] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.communes = communes
        self.home_communes = home_communes if home_communes is not None else communes
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

    def clean(self):
        data = super().clean()
        params = {name: data.get(name) or "" for name in PROFILE_FIELDS}
        try:
            data["profile"] = read_profile(params, communes=self.home_communes)
        except forms.ValidationError as error:
            for name, messages in error.message_dict.items():
                self.add_error(name, messages)
        return data

    @property
    def visible_profile(self) -> list[forms.BoundField]:
        """The profile fields that matter for the chosen profession and stage (all of them are rendered, the others
        hidden: without JavaScript the page shows the relevant ones once the profession is submitted)."""
        data = self.data if self.is_bound else self.initial
        return [self[name] for name in relevant_fields(data.get("profession"), data.get("etape") or None)]

    @property
    def profile_fields(self) -> list[tuple[forms.BoundField, bool]]:
        """Every profile field with whether it is relevant now (the others get ``hidden``)."""
        shown = {f.name for f in self.visible_profile}
        return [(self[name], name in shown) for name in PROFILE_FIELDS]
