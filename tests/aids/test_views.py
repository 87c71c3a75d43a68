"""Pages: the aids of a territory with the simulator, the panel of the territory page, the catalogue."""

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import AdminFactory, EluFactory, ReferentFactory, build_hierarchy

from .conftest import zone

pytestmark = pytest.mark.django_db


def aids_url(territory, **params):
    return reverse("portal:territory_aids", args=[territory.level, territory.code])


def text(response) -> str:
    return re.sub(r"[\s\xa0\u202f]+", " ", html.unescape(response.content.decode()))


def test_aids_page_lists_the_aids_of_the_territory_with_amounts_and_sources(catalogue, client):
    w = catalogue
    client.force_login(w.elu_epci)
    response = client.get(aids_url(w.epci))
    assert response.status_code == 200
    page = text(response)
    assert "Aides à l'installation : " + w.epci.name in page
    assert "Isère Médecins" in page and "56 000 € (sur 3 ans)" in page
    assert "10 000 € (forfait unique)" in page and "Livret CPAM de l'Isère, 2026, p. 25-27" in page
    assert not re.search(r"ANCHORS|\b004\b|L\d{3}|seed", page)  # never an internal reference
    assert "depuis le 1er janvier 2026" in page
    assert "Zonage ARS des médecins généralistes : 1 commune en ZIP" in page
    assert "0,5 ETP" in page  # the assistant médical schedule
    assert 'name="commune"' in page and w.zac.name in page  # the simulator lists the EPCI's communes


def test_simulator_shows_eligible_aids_and_reasons(catalogue, client):
    w = catalogue
    client.force_login(w.elu_epci)
    params = {"commune": w.zac.code, "profession": "gp", "etape": "first_installation", "date": "2026-03-02"}
    page = text(client.get(aids_url(w.epci), params))
    assert f"{w.zac.name} ({w.zac.code}), le 2 mars 2026" in page
    assert "Commune en ZAC pour les médecins généralistes le 2 mars 2026" in page
    assert "Aide à la première installation en ZAC (Assurance Maladie)" in page and "5 000 € (forfait unique)" in page
    assert "Commune en ZAC : condition « en ZAC uniquement » remplie." in page
    assert "Commune en ZAC à cette date : aide accordée en ZIP uniquement." in page  # the ZIP aid, a near miss
    # Before 2026, the same commune had no ZAC aid.
    params["date"] = "2025-06-15"
    page = text(client.get(aids_url(w.epci), params))
    assert "Aucun montant en vigueur le 15 juin 2025 : montants connus à partir du 1er janvier 2026." in page
    assert "jusqu'à 50 000 € (contrat d'aide à l'installation des médecins (CAIM))" in page


@pytest.mark.parametrize(
    "params, message",
    [
        ({"commune": "", "profession": "gp", "date": "2026-01-01"}, "Choisissez la commune d'exercice."),
        ({"commune": "00000", "profession": "gp", "date": "2026-01-01"}, "Choisissez une commune de ce territoire."),
        (
            {"commune": "C", "profession": "astronaute", "date": "2026-01-01"},
            "Choisissez une profession ou un bénéficiaire dans la liste.",
        ),
        ({"commune": "C", "profession": "gp", "date": "31/02/2026"}, "Saisissez une date valide (JJ/MM/AAAA)."),
        ({"commune": "C", "profession": "gp", "date": "1850-01-01"}, "La date doit être comprise entre 2000 et 2100."),
        (
            {"commune": "C", "profession": "gp", "date": "2026-01-01", "etape": "x"},
            "Choisissez une étape de carrière dans la liste.",
        ),
    ],
)
def test_simulator_errors_are_french_field_errors(catalogue, client, params, message):
    w = catalogue
    client.force_login(w.elu_epci)
    params = {k: (w.zip.code if v == "C" else v) for k, v in params.items()}
    response = client.get(aids_url(w.epci), params)
    assert response.status_code == 200
    assert message in text(response)
    assert "fr-select-group--error" in response.content.decode() or "fr-input-group--error" in response.content.decode()
    assert 'id="resultat"' not in response.content.decode()


def test_commune_of_another_territory_is_refused_by_the_simulator(catalogue, client):
    w = catalogue
    client.force_login(AdminFactory())
    response = client.get(aids_url(w.epci), {"commune": w.savoie_zip.code, "profession": "gp", "date": "2026-01-01"})
    assert "Choisissez une commune de ce territoire." in response.content.decode()


def test_region_page_takes_an_insee_code(catalogue, client):
    w = catalogue
    client.force_login(AdminFactory())
    page = text(
        client.get(aids_url(w.region), {"commune": w.savoie_zip.code, "profession": "gp", "date": "2026-03-02"})
    )
    assert "Code INSEE à 5 caractères" in page
    assert f"{w.savoie_zip.name} ({w.savoie_zip.code})" in page


def test_access(catalogue, client):
    w = catalogue
    client.force_login(w.elu_savoie)
    assert client.get(aids_url(w.epci)).status_code == 404  # another territory: 404, never 403
    assert client.get(aids_url(w.savoie_zip)).status_code == 200
    assert client.get(reverse("portal:territory_aids", args=["planete", "1"])).status_code == 404
    client.force_login(ReferentFactory(department=w.savoie))
    assert client.get(aids_url(w.epci)).status_code == 404
    assert client.get(aids_url(w.savoie)).status_code == 200
    client.logout()
    response = client.get(aids_url(w.epci))
    assert response.status_code == 302 and reverse("accounts:login") in response.url
    assert client.get(reverse("portal:aids_catalogue")).status_code == 302


