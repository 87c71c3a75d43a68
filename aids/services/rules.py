"""The booklet's rules that depend on the professional's situation, one per aid, each quoting its line.

The catalogue (``aids/data/catalogue_2026.json``) carries what a table can say (beneficiaries, career stages,
zoning, amounts); a :class:`Rule` carries what depends on the :class:`~aids.services.amounts.Profile`: the
year of studies, the home commune, the status of remplaçant, age and full-rate pension. ``source`` quotes the
booklet line (for reviewers; users see :func:`aids.sources.public_source` of the aid's source). A rule never
queries: the engine resolves the home commune's zoning beforehand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from territories.enums import Zone

from ..enums import CareerStage
from ..formatting import format_euros
from .amounts import Computation, Profile

CUMUL_REFORM_DAY = date(2027, 1, 1)  # 004:L628 « Avant le 1er janvier 2027 », L634 « A compter du 1er janvier 2027 »
ANNOUNCED_CEILING = 7000  # 004:L638 « Seuil annoncé : environ 7 000 € annuels (décret non publié à ce stade) »
FULL_RATE_AGE = 67  # 004:L636, L640 « 67 ans (âge du taux plein automatique) »


@dataclass
class Verdict:
    why: list[str] = field(default_factory=list)
    why_not: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    computation: Computation | None = None  # replaces the generic computation of the terms


@dataclass(frozen=True)
class Rule:
    aid_slug: str
    source: str
    check: Callable[[Profile, str | None, date], Verdict]


def cesp_from_second_year(profile: Profile, stage: str | None, on: date) -> Verdict:
    if profile.study_year is None:
        return Verdict(notes=["Le CESP est accessible dès la 2e année d'études."])
    if profile.study_year < 2:
        return Verdict(why_not=["Le CESP est accessible dès la 2e année d'études (année indiquée : 1re année)."])
    return Verdict(why=[f"{profile.study_year}e année d'études : le CESP est accessible dès la 2e année."])


def consultations_from_outside_the_zones(profile: Profile, stage: str | None, on: date) -> Verdict:
    if profile.home_commune is None:
        return Verdict(notes=["Réservé au médecin installé hors zone sous-dense : indiquez sa commune d'installation."])
    name = getattr(profile.home_commune, "name", "")
    if profile.home_zone is None:
        return Verdict(
            why_not=[
                f"Zonage ARS de la commune d'installation ({name}) non renseigné : condition « installé hors zone "
                "sous-dense » non vérifiable."
            ]
        )
    if profile.home_zone == Zone.NONE:
        return Verdict(why=[f"Médecin installé hors zone sous-dense ({name}) : condition remplie."])
    zone = "ZIP" if profile.home_zone == Zone.ZIP else "ZAC"
    return Verdict(
        why_not=[
            f"Le médecin est installé en zone sous-dense ({name}, en {zone}) : l'aide vise un médecin installé "
            "hors zone sous-dense qui consulte en ZIP."
        ]
    )


def cde_new_or_replacement(profile: Profile, stage: str | None, on: date) -> Verdict:
    if profile.replacement:
        return Verdict(why=["Médecin remplaçant : le CDE vise les médecins nouvellement installés et les remplaçants."])
    if stage == CareerStage.FIRST_INSTALLATION:
        return Verdict(why=["Médecin nouvellement installé : le CDE vise aussi les remplaçants."])
    if stage is None and profile.replacement is None:
        return Verdict(notes=["Réservé aux médecins nouvellement installés et aux remplaçants."])
    return Verdict(why_not=["Le CDE est réservé aux médecins nouvellement installés et aux remplaçants."])


def cumul_rules(profile: Profile, stage: str | None, on: date) -> Verdict:
    lever = "Pas une aide versée : "
    if on < CUMUL_REFORM_DAY:
        before = "règles avant le 1er janvier 2027"
        if profile.full_rate_pension is None:
            return Verdict(
                notes=["Retraite à taux plein : exercice sans plafond de revenu ; sinon, cumul plafonné."],
                computation=Computation(None, lever + "les règles dépendent de la retraite à taux plein.", []),
            )
        if profile.full_rate_pension:
            text = "retraite à taux plein : exercice sans plafond de revenu"
        else:
            text = "retraite sans taux plein : cumul plafonné"
        return Verdict(
            why=[f"{text[0].upper()}{text[1:]} ({before})."], computation=Computation(None, f"{lever}{text}.")
        )
    if profile.age is None:
        return Verdict(
            notes=[
                f"À compter du 1er janvier 2027, les règles dépendent de l'âge (avant ou après {FULL_RATE_AGE} ans)."
            ],
            computation=Computation(None, lever + "indiquez l'âge pour connaître les règles.", ["age"]),
        )
    if profile.age >= FULL_RATE_AGE:
        text = "à partir de 67 ans (taux plein automatique), cumul intégral sans plafond, avec des droits à une seconde pension"
        return Verdict(why=[f"À {profile.age} ans : {text}."], computation=Computation(None, f"{lever}{text}."))
    text = (
        "entre l'âge légal et 67 ans, revenus d'activité cumulables dans la limite d'un plafond annuel fixé par décret "
        f"(seuil annoncé : environ {format_euros(ANNOUNCED_CEILING)} par an, décret non publié à la date du livret) ; "
        "au-delà, écrêtement "
        "des pensions à hauteur de 50 % des revenus d'activité et de remplacement"
    )
    return Verdict(
        why=[f"À {profile.age} ans, à compter du 1er janvier 2027 : {text}."],
        notes=["Cumul possible à partir de l'âge légal de départ à la retraite."],
        computation=Computation(None, f"{lever}{text}."),
    )


RULES = [
    Rule("cesp", "004:L668 « 1 200 € bruts/mois dès la 2e année d'études »", cesp_from_second_year),
    Rule(
        "consultations-avancees",
        "004:L741 « Un médecin installé hors zone sous-dense intervient ponctuellement (demi-journées/journées) en ZIP »",
        consultations_from_outside_the_zones,
    ),
    Rule(
        "cde",
        "004:L677 « Complément de rémunération pour médecins nouvellement installés et remplaçants »",
        cde_new_or_replacement,
    ),
    Rule(
        "cumul-emploi-retraite",
        "004:L628-642 « Avant le 1er janvier 2027 : exercice sans plafond de revenu si retraite à taux plein. Sinon, "
        "cumul plafonné » ; « A compter du 1er janvier 2027 : entre l'âge légal et 67 ans […] plafond annuel […] "
        "environ 7 000 € […] À partir de 67 ans : cumul intégral sans plafond »",
        cumul_rules,
    ),
]
RULES_BY_AID: dict[str, list[Rule]] = {}
for _rule in RULES:
    RULES_BY_AID.setdefault(_rule.aid_slug, []).append(_rule)
