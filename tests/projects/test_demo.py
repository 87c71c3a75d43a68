"""Demonstration levers: only demo rows are written, seeded and idempotent, labelled as demo."""

import pytest
from django.core.management import call_command

from projects.demo import generate_demo_levers
from projects.models import TrainingCount
from structures.models import TeamRoleCount
from tests.factories import build_hierarchy
from tests.structures.factories import StructureFactory

pytestmark = pytest.mark.django_db


def test_demo_levers_touch_demo_rows_only_and_are_idempotent():
    tree = build_hierarchy(communes=2, with_geometry=False)
    real = StructureFactory(commune=tree.communes[0])
    TeamRoleCount.objects.create(structure=real, role="ipa", headcount=3)
    for _ in range(30):
        StructureFactory(commune=tree.communes[1], demo=True)
    first = generate_demo_levers(seed=7)
    assert first["training"] == 1 and TrainingCount.objects.get().is_demo
    assert first["team_roles"] > 0
    assert TeamRoleCount.objects.get(structure=real).headcount == 3  # real row kept
    snapshot = sorted(TeamRoleCount.objects.values_list("structure_id", "role", "headcount"))
    assert generate_demo_levers(seed=7) == first
    assert sorted(TeamRoleCount.objects.values_list("structure_id", "role", "headcount")) == snapshot
    call_command("generate_demo_levers", if_empty=True)  # already there: nothing done
    assert TrainingCount.objects.count() == 1
