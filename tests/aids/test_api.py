"""API: the catalogue with the terms in force on a date, eligibility, 400 / 404 with French messages, schema."""

import pytest
from django.urls import reverse

from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

LIST = "/api/aides/"
ELIGIBILITY = "/api/aides/eligibilite/"


def test_urls_are_the_documented_ones():
    assert reverse("aid-list") == LIST and reverse("aid-eligibility") == ELIGIBILITY


def test_catalogue_with_terms_in_force_on_the_date(catalogue, client):
    client.force_login(catalogue.elu_zip)
    data = client.get(LIST, {"date": "2025-06-15"}).json()
    assert data["date"] == "2025-06-15"
    aids = {a["slug"]: a for a in data["aids"]}
    assert len(aids) == 17
    assert aids["am-primo-installation-zip"]["terms"]["amount"] == "50000.00"
    assert aids["am-primo-installation-zac"]["terms"] is None  # starts in 2026
    data = client.get(LIST, {"date": "2026-01-01"}).json()
    aids = {a["slug"]: a for a in data["aids"]}
    zip_terms = aids["am-primo-installation-zip"]["terms"]
    assert zip_terms["amount"] == "10000.00" and zip_terms["amount_kind"] == "one_off"
    assert zip_terms["amount_label"] == "10\u202f000\xa0€ (forfait unique)"
    assert aids["isere-medecins"]["funder_territory"] == {"level": "department", "code": "38", "name": "Isère"}
    assert aids["cesp"]["funder_territory"] is None
    assert client.get(LIST).status_code == 200  # today by default


def test_eligibility(catalogue, client):
    w = catalogue
    client.force_login(w.elu_epci)
    response = client.get(
        ELIGIBILITY,
        {"commune": w.zip.code, "profession": "gp", "date": "2026-03-02", "career_stage": "first_installation"},
    )
    assert response.status_code == 200
    data = response.json()
    assert data["commune"]["code"] == w.zip.code and data["zoning"]["zone"] == "zip"
    eligible = {e["aid"]["slug"]: e for e in data["eligible"]}
    assert eligible["am-primo-installation-zip"]["terms"]["amount"] == "10000.00"
    assert "Commune en ZIP : condition « en ZIP uniquement » remplie." in eligible["am-primo-installation-zip"]["why"]
    misses = {e["aid"]["slug"]: e for e in data["near_misses"]}
    assert misses["am-primo-installation-zac"]["why_not"] == [
        "Commune en ZIP à cette date : aide accordée en ZAC uniquement."
    ]
    assert misses["am-primo-installation-zac"]["eligible"] is False


@pytest.mark.parametrize(
    "params, message",
    [
        ({"profession": "gp"}, "Paramètre « commune » obligatoire"),
        ({"commune": "3822", "profession": "gp"}, "Code INSEE de commune invalide"),
        ({"commune": "C", "profession": "astronaute"}, "Profession ou bénéficiaire inconnu : « astronaute »."),
        ({"commune": "C"}, "Paramètre « profession » obligatoire"),
        ({"commune": "C", "profession": "gp", "date": "2026-02-30"}, "Date invalide : « 2026-02-30 »"),
        ({"commune": "C", "profession": "gp", "date": "demain"}, "Date invalide"),
        ({"commune": "C", "profession": "gp", "date": "1890-01-01"}, "La date doit être comprise entre 2000 et 2100."),
        ({"commune": "C", "profession": "gp", "career_stage": "bof"}, "Étape de carrière inconnue : « bof »."),
        ({"commune": "C", "profession": "gp", "date": "2026-01-01" * 10}, "Date trop longue"),
    ],
)
def test_bad_parameters_are_400_with_a_french_message(catalogue, client, params, message):
    client.force_login(catalogue.elu_zip)
    params = {k: (catalogue.zip.code if v == "C" else v) for k, v in params.items()}
    response = client.get(ELIGIBILITY, params)
    assert response.status_code == 400
    assert message in str(response.json())


def test_catalogue_date_errors(catalogue, client):
    client.force_login(catalogue.elu_zip)
    response = client.get(LIST, {"date": "2026-13-01"})
    assert response.status_code == 400 and "Date invalide" in str(response.json())


def test_commune_must_be_visible(catalogue, client):
    w = catalogue
    client.force_login(w.elu_savoie)
    response = client.get(ELIGIBILITY, {"commune": w.zip.code, "profession": "gp"})
    assert response.status_code == 404 and response.json() == {"detail": "Commune introuvable."}
    assert client.get(ELIGIBILITY, {"commune": "99999", "profession": "gp"}).status_code == 404
    assert client.get(ELIGIBILITY, {"commune": w.savoie_zip.code, "profession": "gp"}).status_code == 200
    client.logout()
    assert client.get(LIST).status_code == 403


def test_endpoints_are_in_the_schema(db, client):
    client.force_login(AdminFactory())
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    assert "/api/aides/" in schema["paths"] and "/api/aides/eligibilite/" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/aides/eligibilite/"]["get"]["parameters"]}
    assert {"commune", "profession", "date", "career_stage"} <= params


