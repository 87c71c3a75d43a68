"""One test per rule of the CPAM Isère booklet (seed 004) that depends on the professional's situation, each
citing its line, on the real catalogue; then the computed amounts, the anti-cumul total and the sources."""

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aids.enums import Beneficiary, CareerStage
from aids.models import Aid, AidTerms
from aids.services.amounts import Profile, ceiling
from aids.services.eligibility import check_eligibility
from aids.services.rules import RULES

from .conftest import IN_2026

pytestmark = pytest.mark.django_db

NBSP, NNBSP = "\xa0", "\u202f"


def euros(text: str) -> str:
    """« 38 000 € » with the French spaces, from « 38 000 € » typed with plain spaces."""
    return re.sub(r"(\d) (\d{3})", rf"\1{NNBSP}\2", text).replace(" €", f"{NBSP}€")


def item(result, slug):
    return next(i for i in result.eligible + result.near_misses if i.aid.slug == slug)


def eligible_slugs(result):
    return {i.aid.slug for i in result.eligible}


def test_cesp_from_the_second_year_of_studies(catalogue):
    """004:L668 « 1 200 € bruts/mois dès la 2e année d'études »: not in first year."""
    w = catalogue

    def cesp(study_year):
        profile = Profile(study_year=study_year, years=2)
        result = check_eligibility(commune=w.zip, beneficiary="medical_student", on=IN_2026, profile=profile)
        return item(result, "cesp")

    first = cesp(1)
    assert not first.eligible and "dès la 2e année d'études" in first.why_not[0]
    assert first.computed_amount is None
    second = cesp(2)
    assert second.eligible and second.computed_amount == Decimal("28800")
    assert second.computation.sentence == euros(
        "1 200 € × 12 mois × 2 ans = 28 800 € (brut, dès la 2e année d'études)."
    )
    assert cesp(None).eligible  # year not given: the rule is a note, never assumed false
    assert "dès la 2e année" in cesp(None).notes[-1]


def test_consultations_avancees_the_home_commune_decides(catalogue):
    """004:L741 « Un médecin installé hors zone sous-dense intervient ponctuellement (demi-journées/journées) en
    ZIP »; L745-746 « 200 € par demi-journée. Plafond : 6 journées/mois »."""
    w = catalogue

    def consult(home, half_days=8, commune=None):
        profile = Profile(home_commune=home, half_days_per_month=half_days, years=1)
        result = check_eligibility(
            commune=commune or w.zip, beneficiary="gp", career_stage="installed", on=IN_2026, profile=profile
        )
        return item(result, "consultations-avancees")

    from_outside = consult(w.hz)
    assert from_outside.eligible and any("installé hors zone sous-dense" in why for why in from_outside.why)
    assert from_outside.computation.sentence == euros(
        "200 € × 8 demi-journées = 1 600 € par mois ; 1 600 € × 12 mois × 1 an = 19 200 €."
    )
    # Installed in a ZIP or a ZAC: not eligible, even consulting in a ZIP.
    assert not consult(w.zac).eligible and "installé en zone sous-dense" in consult(w.zac).why_not[0]
    assert not consult(w.zip).eligible
    assert "non vérifiable" in consult(w.unknown).why_not[0]  # home zoning unknown: never assumed
    # The consultation commune must still be in ZIP.
    assert not consult(w.hz, commune=w.zac).eligible
    # Capped at 6 days a month = 12 half-days.
    capped = consult(w.hz, half_days=20)
    assert capped.computed_amount == Decimal("28800")
    assert "20 demandées, plafond de 12 demi-journées par mois" in capped.computation.sentence


def test_cde_for_newly_installed_doctors_and_replacements(catalogue):
    """004:L677 « Complément de rémunération pour médecins nouvellement installés et remplaçants »."""
    w = catalogue

    def cde(stage, replacement):
        result = check_eligibility(
            commune=w.zac, beneficiary="gp", career_stage=stage, on=IN_2026, profile=Profile(replacement=replacement)
        )
        return item(result, "cde")

    assert cde("first_installation", None).eligible
    assert cde(None, True).eligible and "remplaçant" in cde(None, True).why[-1]
    assert cde("installed", True).eligible
    assert not cde("installed", False).eligible
    assert cde("installed", False).why_not == [
        "Le CDE est réservé aux médecins nouvellement installés et aux remplaçants."
    ]
    assert not cde("retired_working", None).eligible
    assert cde(None, None).eligible and "remplaçants" in cde(None, None).notes[-1]


def test_isere_medecins_for_general_medicine_students_only(catalogue):
    """004:L699 « 56 000 € (sur 3 ans) étudiants MG »: not any specialty."""
    w = catalogue
    gp = check_eligibility(commune=w.zip, beneficiary="gp_student", career_stage="student", on=IN_2026)
    other = check_eligibility(commune=w.zip, beneficiary="medical_student", career_stage="student", on=IN_2026)
    assert "isere-medecins" in eligible_slugs(gp)
    assert item(gp, "isere-medecins").computation.sentence == euros("56 000 € (sur 3 ans).")
    assert "isere-medecins" not in {i.aid.slug for i in other.eligible + other.near_misses}
    assert "cesp" in eligible_slugs(other) and "cesp" in eligible_slugs(gp)


