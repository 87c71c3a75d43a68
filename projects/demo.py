"""Demonstration levers: the extended team of the demo structures and training counts per EPCI (seeded).

Only demonstration rows are written: ``TeamRoleCount`` of structures flagged ``is_demo`` (real structures keep
what the CPAM entered) and ``TrainingCount`` rows flagged ``is_demo`` (labelled on pages). Idempotent: the
previous demo rows are replaced. Bulk writes, a constant number of queries whatever the number of rows.
"""

from __future__ import annotations

import random

from django.db import transaction
from django.utils import timezone

from structures.enums import EXTENDED_TEAM_ROLES, Stage, StructureKind, TeamRole
from structures.models import Structure, TeamRoleCount
from territories.enums import Level
from territories.models import Territory

from .models import TrainingCount

# Chance that a demo MSP or centre de santé has someone in each role (the extended team is still rare).
ROLE_SHARE = {
    TeamRole.IPA: 0.15,
    TeamRole.MEDICAL_ASSISTANT: 0.45,
    TeamRole.ASALEE: 0.3,
    TeamRole.CORRESPONDING_PHARMACIST: 0.1,
    TeamRole.REFERENT_MIDWIFE: 0.1,
    TeamRole.JUNIOR_DOCTOR: 0.2,
}


def academic_year(today=None) -> int:
    today = today or timezone.localdate()
    return today.year if today.month >= 9 else today.year - 1


@transaction.atomic
def generate_demo_levers(*, seed: int = 42) -> dict[str, int]:
    rng = random.Random(seed)
    structures = list(
        Structure.objects.filter(is_demo=True, kind__in=[StructureKind.MSP, StructureKind.CDS])
        .exclude(stage=Stage.CLOSED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    TeamRoleCount.objects.filter(structure__is_demo=True).delete()
    roles = [
        TeamRoleCount(structure_id=pk, role=role, headcount=rng.randint(1, 2))
        for pk in structures
        for role in (*EXTENDED_TEAM_ROLES, TeamRole.JUNIOR_DOCTOR)
        if rng.random() < ROLE_SHARE[role]
    ]
    TeamRoleCount.objects.bulk_create(roles, batch_size=2000)
    TrainingCount.objects.filter(is_demo=True).delete()
    year = academic_year()
    real = set(TrainingCount.objects.filter(year=year).values_list("territory_id", flat=True))
    epcis = (
        Territory.objects.filter(level=Level.EPCI).exclude(pk__in=real).order_by("pk").values_list("pk", "population")
    )
    training = []
    for pk, population in epcis:
        supervisors = rng.randint(0, max(1, population // 15_000))
        training.append(
            TrainingCount(
                territory_id=pk,
                year=year,
                supervisors=supervisors,
                junior_doctors=rng.randint(0, supervisors),
                is_demo=True,
            )
        )
    TrainingCount.objects.bulk_create(training, batch_size=2000)
    return {"team_roles": len(roles), "training": len(training)}
