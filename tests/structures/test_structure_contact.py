"""Structure fields of the structure page: opening days, CPTS missions (French errors), extended team roles."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from structures.enums import CptsMission, StructureKind
from structures.models import TeamRoleCount
from tests.structures.factories import StructureFactory

pytestmark = pytest.mark.django_db


def test_opening_days_are_weekday_numbers():
    structure = StructureFactory(opening_days=[1, 2, 3, 4, 5])
    structure.full_clean()
    structure.opening_days = [0, 8]
    with pytest.raises(ValidationError) as error:
        structure.full_clean()
    assert error.value.message_dict["opening_days"] == ["Jours d'ouverture : des numéros de 1 (lundi) à 7 (dimanche)."]


def test_only_a_cpts_has_missions_and_only_known_ones():
    msp = StructureFactory(cpts_missions=[CptsMission.PREVENTION])
    with pytest.raises(ValidationError) as error:
        msp.full_clean()
    assert error.value.message_dict["cpts_missions"] == ["Seule une CPTS a des missions conventionnelles."]
    cpts = StructureFactory(cpts=True, cpts_missions=["access", "golf"])
    assert cpts.kind == StructureKind.CPTS
    with pytest.raises(ValidationError) as error:
        cpts.full_clean()
    assert error.value.message_dict["cpts_missions"][0].startswith("Mission inconnue")


def test_one_count_per_role_and_known_roles_only():
    structure = StructureFactory()
    TeamRoleCount.objects.create(structure=structure, role="ipa", headcount=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamRoleCount.objects.create(structure=structure, role="ipa", headcount=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamRoleCount.objects.create(structure=structure, role="chef", headcount=2)
