"""France Santé readiness: the label's five socle commitments, per structure, met / not met / unknown.

Source: CPAM Isère booklet (seed 004) L336-354, « Engagements socles »: L343 « ouverture au moins 5 jours par
semaine », L345 « offre accessible en moins de 30 minutes », L348 « consultations en secteur 1 », L351 « au
minimum un médecin généraliste (avec patientèle « médecin traitant ») et un infirmier », L354 « rendez-vous
médical sous 48 heures si nécessaire, ou réorientation (via SAS/PDSA/gardes) ».

What the portal can check itself it computes: the team composition (from the structure's team) and the
30-minute reach (:func:`reach_minutes`, from straight-line distance until the accessibility engine can answer;
replace that one function). The other commitments are recorded by a referent with the date they were checked
(:class:`FranceSanteCheck`); never recorded: « inconnu ». A structure is « labellisée » only with a label
decision recorded (``Structure.france_sante_on``, the date of the decision: enforced by a database constraint).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.db import models
from simple_history.models import HistoricalRecords

from territories.enums import Profession


class Criterion(models.TextChoices):
    OPEN_5_DAYS = "open_5_days", "ouverture au moins 5 jours par semaine"
    REACH_30_MIN = "reach_30_min", "offre accessible en moins de 30 minutes"
    SECTOR_1 = "sector_1", "consultations en secteur 1, sans dépassements d'honoraires"
    TEAM = "team", "au moins un médecin généraliste (patientèle médecin traitant) et un infirmier"
    APPOINTMENT_48H = (
        "appointment_48h",
        "rendez-vous sous 48 heures si nécessaire, ou réorientation (SAS, PDSA, gardes)",
    )


class CriterionStatus(models.TextChoices):
    MET = "met", "rempli"
    NOT_MET = "not_met", "non rempli"
    UNKNOWN = "unknown", "inconnu"


CRITERION_SOURCES = {  # booklet lines (reviewers only; users see « Livret CPAM de l'Isère, 2026, p. 10-18 »)
    Criterion.OPEN_5_DAYS: "004:L343",
    Criterion.REACH_30_MIN: "004:L345",
    Criterion.SECTOR_1: "004:L348",
    Criterion.TEAM: "004:L351",
    Criterion.APPOINTMENT_48H: "004:L354",
}
PUBLIC_SOURCE = "Livret CPAM de l'Isère, 2026, p. 10-18"
COMPUTED = (Criterion.TEAM, Criterion.REACH_30_MIN)
REACH_LIMIT_MINUTES = 30
# Straight-line distance to travel time, until the accessibility engine exists: a road detour factor and an
# average speed (assumptions, shown as an estimate to users).
ROAD_FACTOR, SPEED_KMH = 1.3, 60.0


class FranceSanteCheck(models.Model):
    """A socle commitment of the France Santé label as checked for a structure on a date (one row per criterion,
    history kept). Entered by a referent; the team and the reach are computed, not entered."""

    structure = models.ForeignKey(
        "structures.Structure", verbose_name="structure", on_delete=models.CASCADE, related_name="france_sante_checks"
    )
    criterion = models.CharField("engagement socle", max_length=16, choices=Criterion.choices)
    status = models.CharField("statut", max_length=8, choices=CriterionStatus.choices)
    checked_on = models.DateField("vérifié le")
    note = models.CharField("précision", max_length=300, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "engagement socle France Santé"
        verbose_name_plural = "engagements socles France Santé"
        ordering = ["structure", "criterion"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "criterion"], name="france_sante_check_unique"),
            models.CheckConstraint(
                condition=models.Q(criterion__in=Criterion.values), name="france_sante_check_criterion_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=CriterionStatus.values), name="france_sante_check_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_criterion_display()} : {self.get_status_display()}"


def team_meets_socle(headcounts: Mapping[str, int]) -> bool:
    """At least one GP and one nurse (004:L351). ``headcounts``: profession → headcount."""
    return headcounts.get(Profession.GP, 0) >= 1 and headcounts.get(Profession.NURSE, 0) >= 1


def estimated_minutes(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Travel time estimated from the straight-line (haversine) distance between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    km = 2 * 6371.0 * math.asin(math.sqrt(h))
    return km * ROAD_FACTOR / SPEED_KMH * 60


def reach_minutes(structure, communes) -> float | None:
    """The longest estimated trip to the structure from the communes it serves (their centroids): its own
    commune, or a CPTS's covered communes. ``None`` when a position is missing. The one function to replace
    by the accessibility engine's travel times."""
    if structure.latitude is None or structure.longitude is None:
        return None
    points = [(c.centroid_lat, c.centroid_lon) for c in communes if c.centroid_lat is not None]
    if not points:
        return None
    return max(estimated_minutes(p, (structure.latitude, structure.longitude)) for p in points)


