"""« Et si… ? » pages: the scenario page of a territory, a saved scenario, the method page.

Access: the territory through ``portal.territory.selectors.get_visible_territory`` (404 otherwise); the changes through
``accessibility.scenarios.read_changes`` (communes the user may see, French messages); a saved scenario through
``Scenario.objects.visible_to`` (author; referents of its département once shared). Nothing stored is changed.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from accessibility import selectors as accessibility_selectors
from accessibility.models import MAX_CHANGES, Scenario
from accessibility.scenarios import ACTIONS, ZIP_THRESHOLD, read_changes, simulate
from portal.territory import selectors
from territories.enums import Level
from territories.models import Territory

from .change_map import change_map_svg

ROWS = 5
SELECT = {"class": "fr-select"}
INPUT = {"class": "fr-input"}


class ChangeForm(forms.Form):
    action = forms.ChoiceField(
        label="Changement", choices=[("", "—")] + list(ACTIONS.items()), required=False, widget=forms.Select(SELECT)
    )
    commune = forms.CharField(
        label="Commune (code INSEE)", required=False, max_length=12, widget=forms.TextInput(INPUT)
    )
    count = forms.IntegerField(
        label="Médecins qui partent",
        required=False,
        widget=forms.NumberInput(INPUT),
        help_text="Vide : les médecins de 60 ans ou plus.",
    )
    fte = forms.DecimalField(
        label="ETP installés",
        required=False,
        max_digits=5,
        decimal_places=1,
        widget=forms.NumberInput({**INPUT, "step": "0.1"}),
    )
    from_commune = forms.CharField(
        label="Depuis la commune", required=False, max_length=12, widget=forms.TextInput(INPUT)
    )

    def change(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("action"):
            return None
        change = {"action": data["action"], "commune": data.get("commune") or ""}
        if data.get("count") is not None:
            change["count"] = data["count"]
        if data.get("fte") is not None:
            change["fte"] = float(data["fte"])
        if data.get("from_commune"):
            change["from_commune"] = data["from_commune"]
        return change


ChangeFormSet = forms.formset_factory(ChangeForm, extra=ROWS, max_num=MAX_CHANGES, validate_max=True)


class SaveForm(forms.Form):
    name = forms.CharField(label="Nom du scénario", max_length=200, required=False, widget=forms.TextInput(INPUT))
    shared = forms.BooleanField(label="Partager avec les référents CPAM du département", required=False)


def _crumbs(territory: Territory) -> list:
    return [
        ("Accueil", reverse("portal:home")),
        (territory.name, reverse("portal:territory", args=[territory.level, territory.code])),
    ]


def _department(territory: Territory) -> Territory | None:
    return territory if territory.level == Level.DEPARTMENT else territory.department


def territory_scenario(request, level: str, code: str):
    territory = selectors.get_visible_territory(user=request.user, level=level, code=code)
    formset = ChangeFormSet(request.POST or None, prefix="c")
    save_form = SaveForm(request.POST or None)
    result, errors = None, []
    if request.method == "POST" and formset.is_valid() and save_form.is_valid():
        changes = [c for form in formset for c in [form.change()] if c]
        try:
            result = simulate(read_changes(user=request.user, changes=changes))
        except ValidationError as error:
            errors = error.message_dict.get("changes", error.messages)
        if result is not None and "save" in request.POST:
            name = save_form.cleaned_data["name"].strip()
            department = _department(territory)
            if not name:
                errors = ["Donnez un nom au scénario pour l'enregistrer."]
            elif department is None:
                errors = ["Un scénario s'enregistre sur un département, un EPCI ou une commune."]
            else:
                with transaction.atomic():
                    scenario = Scenario.objects.create(
                        author=request.user,
                        name=name,
                        territory=territory,
                        department=department,
                        changes=changes,
                        is_shared=save_form.cleaned_data["shared"],
                    )
                return redirect("portal:accessibility_scenario", scenario_id=scenario.pk)
    elif request.method == "POST":
        errors = [e for form in formset for field in form.errors.values() for e in field] + formset.non_form_errors()
    saved = Scenario.objects.visible_to(request.user).filter(territory=territory).select_related("author")[:20]
    return render(
        request,
        "accessibility/territory_scenario.html",
        {
            "territory": territory,
            "crumbs": _crumbs(territory),
            "formset": formset,
            "save_form": save_form,
            "result": result,
            "map_svg": change_map_svg(result.rows) if result else "",
            "errors": errors,
            "threshold": ZIP_THRESHOLD,
            "saved": saved,
            "summary": accessibility_selectors.summary(Territory.objects.communes_of(territory)),
        },
    )


def scenario_detail(request, scenario_id):
    scenario = get_object_or_404(
        Scenario.objects.visible_to(request.user).select_related("territory", "author"), pk=scenario_id
    )
    result, errors = None, []
    try:  # the changes are checked again for the reader: a referent sees what lies in their département
        result = simulate(read_changes(user=request.user, changes=scenario.changes))
    except ValidationError as error:
        errors = error.message_dict.get("changes", error.messages)
    return render(
        request,
        "accessibility/scenario_detail.html",
        {
            "scenario": scenario,
            "territory": scenario.territory,
            "crumbs": _crumbs(scenario.territory),
            "result": result,
            "map_svg": change_map_svg(result.rows) if result else "",
            "errors": errors,
            "threshold": ZIP_THRESHOLD,
        },
    )


def method(request):
    return render(
        request,
        "accessibility/method.html",
        {
            "parameters": accessibility_selectors.method_parameters(),
            "differences": accessibility_selectors.DIFFERENCES,
            "threshold": ZIP_THRESHOLD,
        },
    )
