"""The structure page: team and extended team, opening days, secteur, France Santé criteria, contact, CPTS
missions and member communes, a small map; 404 outside the user's territories; constant query count."""

import pytest
from django.urls import reverse

from structures.france_sante import Criterion, FranceSanteCheck
from structures.models import CoveredCommune, TeamRoleCount
from structures.services.perimeters import dissolve_perimeters
from territories.enums import Profession
from tests.factories import CommuneFactory, EluFactory, ReferentFactory, build_hierarchy

from .factories import StructureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return build_hierarchy(communes=3)


def test_an_msp_page_shows_team_days_sector_criteria_contact_and_map(client, tree):
    msp = StructureFactory(
        commune=tree.communes[0],
        name="Maison de santé des Tilleuls",
        team={Profession.GP: 3, Profession.NURSE: 2},
        opening_days=[1, 2, 3, 4, 5],
        sector="1",
        phone="04 76 00 00 00",
        email="accueil@msp-tilleuls.exemple.fr",
    )
    TeamRoleCount.objects.create(structure=msp, role="medical_assistant", headcount=2)
    TeamRoleCount.objects.create(structure=msp, role="asalee", headcount=1)
    FranceSanteCheck.objects.create(structure=msp, criterion=Criterion.SECTOR_1, status="met", checked_on="2026-10-01")
    client.force_login(EluFactory(territory=tree.communes[0]))
    response = client.get(reverse("portal:structure", args=[msp.pk]))
    html = response.content.decode()
    for text in (
        "3 médecins généralistes",
        "2 assistants médicaux",
        "1 infirmière Asalée",
        "lundi, mardi, mercredi, jeudi, vendredi",
        "secteur 1 (sans dépassements",
        "accueil@msp-tilleuls.exemple.fr",
        "Critères France Santé",
        "vérifié le 1 octobre 2026",
        "<svg",
    ):
        assert text in html, text
    assert "Missions de la CPTS" not in html


def test_a_cpts_page_lists_missions_and_member_communes(client, tree):
    cpts = StructureFactory(
        cpts=True, commune=tree.communes[0], covers=tree.communes, cpts_missions=["access", "prevention"]
    )
    cpts.perimeter_geojson = dissolve_perimeters([tuple(c.pk for c in tree.communes)])[0]
    cpts.save()
    client.force_login(ReferentFactory(department=tree.department))
    html = client.get(reverse("portal:structure", args=[cpts.pk])).content.decode()
    assert "Accès aux soins" in html and "Prévention" in html
    assert "Communes membres (3)" in html and all(c.name in html for c in tree.communes)


def test_structure_page_query_count_does_not_depend_on_the_perimeter(client, tree, django_assert_num_queries):
    cpts = StructureFactory(cpts=True, commune=tree.communes[0], covers=tree.communes[:1])
    client.force_login(ReferentFactory(department=tree.department))
    url = reverse("portal:structure", args=[cpts.pk])
    with django_assert_num_queries(9) as small:
        client.get(url)
    more = [CommuneFactory(epci=tree.epci) for _ in range(15)]
    CoveredCommune.objects.bulk_create(CoveredCommune(structure=cpts, commune=c) for c in more)
    TeamRoleCount.objects.create(structure=cpts, role="ipa", headcount=1)
    with django_assert_num_queries(len(small)):
        response = client.get(url)
    assert len(response.context["communes"]) == 16


def test_a_structure_outside_the_users_territories_is_a_404(client, tree):
    elsewhere = StructureFactory()  # another département
    client.force_login(EluFactory(territory=tree.communes[1]))
    assert client.get(reverse("portal:structure", args=[elsewhere.pk])).status_code == 404
    neighbour = StructureFactory(commune=tree.communes[0])  # another commune of the same EPCI
    assert client.get(reverse("portal:structure", args=[neighbour.pk])).status_code == 404
    covering = StructureFactory(cpts=True, commune=CommuneFactory(), covers=[tree.communes[1]])
    assert client.get(reverse("portal:structure", args=[covering.pk])).status_code == 200  # covers their commune
    client.logout()
    response = client.get(reverse("portal:structure", args=[covering.pk]))
    assert response.status_code == 302 and "/compte/connexion/" in response.url