@dataclass
class CriterionResult:
    criterion: str
    label: str
    status: str
    checked_on: date | None
    detail: str
    computed: bool

    @property
    def status_label(self) -> str:
        return CriterionStatus(self.status).label


@dataclass
class Readiness:
    structure: object
    criteria: list[CriterionResult]
    source: str = PUBLIC_SOURCE

    @property
    def breaks_socle(self) -> bool:
        return any(c.status == CriterionStatus.NOT_MET for c in self.criteria)

    @property
    def all_met(self) -> bool:
        return all(c.status == CriterionStatus.MET for c in self.criteria)

    @property
    def labelled(self) -> bool:
        """Shown « labellisée » only with a recorded label decision."""
        return bool(self.structure.france_sante and self.structure.france_sante_on)


def readiness(structure, *, on: date, communes=None) -> Readiness:
    """The five socle commitments for ``structure`` on ``on``. Prefetch ``team`` and ``france_sante_checks``;
    ``communes``: those it serves (default: its commune), with their centroids."""
    headcounts = {m.profession: m.headcount for m in structure.team.all()}
    recorded = {c.criterion: c for c in structure.france_sante_checks.all()}
    results = []
    for criterion in Criterion:
        if criterion == Criterion.TEAM:
            if not headcounts:
                status, detail = CriterionStatus.UNKNOWN, "Équipe non renseignée."
            else:
                gp, nurse = headcounts.get(Profession.GP, 0), headcounts.get(Profession.NURSE, 0)
                status = CriterionStatus.MET if team_meets_socle(headcounts) else CriterionStatus.NOT_MET
                detail = f"Équipe renseignée : {gp} médecin(s) généraliste(s), {nurse} infirmier(s)."
            results.append(CriterionResult(criterion, criterion.label, status, on, detail, True))
        elif criterion == Criterion.REACH_30_MIN:
            minutes = reach_minutes(structure, communes if communes is not None else [structure.commune])
            if minutes is None:
                status, detail = CriterionStatus.UNKNOWN, "Position de la structure ou des communes inconnue."
            else:
                met = minutes < REACH_LIMIT_MINUTES
                status = CriterionStatus.MET if met else CriterionStatus.NOT_MET
                detail = f"Trajet le plus long estimé à {round(minutes)} min (distance à vol d'oiseau, estimation)."
            results.append(CriterionResult(criterion, criterion.label, status, on, detail, True))
        elif check := recorded.get(criterion):
            results.append(
                CriterionResult(criterion, criterion.label, check.status, check.checked_on, check.note, False)
            )
        else:
            results.append(
                CriterionResult(criterion, criterion.label, CriterionStatus.UNKNOWN, None, "Non vérifié.", False)
            )
    return Readiness(structure=structure, criteria=results)


def readiness_of(structures, *, on: date) -> list[Readiness]:
    """:func:`readiness` for many structures in a constant number of queries (structures, teams, checks, and
    their communes' centroids through ``select_related``), for lists and per-structure pages."""
    rows = structures.select_related("commune").prefetch_related("team", "france_sante_checks")
    return [readiness(structure, on=on) for structure in rows]