def test_ipa_training_allowance_is_for_nurses_in_training(catalogue):
    """004:L437-438 « Des aides pendant la formation : indemnité forfaitaire (15 000 €) » — for the nurse in
    training, not for a qualified IPA."""
    w = catalogue
    nurse = check_eligibility(commune=w.hz, beneficiary="nurse", career_stage="student", on=IN_2026)
    ipa = check_eligibility(commune=w.hz, beneficiary="ipa", on=IN_2026)
    assert item(nurse, "ipa-formation").computed_amount == Decimal("15000")
    assert "ipa-formation" not in {i.aid.slug for i in ipa.eligible + ipa.near_misses}
    installed_nurse = check_eligibility(commune=w.hz, beneficiary="nurse", career_stage="installed", on=IN_2026)
    assert not item(installed_nurse, "ipa-formation").eligible


def test_cumul_emploi_retraite_before_and_after_1_january_2027(catalogue):
    """004:L628-632 « Avant le 1er janvier 2027 : exercice sans plafond de revenu si retraite à taux plein.
    Sinon, cumul plafonné »; L634-642 « A compter du 1er janvier 2027 » entre l'âge légal et 67 ans, plafond
    annuel « environ 7 000 € »; à partir de 67 ans « cumul intégral sans plafond »."""
    w = catalogue

    def cumul(on, **facts):
        result = check_eligibility(
            commune=w.hz, beneficiary="gp", career_stage="retired_working", on=on, profile=Profile(**facts)
        )
        return item(result, "cumul-emploi-retraite")

    # The rules before 2027 apply to any earlier date, not only from 2026.
    for day in (date(2019, 5, 1), date(2025, 12, 31), date(2026, 12, 31)):
        full = cumul(day, full_rate_pension=True)
        assert full.eligible and "sans plafond de revenu" in full.why[-1]
        assert "cumul plafonné" in cumul(day, full_rate_pension=False).why[-1]
    after = date(2027, 1, 1)
    young = cumul(after, age=64, full_rate_pension=True)
    assert young.eligible and euros("environ 7 000 € par an") in young.computation.sentence
    assert young.computed_amount is None  # a rule, not money received
    old = cumul(after, age=67)
    assert "cumul intégral sans plafond" in old.why[-1]
    assert cumul(after).computation.missing == ["age"]
    assert cumul(after, age=70).terms.valid_from == after


def test_assistant_medical_schedule_by_fte_over_the_years(catalogue):
    """004:L454-458: 0,5 ETP 19 000 / 14 000 / 11 000 €, 1 ETP 38 000 / 28 000 / 22 000 €, « 3e année et
    suivantes »; the headline « jusqu'à 38 000 € par an » is the 1 ETP one."""
    w = catalogue

    def assistant(**facts):
        result = check_eligibility(commune=w.hz, beneficiary="assistant_employer", on=IN_2026, profile=Profile(**facts))
        return item(result, "assistant-medical")

    full = assistant(fte=Decimal("1"), years=3)
    assert full.computed_amount == Decimal("88000")
    assert full.computation.sentence == euros(
        "Jusqu'à 38 000 € + 28 000 € + 22 000 € = 88 000 € sur 3 ans pour 1\xa0ETP (montants maximaux)."
    )
    half = assistant(fte=Decimal("0.5"), years=4)
    assert half.computed_amount == Decimal("19000") + 14000 + 11000 + 11000
    assert half.amount_label == euros("jusqu'à 19 000 € par an pour 0,5\xa0ETP (barème)")
    assert "38" not in half.amount_label
    assert assistant().amount_label == euros("jusqu'à 38 000 € par an pour 1\xa0ETP, 19 000 € pour 0,5\xa0ETP (barème)")
    assert assistant(years=3).computation.missing == ["fte"]
    assert assistant(fte=Decimal("0.7"), years=1).computed_amount is None


def test_isere_material_aid_is_half_the_cost_capped_at_10000(catalogue):
    """004:L706 « 50 % du matériel éligible (plafond 10 000 €) »."""
    w = catalogue

    def material(cost):
        result = check_eligibility(
            commune=w.hz,
            beneficiary="gp",
            career_stage="first_installation",
            on=IN_2026,
            profile=Profile(equipment_cost=cost),
        )
        return item(result, "isere-aide-materielle")

    assert material(Decimal("15000")).computed_amount == Decimal("7500")
    assert material(Decimal("15000")).computation.sentence == euros("50\xa0% × 15 000 € = 7 500 €.")
    capped = material(Decimal("30000"))
    assert capped.computed_amount == Decimal("10000")
    assert capped.computation.sentence == euros("50\xa0% × 30 000 € = 15 000 €, plafonné à 10 000 €.")
    missing = material(None)
    assert missing.computed_amount is None and missing.computation.missing == ["equipment_cost"]


