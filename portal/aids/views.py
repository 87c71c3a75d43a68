"""Pages of the installation aids: the aids of a territory with the eligibility simulator, and the catalogue.

Access: the territory goes through ``selectors.get_visible_territory`` (404 when not visible), the simulator's
commune must be one of the territory's. Each page runs a constant number of queries whatever the territory's
size: the summary counts communes by zone in aggregate queries (``aids.services.eligibility``).
"""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from aids.enums import Beneficiary, CareerStage
from aids.services.eligibility import AidsSummary, active_aids, aids_for_territory, check_eligibility
from aids.services.profile import relevant_fields
from portal.aids.forms import AidSimulatorForm
from portal.territory import selectors
from territories.enums import Level
from territories.models import Territory

# Levels whose communes are listed in the simulator (a département has at most ~900); above, the code is typed.
LISTED_LEVELS = (Level.COMMUNE, Level.EPCI, Level.DEPARTMENT, Level.IRIS)
# profession → stage ("" = any) → the profile fields shown (read by static/aids/simulator.js).
PROFILE_FIELDS_BY_CHOICE = {
    b: {s: relevant_fields(b, s or None) for s in ["", *CareerStage.values]} for b in Beneficiary.values
}


def territory_panel(territory: Territory) -> AidsSummary:
    """The summary shown on the territory page (aids in force today)."""
    return aids_for_territory(territory, timezone.localdate())


def _simulator_form(request, territory: Territory, communes, today) -> AidSimulatorForm:
    """The simulator form, bound once a profession is submitted; the communes listed when there are few."""
    choices = None
    if territory.level in LISTED_LEVELS:
        choices = list(communes.order_by("name", "code").values_list("code", "name"))
    initial = {"date": today, **({"commune": territory.code} if territory.level == Level.COMMUNE else {})}
    return AidSimulatorForm(
        request.GET if "profession" in request.GET else None,
        initial=initial,
        communes=communes,
        commune_choices=choices,
        home_communes=Territory.objects.filter(level=Level.COMMUNE),
    )


def territory_aids(request, level: str, code: str):
    """Aids mobilisables on the territory, by beneficiary, and the eligibility simulator (GET form)."""
    territory = selectors.get_visible_territory(user=request.user, level=level, code=code)
    on = timezone.localdate()
    form = _simulator_form(request, territory, Territory.objects.communes_of(territory), on)
    result = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        on = data["date"]
        result = check_eligibility(
            commune=data["commune"],
            beneficiary=data["profession"],
            career_stage=data["etape"] or None,
            on=on,
            recent_installation_aid=data["aide_recente"],
            profile=data["profile"],
        )
    crumbs = [
        ("Accueil", reverse("portal:home")),
        (territory.name, reverse("portal:territory", args=[territory.level, territory.code])),
    ]
    context = {"territory": territory, "form": form, "result": result, "crumbs": crumbs}
    context |= {"summary": aids_for_territory(territory, on), "profile_fields_by_choice": PROFILE_FIELDS_BY_CHOICE}
    return render(request, "aids/territory_aids.html", context)


def aids_catalogue(request):
    """Every active aid with all its terms (en vigueur, à venir, expirées) and its source."""
    today = timezone.localdate()
    aids = active_aids()
    for aid in aids:
        aid.terms_with_status = [(terms, terms.status(today)) for terms in aid.all_terms]
    return render(request, "aids/catalogue.html", {"aids": aids, "today": today})
