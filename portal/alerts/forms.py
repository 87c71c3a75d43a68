"""Forms and filters of the early-warning signals pages (French labels and error messages)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q

from territories.enums import Level, ReportedSignalKind, ReportedSignalStatus, Theme
from territories.models import Territory
from territories.services.signals import REPORTED_TEXT_MAX


class ReportedSignalForm(forms.Form):
    kind = forms.ChoiceField(
        label="Nature du signal",
        choices=[("", "Choisissez la nature du signal")] + ReportedSignalKind.choices,
        widget=forms.Select(attrs={"class": "fr-select"}),
        error_messages={
            "required": "Choisissez la nature du signal.",
            "invalid_choice": "Choisissez une nature de signal dans la liste.",
        },
    )
    text = forms.CharField(
        label="Description",
        help_text="Ce que vous avez constaté : qui, quoi, depuis quand (pas de données de santé nominatives).",
        max_length=REPORTED_TEXT_MAX,
        widget=forms.Textarea(attrs={"class": "fr-input", "rows": 5}),
        error_messages={
            "required": "Décrivez la situation constatée.",
            "max_length": "La description ne doit pas dépasser %(limit_value)d caractères (actuellement %(show_value)d).",
        },
    )

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if len(text) < 10:
            raise forms.ValidationError("Décrivez la situation en quelques mots (10 caractères au moins).")
        return text


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label="Statut",
        choices=ReportedSignalStatus.choices,
        widget=forms.Select(attrs={"class": "fr-select"}),
        error_messages={"required": "Choisissez un statut.", "invalid_choice": "Statut inconnu."},
    )


class HighestLevel:
    ALERT = "alerte"
    VIGILANCE = "vigilance"
    NONE = "aucun"
    CHOICES = [
        (ALERT, "au moins une alerte"),
        (VIGILANCE, "vigilance (sans alerte)"),
        (NONE, "aucun signal"),
    ]


class CpamTerritoryFilter(django_filters.FilterSet):
    """Filters of the referent's territories list; the queryset carries ``n_alert``/``n_vigilance`` annotations.

    ``theme`` is applied twice: by ``territories_by_signal_level`` to the counts, and here to keep only
    territories with at least one signal of that theme.
    """

    epci = django_filters.ModelChoiceFilter(
        label="Intercommunalité (EPCI)",
        queryset=Territory.objects.none(),
        method="filter_epci",
        empty_label="Toutes",
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    niveau = django_filters.ChoiceFilter(
        label="Niveau",
        choices=HighestLevel.CHOICES,
        method="filter_level",
        empty_label="Tous",
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    theme = django_filters.ChoiceFilter(
        label="Thème de la règle",
        choices=Theme.choices,
        method="filter_theme",
        empty_label="Tous",
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    type = django_filters.ChoiceFilter(
        label="Type de territoire",
        choices=[(Level.COMMUNE, "communes"), (Level.EPCI, "intercommunalités (EPCI)")],
        field_name="level",
        empty_label="Communes et EPCI",
        widget=forms.Select(attrs={"class": "fr-select"}),
    )

    class Meta:
        model = Territory
        fields = []

    def __init__(self, *args, department: Territory | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        epcis = (
            Territory.objects.filter(level=Level.EPCI, department=department)
            if department
            else Territory.objects.none()
        )
        self.filters["epci"].queryset = epcis.order_by("name", "code")
        self.form.fields["epci"].error_messages["invalid_choice"] = "Choisissez une intercommunalité de la liste."

    def filter_epci(self, queryset, name, value):
        return queryset.filter(Q(epci=value) | Q(pk=value.pk)) if value else queryset

    def filter_level(self, queryset, name, value):
        if value == HighestLevel.ALERT:
            return queryset.filter(n_alert__gt=0)
        if value == HighestLevel.VIGILANCE:
            return queryset.filter(n_alert=0, n_vigilance__gt=0)
        if value == HighestLevel.NONE:
            return queryset.filter(n_alert=0, n_vigilance=0)
        return queryset

    def filter_theme(self, queryset, name, value):
        return queryset.filter(Q(n_alert__gt=0) | Q(n_vigilance__gt=0)) if value else queryset
