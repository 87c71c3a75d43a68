"""Forms of the project and offer pages. They only shape input: rules and French errors live in
``projects.services`` (and come back onto these forms by field)."""

from __future__ import annotations

from django import forms
from django.db.models import Q

from aids.models import Aid
from portal.accounts.enums import ReferentDomain, Role
from portal.accounts.models import User
from projects.enums import AidStatus, HousingAudience, OfferKind, ProjectKind, ProjectStage
from territories.enums import Level
from territories.models import Territory

TEXT = {"class": "fr-input"}
SELECT = {"class": "fr-select"}


def scoped_communes(user, territory: Territory | None = None):
    """The communes an élu acts on: their commune, or the communes of their EPCI."""
    territory = territory or user.territory
    if territory is None:
        return Territory.objects.none()
    return Territory.objects.communes_of(territory).order_by("name", "code")


class ProjectForm(forms.Form):
    name = forms.CharField(label="Nom du projet", max_length=200, widget=forms.TextInput(TEXT))
    kind = forms.ChoiceField(label="Type", choices=ProjectKind.choices, widget=forms.Select(SELECT))
    porteur = forms.CharField(
        label="Porteur",
        max_length=200,
        help_text="Ex. : la commune, une association de professionnels, une SISA.",
        widget=forms.TextInput(TEXT),
    )
    commune = forms.ModelChoiceField(
        label="Commune d'implantation",
        queryset=Territory.objects.communes(),
        required=False,
        empty_label="À préciser",
        help_text="Obligatoire à l'ouverture.",
        widget=forms.Select(SELECT),
    )
    blockers = forms.CharField(
        label="Points de blocage", required=False, widget=forms.Textarea({**TEXT, "rows": 3}), max_length=3000
    )

    def __init__(self, *args, territory: Territory, **kwargs):
        super().__init__(*args, **kwargs)
        # Rendered choices: the territory's communes; any commune validates, the service says « hors territoire ».
        self.fields["commune"].choices = [("", "À préciser")] + [
            (c.pk, c.name) for c in scoped_communes(None, territory)
        ]


class StageForm(forms.Form):
    stage = forms.ChoiceField(label="Nouveau stade", choices=ProjectStage.choices, widget=forms.Select(SELECT))
    reason = forms.CharField(
        label="Motif",
        required=False,
        max_length=2000,
        help_text="Obligatoire pour revenir à un stade antérieur.",
        widget=forms.Textarea({**TEXT, "rows": 2}),
    )


def owner_choices(project) -> list[tuple[str, str]]:
    """The people who may own a next step: the élus of the project's territory and the referents who follow
    projects in its département (one query)."""
    elus = Q(role=Role.ELU, territory_id__in=[pk for pk in (project.territory_id, project.epci_id) if pk])
    referents = Q(role=Role.REFERENT, department_id=project.department_id)
    users = User.objects.filter(elus | referents, is_active=True).order_by("last_name", "first_name", "email")
    return [("", "Personne en particulier")] + [
        (str(u.pk), f"{u.get_full_name() or u.email} ({u.get_role_display()})")
        for u in users
        if u.role == Role.ELU or ReferentDomain.EXERCICE_COORDONNE in (u.referent_domains or [])
    ]


class NextStepForm(forms.Form):
    next_step = forms.CharField(label="Prochaine étape", required=False, max_length=300, widget=forms.TextInput(TEXT))
    owner = forms.TypedChoiceField(label="Responsable", required=False, coerce=int, widget=forms.Select(SELECT))
    due_on = forms.DateField(
        label="Pour le", required=False, widget=forms.DateInput({**TEXT, "type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = owner_choices(project)

    def clean_owner(self):
        pk = self.cleaned_data.get("owner")
        return User.objects.filter(pk=pk).first() if pk else None


class AidForm(forms.Form):
    aid = forms.ModelChoiceField(
        label="Aide du catalogue",
        queryset=Aid.objects.filter(is_active=True).order_by("position", "name"),
        widget=forms.Select(SELECT),
    )
    status = forms.ChoiceField(label="État", choices=AidStatus.choices, widget=forms.Select(SELECT))
    amount = forms.DecimalField(
        label="Montant (€)", required=False, max_digits=10, decimal_places=2, widget=forms.NumberInput(TEXT)
    )


class DocumentForm(forms.Form):
    title = forms.CharField(label="Titre", max_length=200, widget=forms.TextInput(TEXT))
    url = forms.CharField(
        label="Lien dans le portail",
        max_length=500,
        help_text="Ex. : /documents/… (fiche territoire générée, scénario).",
        widget=forms.TextInput(TEXT),
    )


class OfferForm(forms.Form):
    kind = forms.ChoiceField(label="Type d'offre", choices=OfferKind.choices, widget=forms.Select(SELECT))
    title = forms.CharField(label="Titre", max_length=200, widget=forms.TextInput(TEXT))
    commune = forms.ModelChoiceField(
        label="Commune", queryset=Territory.objects.filter(level=Level.COMMUNE), widget=forms.Select(SELECT)
    )
    address = forms.CharField(label="Adresse", max_length=200, required=False, widget=forms.TextInput(TEXT))
    surface_m2 = forms.DecimalField(
        label="Surface (m²)", max_digits=7, decimal_places=1, widget=forms.NumberInput({**TEXT, "step": "0.1"})
    )
    rooms = forms.IntegerField(
        label="Nombre de pièces ou de cabinets", min_value=0, max_value=500, widget=forms.NumberInput(TEXT)
    )
    rent_eur = forms.DecimalField(
        label="Loyer mensuel (€)",
        required=False,
        max_digits=9,
        decimal_places=2,
        help_text="Vide : à négocier.",
        widget=forms.NumberInput(TEXT),
    )
    accessible = forms.BooleanField(label="Accessible aux personnes à mobilité réduite", required=False)
    accessibility_note = forms.CharField(
        label="Accessibilité : précisions", max_length=300, required=False, widget=forms.TextInput(TEXT)
    )
    audience = forms.ChoiceField(
        label="Logement pour",
        choices=[("", "—")] + HousingAudience.choices,
        required=False,
        help_text="Logement seulement.",
        widget=forms.Select(SELECT),
    )
    available_from = forms.DateField(
        label="Disponible à partir du", widget=forms.DateInput({**TEXT, "type": "date"}, format="%Y-%m-%d")
    )
    description = forms.CharField(
        label="Description", required=False, max_length=3000, widget=forms.Textarea({**TEXT, "rows": 4})
    )
    contact = forms.CharField(
        label="Contact", max_length=300, help_text="Personne à contacter, téléphone.", widget=forms.TextInput(TEXT)
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].choices = [(c.pk, c.name) for c in scoped_communes(user)]
