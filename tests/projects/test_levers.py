"""The élus' levers: extended team counted from structures (vigilance for a ZIP commune with none), training
pipeline (demo labelled), partners per département, CLS with dates."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from projects.enums import PartnerKind
from projects.models import LocalHealthContract, Partner, TrainingCount
from projects.selectors import levers_for, training_of
from structures.enums import Stage, TeamRole
from structures.models import TeamRoleCount
from structures.team import extended_team
from territories.enums import Profession, SignalLevel, Zone
from territories.models import Zoning
from tests.structures.factories import StructureFactory

from .factories import offer_fields

pytestmark = pytest.mark.django_db
ON = date(2026, 12, 3)


def zip_zone(commune, zone=Zone.ZIP, valid_from=date(2024, 1, 1), **fields):
    return Zoning.objects.create(commune=commune, profession=Profession.GP, zone=zone, valid_from=valid_from, **fields)


def roles(structure, **counts):
    TeamRoleCount.objects.bulk_create(
        TeamRoleCount(structure=structure, role=r, headcount=n) for r, n in counts.items()
    )


def test_extended_team_counted_per_territory_with_every_role_listed(world, django_assert_num_queries):
    roles(StructureFactory(commune=world.a), ipa=1, medical_assistant=2, junior_doctor=3)
    roles(StructureFactory(commune=world.a2), medical_assistant=1, asalee=1)
    roles(StructureFactory(commune=world.a2, stage=Stage.CLOSED), ipa=5)  # closed: not counted
    roles(StructureFactory(commune=world.b), referent_midwife=1)  # another EPCI
    with django_assert_num_queries(2):
        team = extended_team(world.e1, on=ON)
    assert {r.role: r.headcount for r in team.roles} == {
        TeamRole.IPA: 1,
        TeamRole.MEDICAL_ASSISTANT: 3,
        TeamRole.ASALEE: 1,
        TeamRole.CORRESPONDING_PHARMACIST: 0,
        TeamRole.REFERENT_MIDWIFE: 0,
    }  # docteurs juniors belong to the training pipeline
    assert team.total == 5 and team.roles[1].label == "assistants médicaux"


def test_a_zip_commune_without_any_extended_team_gets_a_vigilance_signal(world):
    zip_zone(world.a)
    zip_zone(world.a2)
    zip_zone(world.b, zone=Zone.ZAC)  # not a ZIP
    zip_zone(world.c, valid_from=date(2020, 1, 1), valid_until=date(2023, 12, 31))  # no longer in force
    roles(StructureFactory(commune=world.a2), asalee=1)
    roles(StructureFactory(commune=world.a), junior_doctor=2)  # not the extended team
    team = extended_team(world.d1, on=ON)
    assert team.vigilance_communes == [world.a] and team.level == SignalLevel.VIGILANCE
    assert extended_team(world.d2, on=ON).vigilance_communes == []


def test_training_counts_of_the_latest_year_summed_and_demo_labelled(world):
    assert not training_of(world.e1).known
    TrainingCount.objects.create(territory=world.a, year=2025, supervisors=9, junior_doctors=9)
    TrainingCount.objects.create(territory=world.a, year=2026, supervisors=2, junior_doctors=1)
    TrainingCount.objects.create(territory=world.a2, year=2026, supervisors=1, junior_doctors=2, is_demo=True)
    TrainingCount.objects.create(territory=world.b, year=2026, supervisors=7, junior_doctors=7)
    training = training_of(world.e1)
    assert (training.year, training.supervisors, training.junior_doctors, training.is_demo) == (2026, 3, 3, True)
    assert not training_of(world.a).is_demo


def test_levers_of_a_territory_in_a_constant_number_of_queries(world, django_assert_num_queries):
    from projects import services

    Partner.objects.create(department=world.d1, kind=PartnerKind.MSA, name="MSA Alpes du Nord", role_for_elus="…")
    Partner.objects.create(department=world.d2, kind=PartnerKind.ORDER, name="Ordre de Savoie", role_for_elus="…")
    LocalHealthContract.objects.create(territory=world.e1, name="CLS du Pays", signed_on=date(2024, 3, 1))
    LocalHealthContract.objects.create(
        territory=world.a, name="Ancien CLS", signed_on=date(2018, 1, 1), ends_on=date(2022, 12, 31)
    )
    services.publish_offer(user=world.elu_a, today=ON, **offer_fields(world.a))
    TrainingCount.objects.create(territory=world.a, year=2026, supervisors=2, junior_doctors=1)
    # partners, contracts, offers, extended team (2), training (1)
    with django_assert_num_queries(6):
        levers = levers_for(world.a, on=ON, user=world.elu_c)
    assert [p.name for p in levers.partners] == ["MSA Alpes du Nord"]
    assert [c.name for c in levers.contracts] == ["CLS du Pays"]  # the EPCI's CLS covers the commune
    assert len(levers.offers) == 1
    for _ in range(3):
        services.publish_offer(user=world.elu_a, today=ON, **offer_fields(world.a))
    Partner.objects.create(department=world.d1, kind=PartnerKind.URPS, name="URPS médecins", role_for_elus="…")
    LocalHealthContract.objects.create(territory=world.a, name="CLS communal", signed_on=date(2025, 1, 1))
    with django_assert_num_queries(6):
        assert len(levers_for(world.a, on=ON, user=world.elu_c).offers) == 4
    assert levers_for(world.a, on=ON).offers == []  # no user: no offer


def test_a_cls_cannot_end_before_it_is_signed(world):
    contract = LocalHealthContract(territory=world.a, name="CLS", signed_on=date(2025, 1, 1), ends_on=date(2024, 1, 1))
    with pytest.raises(ValidationError) as error:
        contract.full_clean()
    assert error.value.message_dict == {"ends_on": ["La fin du contrat ne peut pas précéder sa signature."]}
    with pytest.raises(IntegrityError), transaction.atomic():
        contract.save()
