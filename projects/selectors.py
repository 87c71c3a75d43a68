"""Read-only queries for the pages: the levers of a territory and the referent's pipeline, each a constant number
of queries whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch, Q, Subquery

from structures.team import ExtendedTeam, extended_team
from territories.enums import Level
from territories.models import Territory

from .enums import ProjectStage
from .models import LocalHealthContract, Offer, Partner, Project, TrainingCount


@dataclass
class Training:
    year: int | None = None
    supervisors: int = 0
    junior_doctors: int = 0
    is_demo: bool = False

    @property
    def known(self) -> bool:
        return self.year is not None


@dataclass
class Levers:
    """What an élu can act on in their territory (équipe élargie, training, partners, CLS, offers)."""

    team: ExtendedTeam
    training: Training
    partners: list[Partner] = field(default_factory=list)
    contracts: list[LocalHealthContract] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)


def training_of(territory: Territory) -> Training:
    """The latest year's counts of the territory's rows and of its communes' rows (one query)."""
    communes = Territory.objects.communes_of(territory).values("pk")
    rows = TrainingCount.objects.filter(Q(territory=territory) | Q(territory__in=communes))
    latest = rows.order_by("-year").values("year")[:1]
    found = list(rows.filter(year=Subquery(latest)).values_list("year", "supervisors", "junior_doctors", "is_demo"))
    if not found:
        return Training()
    return Training(
        year=found[0][0],
        supervisors=sum(r[1] for r in found),
        junior_doctors=sum(r[2] for r in found),
        is_demo=any(r[3] for r in found),
    )


LEVER_LEVELS = (Level.COMMUNE, Level.EPCI, Level.DEPARTMENT)


def levers_for(territory: Territory, *, on: date, user=None) -> Levers | None:
    """The levers block of a commune, EPCI or département page (None elsewhere). Six queries whatever the size:
    partners, CLS, offers, extended team (2), training."""
    if territory.level not in LEVER_LEVELS:
        return None
    department_id = territory.pk if territory.level == Level.DEPARTMENT else territory.department_id
    partners = list(Partner.objects.filter(department_id=department_id)) if department_id else []
    around = [pk for pk in (territory.pk, territory.epci_id) if pk]
    contracts = list(
        LocalHealthContract.objects.filter(Q(territory_id__in=around) | Q(territory__epci_id=territory.pk))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .select_related("territory")
    )
    offers = []
    if user is not None:
        offers = list(
            Offer.objects.visible_to(user).current(on=on).in_territory(territory).select_related("commune")[:20]
        )
    return Levers(
        team=extended_team(territory, on=on),
        training=training_of(territory),
        partners=partners,
        contracts=contracts,
        offers=offers,
    )


@dataclass
class StageColumn:
    stage: str
    label: str
    projects: list[Project] = field(default_factory=list)


def pipeline(projects, *, on: date) -> list[StageColumn]:
    """``projects`` (a visible_to queryset, filtered) grouped by stage in stage order, every stage listed; each
    project gets ``is_late``. Two queries (projects with territory, EPCI and owner; none else)."""
    columns = {s: StageColumn(s, label) for s, label in ProjectStage.choices}
    rows = projects.select_related("territory", "epci", "next_step_owner").by_stage()
    for project in rows:
        project.is_late = bool(project.next_step and project.next_step_due and project.next_step_due < on)
        columns[project.stage].projects.append(project)
    return list(columns.values())


def project_detail_queryset(user):
    """A project with everything its page shows, in a fixed number of queries."""
    from .models import ProjectAid, ProjectEvent

    return (
        Project.objects.visible_to(user)
        .select_related("territory", "commune", "epci", "department", "next_step_owner", "structure", "created_by")
        .prefetch_related(
            Prefetch("events", queryset=ProjectEvent.objects.select_related("author")),
            Prefetch("aids", queryset=ProjectAid.objects.select_related("aid")),
            "documents",
        )
    )
