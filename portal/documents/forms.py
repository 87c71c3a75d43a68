from django import forms
from django.core.exceptions import ValidationError

from territories.enums import Level

from . import services
from .models import MAX_ADHOC_COMMUNES


class AdhocFicheForm(forms.Form):
    """The fiche of a free set of communes (a CPTS territory, a bassin de vie)."""

    title = forms.CharField(
        label="Intitulé (facultatif)",
        max_length=200,
        required=False,
        help_text="Par exemple : « CPTS du Trièves ».",
        widget=forms.TextInput(attrs={"class": "fr-input"}),
    )
    codes = forms.CharField(
        label="Codes INSEE des communes",
        help_text=f"Séparés par des virgules, des espaces ou des retours à la ligne ; {MAX_ADHOC_COMMUNES} communes au plus.",
        widget=forms.Textarea(attrs={"class": "fr-input", "rows": 6, "spellcheck": "false"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.codes_list: list[str] = []

    def clean_codes(self):
        codes = services.parse_commune_codes(self.cleaned_data["codes"])
        services.resolve_communes(user=self.user, codes=codes)
        self.codes_list = codes
        return " ".join(codes)


class BatchForm(forms.Form):
    level = forms.ChoiceField(
        label="Territoires",
        choices=[(Level.EPCI, "tous les EPCI du département"), (Level.COMMUNE, "toutes les communes du département")],
        initial=Level.EPCI,
        widget=forms.Select(attrs={"class": "fr-select"}),
    )

    def clean_level(self):
        level = self.cleaned_data["level"]
        if level not in services.BATCH_LEVELS:
            raise ValidationError("Choisissez les EPCI ou les communes du département.")
        return level
