"""The eligibility engine and the territory summary: concrete cases from the booklet, properties, query counts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aids.enums import ZONES_REQUIRED, AmountKind, Beneficiary, CareerStage, ZoningCondition
from aids.models import Aid, AidTerms
from aids.services.eligibility import (
    aids_for_territory,
    aids_summary,
    check_eligibility,
    eligible_aids,
    evaluate,
    pick_terms,
)
from territories.enums import Profession, Zone
from territories.models import Territory, Zoning
from tests.factories import build_hierarchy

from .conftest import BEFORE_2026, IN_2026, zone

pytestmark = pytest.mark.django_db

NBSP = "\xa0"
NNBSP = "\u202f"


def slugs(items):
    return [item.aid.slug for item in items]


def by_slug(items, slug):
    return next(item for item in items if item.aid.slug == slug)


def test_first_installation_in_zip_zac_and_outside_the_zones(catalogue):
    w = catalogue
    kwargs = {"beneficiary": "gp", "career_stage": "first_installation", "on": IN_2026}
    in_zip = check_eligibility(commune=w.zip, **kwargs)
    assert "am-primo-installation-zip" in slugs(in_zip.eligible)
    assert "am-primo-installation-zac" not in slugs(in_zip.eligible)
    item = by_slug(in_zip.eligible, "am-primo-installation-zip")
    assert item.amount_label == f"10{NNBSP}000{NBSP}€ (forfait unique)"
    assert "Commune en ZIP : condition « en ZIP uniquement » remplie." in item.why
    assert any("décret n° 2025-231" in note for note in item.notes)
    miss = by_slug(in_zip.near_misses, "am-primo-installation-zac")
    assert miss.why_not == ["Commune en ZIP à cette date : aide accordée en ZAC uniquement."]
    assert "Commune en ZIP pour les médecins généralistes le 2 mars 2026 (Arrêté ARS de test)" in in_zip.zone_label

    in_zac = check_eligibility(commune=w.zac, **kwargs)
    assert by_slug(in_zac.eligible, "am-primo-installation-zac").amount_label.startswith(f"5{NNBSP}000{NBSP}€")
    assert "am-primo-installation-zip" in slugs(in_zac.near_misses)

    outside = check_eligibility(commune=w.hz, **kwargs)
    assert not {"am-primo-installation-zip", "am-primo-installation-zac", "cde"} & set(slugs(outside.eligible))
    assert by_slug(outside.near_misses, "cde").why_not == [
        "Commune hors zone à cette date : aide accordée en ZIP ou en ZAC."
    ]
    # Aids whose zoning is not a condition remain.
    assert "isere-aide-materielle" in slugs(outside.eligible)

    unknown = check_eligibility(commune=w.unknown, **kwargs)
    assert "am-primo-installation-zip" not in slugs(unknown.eligible)
    assert "non vérifiable" in by_slug(unknown.near_misses, "am-primo-installation-zip").why_not[0]
    assert unknown.zoning is None and "non renseigné" in unknown.zone_label


def test_the_terms_switch_on_1_january_2026(catalogue):
    w = catalogue
    before = check_eligibility(commune=w.zip, beneficiary="gp", on=date(2025, 12, 31))
    after = check_eligibility(commune=w.zip, beneficiary="gp", on=date(2026, 1, 1))
    old = by_slug(before.eligible, "am-primo-installation-zip")
    new = by_slug(after.eligible, "am-primo-installation-zip")
    assert old.terms.amount == Decimal("50000") and "jusqu'à 50" in old.amount_label and "CAIM" in old.amount_label
    assert new.terms.amount == Decimal("10000")
    # The ZAC aid only exists from 2026: in 2025 it is a near miss that says when it starts.
    zac = by_slug(
        check_eligibility(commune=w.zac, beneficiary="gp", on=BEFORE_2026).near_misses, "am-primo-installation-zac"
    )
    assert zac.terms is None
    assert zac.why_not == ["Aucun montant en vigueur le 15 juin 2025 : montants connus à partir du 1er janvier 2026."]


def test_territorial_aids_only_in_their_perimeter(catalogue):
    w = catalogue
    isere = check_eligibility(commune=w.zip, beneficiary="gp_student", on=IN_2026)
    savoie = check_eligibility(commune=w.savoie_zip, beneficiary="gp_student", on=IN_2026)
    assert set(slugs(isere.eligible)) == {"cesp", "isere-medecins"}
    assert slugs(savoie.eligible) == ["cesp"]
    assert "isere-medecins" not in slugs(savoie.near_misses)  # not a near miss: another territory's aid
    assert by_slug(isere.eligible, "isere-medecins").amount_label == f"56{NNBSP}000{NBSP}€ (sur 3 ans)"


def test_career_stage_and_anti_cumul(catalogue):
    w = catalogue
    installed = check_eligibility(commune=w.zip, beneficiary="gp", career_stage="installed", on=IN_2026)
    assert {"am-cabinet-secondaire-zip", "consultations-avancees"} <= set(slugs(installed.eligible))
    assert by_slug(installed.near_misses, "am-primo-installation-zip").why_not == [
        "Réservée à : primo-installation (étape choisie : déjà installé)."
    ]
    any_stage = check_eligibility(commune=w.zip, beneficiary="gp", on=IN_2026)
    assert "Réservée à : primo-installation." in by_slug(any_stage.eligible, "am-primo-installation-zip").notes
    recent = check_eligibility(
        commune=w.zip, beneficiary="gp", career_stage="first_installation", on=IN_2026, recent_installation_aid=True
    )
    reason = by_slug(recent.near_misses, "am-primo-installation-zip").why_not[0]
    assert reason.startswith("Une aide à l'installation de même catégorie a déjà été perçue il y a moins de 10 ans")
    assert "cde" in slugs(recent.eligible)  # no anti-cumul rule on it


def test_non_profession_beneficiaries_use_the_zoning_of_their_profession(catalogue):
    w = catalogue
    # IPA are read on the nurses' zoning: none is loaded here, so the GP ZIP does not count for them.
    ipa = check_eligibility(commune=w.zip, beneficiary="ipa", career_stage="first_installation", on=IN_2026)
    assert ipa.zoning is None and "infirmiers" in ipa.zone_label
    assert set(slugs(ipa.eligible)) == {"ipa-installation-liberale", "isere-infirmier-ipa"}
    zone(w.zip, Zone.ZAC, profession=Profession.NURSE)
    ipa = check_eligibility(commune=w.zip, beneficiary="ipa", on=IN_2026)
    assert ipa.zoning.zone == Zone.ZAC
    structure = check_eligibility(commune=w.zip, beneficiary="structure", on=IN_2026)
    assert structure.zoning.profession == Profession.GP
    assert set(slugs(structure.eligible)) == {"france-sante", "isere-esp-immobilier"}
    employer = eligible_aids(commune=w.hz, beneficiary="assistant_employer", on=IN_2026)
    assert slugs(employer) == ["assistant-medical"]
    assert employer[0].terms.schedule_rows == [
        (f"0,5{NBSP}ETP", [f"19{NNBSP}000{NBSP}€", f"14{NNBSP}000{NBSP}€", f"11{NNBSP}000{NBSP}€"]),
        (f"1{NBSP}ETP", [f"38{NNBSP}000{NBSP}€", f"28{NNBSP}000{NBSP}€", f"22{NNBSP}000{NBSP}€"]),
    ]


def test_inactive_aids_and_bad_arguments(catalogue):
    w = catalogue
    Aid.objects.filter(slug="cesp").update(is_active=False)
    assert "cesp" not in slugs(eligible_aids(commune=w.zip, beneficiary="medical_student", on=IN_2026))
    with pytest.raises(ValueError, match="Bénéficiaire inconnu"):
        check_eligibility(commune=w.zip, beneficiary="astronaute", on=IN_2026)
    with pytest.raises(ValueError, match="commune"):
        check_eligibility(commune=w.epci, beneficiary="gp", on=IN_2026)


def test_territory_summary_counts_communes_by_zone(catalogue):
    w = catalogue
    summary = aids_for_territory(w.epci, IN_2026)
    population = sum(c.population for c in (w.zip, w.zac, w.hz, w.unknown))
    assert (summary.communes, summary.population) == (4, population)
    gp = next(g for g in summary.groups if g.beneficiary == "gp")
    lines = {line.aid.slug: line for line in gp.aids}
    assert (lines["am-primo-installation-zip"].communes, lines["am-primo-installation-zip"].population) == (
        1,
        w.zip.population,
    )
    assert lines["am-primo-installation-zac"].communes == 1
    assert lines["cde"].communes == 2 and lines["cde"].population == w.zip.population + w.zac.population
    assert lines["isere-aide-materielle"].communes == 4
    assert [(z.zone, z.communes) for z in gp.zones] == [("zip", 1), ("zac", 1), ("none", 1), ("unknown", 1)]
    assert not summary.demo_zoning
    Zoning.objects.filter(commune=w.zip).update(is_demo=True)
    assert aids_for_territory(w.epci, IN_2026).demo_zoning
    # Savoie: no Isère aid at all; the région sees Isère aids for Isère communes only.
    savoie = aids_for_territory(w.savoie_epci, IN_2026)
    assert not any(line.aid.funder_territory_id for g in savoie.groups for line in g.aids)
    region = aids_for_territory(w.region, IN_2026)
    student = {line.aid.slug: line for line in next(g for g in region.groups if g.beneficiary == "gp_student").aids}
    assert (student["isere-medecins"].communes, student["cesp"].communes) == (4, 5)
    region_gp = {line.aid.slug: line.communes for line in next(g for g in region.groups if g.beneficiary == "gp").aids}
    assert region_gp["am-primo-installation-zip"] == 2  # one in Isère, one in Savoie
    # Before 2026: only the terms then in force (the CAIM, no ZAC aid).
    old = {line.aid.slug for g in aids_for_territory(w.epci, BEFORE_2026).groups for line in g.aids}
    assert old == {"am-primo-installation-zip", "cumul-emploi-retraite"}  # the rules before 2027 (004:L628)


def test_query_counts_do_not_depend_on_the_territory_size(catalogue, django_assert_num_queries):
    w = catalogue
    large = build_hierarchy(department=w.isere, communes=40, with_geometry=False)
    for index, commune in enumerate(large.communes):
        zone(commune, [Zone.ZIP, Zone.ZAC, Zone.NONE][index % 3])
    for territory in (w.epci, large.epci, w.isere, w.region):
        with django_assert_num_queries(2):
            summary = aids_for_territory(territory, IN_2026)
        assert summary.groups
    with django_assert_num_queries(3):
        check_eligibility(commune=large.communes[0], beneficiary="gp", on=IN_2026)
    assert aids_for_territory(large.epci, IN_2026).communes == 40


def test_communes_of_every_level(world):
    w = world
    assert set(Territory.objects.communes_of(w.epci)) == {w.zip, w.zac, w.hz, w.unknown}
    assert set(Territory.objects.communes_of(w.isere)) == {w.zip, w.zac, w.hz, w.unknown}
    assert set(Territory.objects.communes_of(w.region)) == {w.zip, w.zac, w.hz, w.unknown, w.savoie_zip}
    assert list(Territory.objects.communes_of(w.zip)) == [w.zip]


def test_summary_of_an_adhoc_set_of_communes(catalogue):
    w = catalogue
    summary = aids_summary(
        communes=Territory.objects.communes_of(w.region).filter(pk__in=[w.zip.pk, w.savoie_zip.pk]), on=IN_2026
    )
    student = {
        line.aid.slug: line.communes for line in next(g for g in summary.groups if g.beneficiary == "gp_student").aids
    }
    assert student == {"cesp": 2, "isere-medecins": 1}


# --- properties -------------------------------------------------------------------------------------------------

days = st.dates(min_value=date(2023, 1, 1), max_value=date(2029, 12, 31))
zones = st.sampled_from([Zone.ZIP, Zone.ZAC, Zone.NONE, None])


@st.composite
def term_lists(draw):
    """Non-overlapping terms (unsaved), some open-ended, with non-negative amounts."""
    start = draw(days)
    terms = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        length = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=800)))
        end = None if length is None else start + timedelta(days=length)
        kind = draw(st.sampled_from([k for k in AmountKind.values if k != AmountKind.UNSPECIFIED]))
        amount = draw(st.decimals(min_value=0, max_value=100 if kind == AmountKind.PERCENT else 10**6, places=2))
        terms.append(AidTerms(valid_from=start, valid_until=end, amount_kind=kind, amount=amount, cap=Decimal(100)))
        if end is None:
            break
        start = end + timedelta(days=draw(st.integers(min_value=1, max_value=400)))
    return terms


@given(
    condition=st.sampled_from(ZoningCondition.values),
    stages=st.lists(st.sampled_from(CareerStage.values), unique=True),
    terms=term_lists(),
    zone_value=zones,
    stage=st.one_of(st.none(), st.sampled_from(CareerStage.values)),
    on=days,
    recent=st.booleans(),
    once=st.one_of(st.none(), st.integers(min_value=1, max_value=15)),
)
@settings(max_examples=300, deadline=None)
def test_evaluate_properties(condition, stages, terms, zone_value, stage, on, recent, once):
    aid = Aid(name="Aide", zoning_condition=condition, career_stages=stages, beneficiaries=["gp"], once_per_years=once)
    zoning = None if zone_value is None else Zoning(zone=zone_value, profession="gp", valid_from=date(2020, 1, 1))
    result = evaluate(
        aid, terms=terms, zoning=zoning, beneficiary="gp", career_stage=stage, on=on, recent_installation_aid=recent
    )
    # Terms outside their validity are never used; terms in force are always found.
    if result.terms is not None:
        assert result.terms.valid_from <= on and (result.terms.valid_until is None or on <= result.terms.valid_until)
    assert (result.terms is None) == (pick_terms(terms, on) is None)
    if result.eligible:
        assert result.terms is not None
        required = ZONES_REQUIRED[condition]
        # A zoning condition is never assumed: eligible means the commune is in a required zone.
        if required is not None:
            assert zoning is not None and zoning.zone in required
        if condition == ZoningCondition.ZIP:
            assert zoning.zone == Zone.ZIP
        if stage is not None and stages:
            assert stage in stages
        assert not (recent and once)
        assert "-" not in result.amount_label.replace("demi-journée", "").replace("jusqu'à", "")
    else:
        assert result.why_not


@given(amount=st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_amounts_are_never_negative_in_the_database(world, amount):
    from django.db import IntegrityError, transaction

    aid = Aid.objects.get_or_create(
        slug="propriete",
        defaults={"name": "P", "funder": "ars", "beneficiaries": ["gp"], "description": "-", "source": "-"},
    )[0]
    AidTerms.objects.filter(aid=aid).delete()
    try:
        with transaction.atomic():
            AidTerms.objects.create(aid=aid, valid_from=date(2026, 1, 1), amount_kind="one_off", amount=amount)
        stored = True
    except IntegrityError:
        stored = False
    assert stored == (amount >= 0)


@given(
    zone_value=st.sampled_from([Zone.ZIP, Zone.ZAC, Zone.NONE]),
    on=days,
    beneficiary=st.sampled_from(Beneficiary.values),
    stage=st.one_of(st.none(), st.sampled_from(CareerStage.values)),
)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_engine_properties_on_the_real_catalogue(catalogue, zone_value, on, beneficiary, stage):
    w = catalogue
    Zoning.objects.filter(commune=w.zip).update(zone=zone_value)
    result = check_eligibility(commune=w.zip, beneficiary=beneficiary, career_stage=stage, on=on)
    for item in result.eligible:
        assert item.terms.is_in_force(on) and item.terms.valid_from <= on
        assert item.terms.amount is None or item.terms.amount >= 0
        assert beneficiary in item.aid.beneficiaries
        if item.aid.zoning_condition == ZoningCondition.ZIP:
            assert result.zoning is not None and result.zoning.zone == Zone.ZIP
        if zone_value == Zone.NONE and beneficiary in ("gp", "medical_student", "structure", "assistant_employer"):
            assert item.aid.zoning_condition not in (
                ZoningCondition.ZIP,
                ZoningCondition.ZAC,
                ZoningCondition.ZIP_OR_ZAC,
            )
    for item in result.near_misses:
        assert item.why_not and (item.terms is None or item.terms.is_in_force(on))
    zip_aid = [i for i in result.eligible if i.aid.slug == "am-primo-installation-zip"]
    if zip_aid:
        expected = Decimal("50000") if on < date(2026, 1, 1) else Decimal("10000")
        assert zip_aid[0].terms.amount == expected
