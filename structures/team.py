"""The extended care team (« équipe élargie ») of a territory, counted from its structures' teams.

Source: CPAM Isère booklet, « Les principaux leviers de délégation de tâches » (IPA, assistant médical,
pharmacien correspondant, sage-femme référente; infirmière Asalée as in the Grigny MSP). A commune of the
territory that lies in a ZIP (zone d'intervention prioritaire, GP zoning in force) and whose structures count
none of these roles gets a vigilance signal: the levers exist, nobody uses them there yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, OuterRef, Sum

from territories.enums import Profession, SignalLevel, Zone
from territories.models import Territory, Zoning

from .enums import EXTENDED_TEAM_ROLES, TEAM_ROLE_PLURALS, Stage
from .models import Structure, TeamRoleCount


@dataclass
class RoleCount:
    role: str
    label: str
    headcount: int


@dataclass
class ExtendedTeam:
    """Headcounts per role (every role listed, zeros included) and the ZIP communes with none of them."""

    roles: list[RoleCount] = field(default_factory=list)
    vigilance_communes: list[Territory] = field(default_factory=list)
    level: str = SignalLevel.VIGILANCE

    @property
    def total(self) -> int:
        return sum(r.headcount for r in self.roles)


def extended_team(territory: Territory, *, on: date) -> ExtendedTeam:
    """The extended team of ``territory`` (structures located in it and not closed) on ``on``. Two queries."""
    communes = Territory.objects.communes_of(territory)
    located = Structure.objects.located_in(territory).exclude(stage=Stage.CLOSED)
    sums = dict(
        TeamRoleCount.objects.filter(structure__in=located.values("pk"), role__in=EXTENDED_TEAM_ROLES)
        .values_list("role")
        .annotate(n=Sum("headcount"))
        .values_list("role", "n")
    )
    roles = [RoleCount(role, TEAM_ROLE_PLURALS[role], sums.get(role) or 0) for role in EXTENDED_TEAM_ROLES]
    in_zip = Zoning.objects.in_force(on=on).filter(commune=OuterRef("pk"), profession=Profession.GP, zone=Zone.ZIP)
    staffed = TeamRoleCount.objects.filter(
        structure__commune=OuterRef("pk"), role__in=EXTENDED_TEAM_ROLES, headcount__gt=0
    ).exclude(structure__stage=Stage.CLOSED)
    vigilance = list(communes.filter(Exists(in_zip)).exclude(Exists(staffed)).order_by("name", "code"))
    return ExtendedTeam(roles=roles, vigilance_communes=vigilance)
