"""The levers block of the territory page: extended team with the ZIP vigilance, training (demo labelled),
offers, partners and CLS; nothing on a région's page."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from projects import services
from projects.enums import PartnerKind
from projects.models import LocalHealthContract, Partner, TrainingCount
from structures.models import TeamRoleCount
from territories.enums import Profession, Zone
from territories.models import Zoning
from tests.structures.factories import StructureFactory

from .factories import offer_fields

pytestmark = pytest.mark.django_db


def page(client, territory):
    return client.get(reverse("portal:territory", args=[territory.level, territory.code]))


def test_the_territory_page_shows_the_levers(client, world):
    Zoning.objects.create(commune=world.a, profession=Profession.GP, zone=Zone.ZIP, valid_from=date(2024, 1, 1))
    TeamRoleCount.objects.create(structure=StructureFactory(commune=world.a2), role="asalee", headcount=2)
    TrainingCount.objects.create(territory=world.e1, year=2026, supervisors=4, junior_doctors=2, is_demo=True)
    Partner.objects.create(
        department=world.d1, kind=PartnerKind.DEPARTMENT, name="Cellule Isère Santé", role_for_elus="Accès aux soins."
    )
    LocalHealthContract.objects.create(
        territory=world.e1, name="CLS du Pays", signed_on=date(2024, 3, 1), coordinator_name="Alex Coordination"
    )
    services.publish_offer(user=world.elu_a, **offer_fields(world.a, available_from=timezone.localdate()))
    client.force_login(world.elu_e1)
    html = page(client, world.e1).content.decode()
    for text in (
        "Vos leviers d'action",
        "2 infirmières Asalée",
        "0 IPA",
        "<strong>Vigilance</strong>",
        world.a.name,
        "4 maîtres de stage universitaires, 2 docteurs juniors accueillis",
        "données de démonstration",
        "Cellule Isère Santé",
        "CLS du Pays",
        "Alex Coordination",
        "Cabinet au rez-de-chaussée de la mairie annexe",
    ):
        assert text in html, text


def test_no_levers_block_on_a_region_page(client, world):
    client.force_login(world.admin)
    response = page(client, world.region)
    assert response.context["levers"] is None and "Vos leviers d'action" not in response.content.decode()