def test_an_aid_without_source_link_conforms_to_the_schema(catalogue, client):
    """Fuzzing regression: ``source_url`` is empty for texts without a link, while the schema said ``format: uri``."""
    client.force_login(catalogue.elu_zip)
    aids = client.get(LIST, {"date": "2025-06-15"}).json()["aids"]
    assert any(a["source_url"] == "" for a in aids)
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()["components"]["schemas"]
    for component in ("Aid", "AidRef"):
        assert {"maxLength": 0} in schema[component]["properties"]["source_url"]["anyOf"]


def test_an_empty_optional_parameter_counts_as_absent(catalogue, client):
    client.force_login(catalogue.elu_zip)
    response = client.get(LIST, {"date": ""})
    assert response.status_code == 200 and response.json()["date"]  # today
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    (date,) = [p for p in schema["paths"][LIST]["get"]["parameters"] if p["name"] == "date"]
    assert date["allowEmptyValue"] is True


def test_eligibility_with_a_full_profile_computes_amounts_and_the_total(catalogue, client):
    w = catalogue
    client.force_login(w.elu_epci)
    params = {"commune": w.zip.code, "profession": "gp", "date": "2026-03-02", "career_stage": "first_installation"}
    data = client.get(ELIGIBILITY, {**params, "equipment_cost": "15000"}).json()
    eligible = {e["aid"]["slug"]: e for e in data["eligible"]}
    material = eligible["isere-aide-materielle"]
    assert material["computed_amount"] == "7500.00" and material["missing"] == []
    assert material["computation"] == "50\xa0% × 15\u202f000\xa0€ = 7\u202f500\xa0€."
    assert material["aid"]["public_source"] == "Livret CPAM de l'Isère, 2026, p. 25-27"
    assert data["total"]["amount"] == "17500.00" and data["total"]["counted"] == [
        "am-primo-installation-zip",
        "isere-aide-materielle",
    ]
    assert data["paps"] == {
        "url": "https://www.auvergne-rhone-alpes.paps.sante.fr",
        "label": "PAPS Auvergne-Rhône-Alpes",
        "regional": True,
    }
    missing = {e["aid"]["slug"]: e for e in client.get(ELIGIBILITY, params).json()["eligible"]}
    assert missing["isere-aide-materielle"]["computed_amount"] is None
    assert missing["isere-aide-materielle"]["missing"] == ["equipment_cost"]
    employer = client.get(
        ELIGIBILITY,
        {"commune": w.hz.code, "profession": "assistant_employer", "date": "2026-03-02", "fte": "1", "years": "3"},
    ).json()
    (assistant,) = employer["eligible"]
    assert assistant["computed_amount"] == "88000.00"
    home = client.get(
        ELIGIBILITY,
        {**params, "career_stage": "installed", "home_commune": w.hz.code, "half_days_per_month": "4", "years": "1"},
    ).json()
    consult = next(e for e in home["eligible"] if e["aid"]["slug"] == "consultations-avancees")
    assert consult["computed_amount"] == "9600.00"


def test_bad_profile_values_are_400_with_a_french_message_per_field(catalogue, client):
    w = catalogue
    client.force_login(w.elu_epci)
    bad = {
        "equipment_cost": "-5",
        "fte": "0.7",
        "study_year": "0",
        "home_commune": "99999",
        "years": "deux",
        "full_rate_pension": "peut-être",
    }
    response = client.get(ELIGIBILITY, {"commune": w.zip.code, "profession": "gp", **bad})
    assert response.status_code == 400
    assert response.json() == {
        "equipment_cost": ["Le coût du matériel ne peut pas être négatif."],
        "fte": ["Le temps de travail de l'assistant médical est 0,5 ou 1 ETP."],
        "study_year": ["L'année d'études est un entier de 1 (1re année) à 12."],
        "home_commune": ["Commune d'installation inconnue : « 99999 » (code INSEE à 5 caractères)."],
        "years": ["Le nombre d'années est un entier de 1 à 40."],
        "full_rate_pension": ["« full_rate_pension » vaut true ou false."],
    }
    # The home commune may be outside the user's territory (its zoning is public): a neighbour consulting here.
    client.force_login(w.elu_savoie)
    params = {"commune": w.savoie_zip.code, "profession": "gp", "career_stage": "installed", "home_commune": w.hz.code}
    neighbour = client.get(ELIGIBILITY, params)
    assert neighbour.status_code == 200
    assert any(e["aid"]["slug"] == "consultations-avancees" for e in neighbour.json()["eligible"])
    # Both kinds of errors come together.
    both = client.get(ELIGIBILITY, {"profession": "gp", "fte": "2"})
    assert both.status_code == 400 and set(both.json()) == {"commune", "fte"}


def test_profile_parameters_are_in_the_schema_with_french_descriptions(db, client):
    client.force_login(AdminFactory())
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    params = {p["name"]: p for p in schema["paths"][ELIGIBILITY]["get"]["parameters"]}
    for name in ("study_year", "fte", "years", "equipment_cost", "half_days_per_month", "home_commune", "age"):
        assert params[name]["description"] and "'" not in params[name]["name"]
    assert params["fte"]["description"] == "Temps de travail de l'assistant médical : 0.5 ou 1 (ETP)."
    assert params["full_rate_pension"]["schema"]["type"] == "boolean"
    assert params["replacement"]["description"].startswith("Médecin remplaçant")
    eligible = schema["components"]["schemas"]["EligibleAid"]["properties"]
    assert {"computed_amount", "computation", "missing"} <= set(eligible)