def test_commune_page_presets_the_commune(catalogue, client):
    w = catalogue
    client.force_login(w.elu_zip)
    page = client.get(aids_url(w.zip)).content.decode()
    assert f'<option value="{w.zip.code}" selected>' in page


def test_aids_page_query_count_is_the_same_for_a_small_and_a_large_epci(catalogue, client):
    w = catalogue
    large = build_hierarchy(department=w.isere, communes=30, with_geometry=False)
    for commune in large.communes[::2]:
        zone(commune, "zip")
    client.force_login(AdminFactory())
    counts = []
    for epci, commune in ((w.epci, w.zip), (large.epci, large.communes[0])):
        params = {"commune": commune.code, "profession": "gp", "date": "2026-03-02"}
        client.get(aids_url(epci), params)  # warm-up (session)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(aids_url(epci), params)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_territory_page_shows_the_panel_with_a_constant_number_of_queries(catalogue, client):
    w = catalogue
    client.force_login(w.elu_epci)
    page = text(client.get(reverse("portal:territory", args=["epci", w.epci.code])))
    assert "Aides à l'installation" in page and "Voir les montants et simuler l'éligibilité" in page
    assert "Isère Médecins" in page and "1 en ZIP, 1 en ZAC, 1 hors zone, 1 sans zonage renseigné" in page
    # The panel comes right before the fiche block.
    assert page.index('id="aides-installation"') < page.index('id="fiche-territoire"')
    large = build_hierarchy(department=w.isere, communes=25, with_geometry=False)
    for commune in large.communes:
        zone(commune, "zac")
    client.force_login(AdminFactory())
    counts = []
    for epci in (w.epci, large.epci):
        url = reverse("portal:territory", args=["epci", epci.code])
        client.get(url)  # warm-up (session)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert "Voir les montants et simuler" in response.content.decode()
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_catalogue_page(catalogue, client):
    client.force_login(EluFactory())
    page = text(client.get(reverse("portal:aids_catalogue")))
    assert "Catalogue des aides à l'installation" in page
    assert "Aide à la première installation en ZIP (Assurance Maladie)" in page
    assert "du 1er janvier 2025 au 31 décembre 2025" in page and "expiré" in page
    assert "Cumul emploi-retraite des médecins" in page and "à venir" in page  # the 2027 rules
    assert "Aide matérielle à l'installation (Département de l'Isère)" in page
    assert "50 % de la dépense, plafond 10 000 € (du matériel éligible)" in page


def test_simulator_computes_amounts_total_first_then_cards(catalogue, client):
    w = catalogue
    client.force_login(w.elu_epci)
    params = {
        "commune": w.zip.code,
        "profession": "gp",
        "etape": "first_installation",
        "date": "2026-03-02",
        "equipment_cost": "15000",
    }
    response = client.get(aids_url(w.epci), params)
    page = text(response)
    assert "Total des aides cumulables : 17 500 €" in page and "10 000 € + 7 500 € = 17 500 €" in page
    assert "50 % × 15 000 € = 7 500 €." in page
    assert "« Contrat de début d'exercice (CDE) » non comptée : montant non chiffré par la source." in page
    assert page.index("Total des aides cumulables") < page.index("Aides mobilisables (")
    assert "PAPS Auvergne-Rhône-Alpes" in page and "https://www.auvergne-rhone-alpes.paps.sante.fr" in page
    assert not re.search(r"ANCHORS|\b004\b|L\d{3}|seed", page)
    html_page = response.content.decode()
    card = html_page[html_page.index('data-aid="isere-aide-materielle"') :]
    assert card.index("fr-card__title") < card.index("fr-card__desc") < card.index("fr-card__end")


def test_simulator_shows_only_the_relevant_profile_fields_without_javascript(catalogue, client):
    w = catalogue
    client.force_login(w.elu_epci)

    def shown(params):
        html_page = client.get(aids_url(w.epci), params).content.decode()
        return set(re.findall(r'data-profile-field="(\w+)">', html_page))  # the hidden ones end with « hidden> »

    assert shown({}) == set()
    base = {"commune": w.hz.code, "date": "2026-03-02"}
    assert shown({**base, "profession": "assistant_employer"}) == {"fte", "years"}
    assert shown({**base, "profession": "gp", "etape": "retired_working"}) == {"age", "full_rate_pension"}
    assert shown({**base, "profession": "dentist"}) == set()


def test_simulator_profile_errors_are_french_field_errors(catalogue, client):
    w = catalogue
    client.force_login(w.elu_epci)
    params = {"commune": w.hz.code, "profession": "assistant_employer", "date": "2026-03-02", "fte": "0.7"}
    response = client.get(aids_url(w.epci), params)
    page = text(response)
    assert "Le temps de travail de l'assistant médical est 0,5 ou 1 ETP." in page
    assert 'id="resultat"' not in response.content.decode()
    params = {**params, "fte": "1", "years": "3", "equipment_cost": "-3", "home_commune": "99999"}
    page = text(client.get(aids_url(w.epci), params))
    assert "Le coût du matériel ne peut pas être négatif." in page
    assert "Commune d'installation inconnue : « 99999 »" in page
    params = {**params, "equipment_cost": "", "home_commune": ""}
    page = text(client.get(aids_url(w.epci), params))
    assert "38 000 € + 28 000 € + 22 000 € = 88 000 € sur 3 ans pour 1 ETP" in page