def test_every_rule_quotes_its_booklet_line():
    assert {rule.aid_slug for rule in RULES} == {"cesp", "consultations-avancees", "cde", "cumul-emploi-retraite"}
    for rule in RULES:
        assert re.match(r"004:L\d+", rule.source) and "«" in rule.source


# --- total, anti-cumul, sources ---------------------------------------------------------------------------------


def test_the_total_combines_what_can_be_combined_and_explains_the_rest(catalogue):
    w = catalogue
    profile = Profile(equipment_cost=Decimal("15000"))
    result = check_eligibility(
        commune=w.zip, beneficiary="gp", career_stage="first_installation", on=IN_2026, profile=profile
    )
    total = result.total
    assert {i.aid.slug for i in total.counted} == {"am-primo-installation-zip", "isere-aide-materielle"}
    assert total.amount == Decimal("17500")
    assert total.sentence == euros("10 000 € + 7 500 € = 17 500 €")
    assert any(
        "« Contrat de début d'exercice (CDE) » non comptée : montant non chiffré" in e for e in total.explanations
    )
    # Two aids of the décret's category: only the highest is counted.
    zac = Aid.objects.get(slug="am-primo-installation-zac")
    zac.zoning_condition = "zip_or_zac"
    zac.save()
    both = check_eligibility(commune=w.zip, beneficiary="gp", career_stage="first_installation", on=IN_2026)
    assert {i.aid.slug for i in both.total.counted} == {"am-primo-installation-zip"}
    assert any("ne se cumule pas avec" in e and "2025-231" in e for e in both.total.explanations)


def test_users_see_clean_sources_and_the_paps_of_the_commune_region(catalogue):
    w = catalogue
    for aid in Aid.objects.all():
        for text in [aid.public_source] + [t.public_source for t in AidTerms.objects.filter(aid=aid)]:
            assert text and not re.search(r"ANCHORS|seed|\.md|\bL\d|\b004\b", text), text
    assert Aid.objects.get(slug="cesp").public_source == "Livret CPAM de l'Isère, 2026, p. 25-27"
    assert Aid.objects.get(slug="assistant-medical").public_source == "Livret CPAM de l'Isère, 2026, p. 19-24"
    primo = AidTerms.objects.get(aid__slug="am-primo-installation-zip", valid_from=date(2025, 1, 1))
    assert primo.public_source == "PAPS Pays de la Loire"
    result = check_eligibility(commune=w.zip, beneficiary="gp", on=IN_2026)
    assert result.paps.url == "https://www.auvergne-rhone-alpes.paps.sante.fr" and result.paps.regional


# --- properties -------------------------------------------------------------------------------------------------

profiles = st.builds(
    Profile,
    study_year=st.one_of(st.none(), st.integers(1, 12)),
    fte=st.one_of(st.none(), st.sampled_from([Decimal("0.5"), Decimal("1")])),
    years=st.one_of(st.none(), st.integers(1, 10)),
    equipment_cost=st.one_of(st.none(), st.decimals(0, 1_000_000, places=2)),
    half_days_per_month=st.one_of(st.none(), st.integers(0, 62)),
    age=st.one_of(st.none(), st.integers(55, 80)),
    full_rate_pension=st.one_of(st.none(), st.booleans()),
    replacement=st.one_of(st.none(), st.booleans()),
)


@given(
    profile=profiles,
    beneficiary=st.sampled_from(Beneficiary.values),
    stage=st.one_of(st.none(), st.sampled_from(CareerStage.values)),
    on=st.dates(date(2024, 6, 1), date(2028, 12, 31)),
    home=st.sampled_from([None, "hz", "zip", "unknown"]),
)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_amount_properties(catalogue, profile, beneficiary, stage, on, home):
    """A computed amount never exceeds the aid's cap; adding a year never lowers a total; an ineligible
    profile never gets an amount."""
    w = catalogue
    if home:
        profile = replace(profile, home_commune=getattr(w, home))

    def run(p):
        return check_eligibility(commune=w.zip, beneficiary=beneficiary, career_stage=stage, on=on, profile=p)

    result = run(profile)
    for aid in result.eligible:
        if aid.computed_amount is not None:
            most = ceiling(aid.terms, years=profile.years or 1)
            assert most is not None and Decimal(0) <= aid.computed_amount <= most
    for aid in result.near_misses:
        assert aid.computed_amount is None and aid.computation is None
    assert result.total.amount == sum((i.computed_amount for i in result.total.counted), Decimal(0))
    if profile.years is not None:
        longer = run(replace(profile, years=profile.years + 1))
        assert longer.total.amount >= result.total.amount
        by_slug = {i.aid.slug: i.computed_amount for i in longer.eligible}
        for aid in result.eligible:
            if aid.computed_amount is not None:
                assert by_slug[aid.aid.slug] >= aid.computed_amount
