"""The eligibility engine: which aids, how much, and why, for a commune, a beneficiary and a date.

Rules (CPAM Isère booklet 004:L662 « éligibilité conditionnée au zonage ARS : ZIP / ZAC »):

- the aid is active, lists the beneficiary, and its perimeter (``Aid.funder_territory``) contains the commune;
  an aid of another territory is not a near miss, it is simply not listed;
- terms in force on the date are used, never others (no terms in force: a near miss that says when);
- the zoning is the ARS zoning in force on the date for the commune and the profession the beneficiary
  practises (``aids.enums.ZONING_PROFESSION``: students, structures and doctors employing an assistant on the
  GP zoning, IPA on the nurses' one); a ZIP / ZAC condition with no zoning known is not met (« non
  renseigné »), never assumed;
- a career stage, when given, must be one of the aid's stages (no stage given: the aid's stages are shown);
- an aid granted once per period (décret 2025-231: ``once_per_years``) is a near miss when the person has
  received an installation aid within that period;
- the rules that depend on the professional's situation (year of studies, home commune, remplaçant, age,
  full-rate pension: :mod:`aids.services.rules`, each quoting the booklet) add their why / why not.

An eligible aid gets its amount for the :class:`~aids.services.amounts.Profile` (``computation``), and the
result totals the aids that can be combined (:func:`combine`: anti-cumul applied and explained). An aid that
is not eligible never gets an amount.

Each aid comes back as an :class:`EligibleAid` with its amount as text, the reasons it applies (« why ») or
the conditions it misses (« why not »), and notes to check (obligations, anti-cumul). Aids are few (tens):
the catalogue is read in two queries and filtered in Python (JSON lists are not searchable on SQLite).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum, Value

from territories.enums import Level, Profession, Zone
from territories.models import Territory, Zoning

from ..enums import ZONES_REQUIRED, AidKind, AmountKind, Beneficiary, CareerStage, ZoningCondition
from ..enums import ZONING_PROFESSION as _ZONING_PROFESSION
from ..formatting import format_euros
from ..models import Aid, AidTerms, format_day
from ..paps import PapsLink, paps_link
from .amounts import Computation, Profile, compute, fte_label, schedule_row
from .rules import RULES_BY_AID

ZONE_SHORT = {Zone.ZIP: "ZIP", Zone.ZAC: "ZAC", Zone.NONE: "hors zone"}
ZONE_ORDER = [Zone.ZIP, Zone.ZAC, Zone.NONE]
UNKNOWN_ZONE = "unknown"
PROFESSION_PLURAL = {
    Profession.GP: "médecins généralistes",
    Profession.NURSE: "infirmiers",
    Profession.PHYSIO: "masseurs-kinésithérapeutes",
    Profession.DENTIST: "chirurgiens-dentistes",
    Profession.MIDWIFE: "sages-femmes",
    Profession.PHARMACIST: "pharmaciens",
}


def zone_phrase(zone: str) -> str:
    """« en ZIP », « en ZAC », « hors zone »."""
    return "hors zone" if zone == Zone.NONE else f"en {ZONE_SHORT.get(zone, zone)}"


def zoning_profession(beneficiary: str) -> str:
    return _ZONING_PROFESSION.get(beneficiary, Profession.GP)


@dataclass
class EligibleAid:
    aid: Aid
    terms: AidTerms | None
    amount_label: str
    why: list[str] = field(default_factory=list)
    why_not: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    computation: Computation | None = None  # only for an eligible aid with terms in force

    @property
    def eligible(self) -> bool:
        return not self.why_not

    @property
    def computed_amount(self) -> Decimal | None:
        return self.computation.amount if self.computation else None

    @property
    def missing(self) -> list[str]:
        return self.computation.missing if self.computation else []


@dataclass
class Total:
    """The aids that can be combined, summed: ``sentence`` shows the sum, ``explanations`` what was left out."""

    amount: Decimal
    counted: list[EligibleAid]
    sentence: str
    explanations: list[str]


@dataclass
class EligibilityResult:
    commune: Territory
    beneficiary: str
    career_stage: str | None
    on: date
    zoning: Zoning | None  # the zoning in force for the beneficiary's profession, if any
    eligible: list[EligibleAid] = field(default_factory=list)
    near_misses: list[EligibleAid] = field(default_factory=list)
    profile: Profile = field(default_factory=Profile)
    total: Total | None = None

    @property
    def zone_label(self) -> str:
        return zone_sentence(self.zoning, beneficiary=self.beneficiary, on=self.on)

    @property
    def paps(self) -> PapsLink:
        """The PAPS of the commune's own région (select ``region`` with the commune to avoid a query)."""
        region = self.commune.region
        return paps_link(region.code if region else None, region.name if region else "")


def zone_sentence(zoning: Zoning | None, *, beneficiary: str, on: date) -> str:
    profession = PROFESSION_PLURAL[zoning_profession(beneficiary)]
    if zoning is None:
        return f"Zonage ARS des {profession} non renseigné pour cette commune le {format_day(on)}."
    reference = f" ({zoning.reference})" if zoning.reference else ""
    demo = " — zonage de démonstration" if zoning.is_demo else ""
    return (
        f"Commune {zone_phrase(zoning.zone)} pour les {profession} le {format_day(on)}"
        f"{reference}, en vigueur depuis le {format_day(zoning.valid_from)}{demo}."
    )


def pick_terms(terms: list[AidTerms], on: date) -> AidTerms | None:
    """The terms in force on ``on`` (the latest start if the data ever held two)."""
    in_force = [t for t in terms if t.is_in_force(on)]
    return max(in_force, key=lambda t: t.valid_from) if in_force else None


def _stage_labels(stages: list[str]) -> str:
    labels = dict(CareerStage.choices)
    return ", ".join(labels.get(s, s) for s in stages)


def evaluate(
    aid: Aid,
    *,
    terms: list[AidTerms],
    zoning: Zoning | None,
    beneficiary: str,
    career_stage: str | None,
    on: date,
    recent_installation_aid: bool = False,
    profile: Profile | None = None,
) -> EligibleAid:
    """Eligibility of one aid (already known to list the beneficiary and cover the commune) and, when eligible,
    its amount for ``profile``. No query."""
    profile = profile or Profile()
    current = pick_terms(terms, on)
    result = EligibleAid(aid=aid, terms=current, amount_label=amount_label(current, profile) if current else "")
    perimeter = aid.funder_territory
    result.why.append(
        "Aide nationale."
        if perimeter is None
        else f"Périmètre de l'aide : {perimeter.name} (la commune en fait partie)."
    )

    if current is None:
        upcoming = sorted((t for t in terms if t.valid_from > on), key=lambda t: t.valid_from)
        past = sorted(
            (t for t in terms if t.valid_until is not None and t.valid_until < on), key=lambda t: t.valid_from
        )
        message = f"Aucun montant en vigueur le {format_day(on)}"
        if upcoming:
            message += f" : montants connus à partir du {format_day(upcoming[0].valid_from)}"
        elif past:
            message += f" : derniers montants connus jusqu'au {format_day(past[-1].valid_until)}"
        result.why_not.append(message + ".")
    else:
        until = f" au {format_day(current.valid_until)}" if current.valid_until else ""
        result.why.append(f"Conditions en vigueur du {format_day(current.valid_from)}{until}.")

    if aid.career_stages:
        if career_stage is None:
            result.notes.append(f"Réservée à : {_stage_labels(aid.career_stages)}.")
        elif career_stage in aid.career_stages:
            result.why.append(f"Étape de carrière : {_stage_labels([career_stage])}.")
        else:
            result.why_not.append(
                f"Réservée à : {_stage_labels(aid.career_stages)} (étape choisie : {_stage_labels([career_stage])})."
            )

    required = ZONES_REQUIRED.get(aid.zoning_condition)
    condition = aid.get_zoning_condition_display()
    if required is not None:
        if zoning is None:
            result.why_not.append(
                f"Zonage ARS non renseigné pour cette commune à cette date : condition « {condition} » non vérifiable."
            )
        elif zoning.zone in required:
            result.why.append(f"Commune {zone_phrase(zoning.zone)} : condition « {condition} » remplie.")
        else:
            result.why_not.append(f"Commune {zone_phrase(zoning.zone)} à cette date : aide accordée {condition}.")
    elif aid.zoning_condition == ZoningCondition.ANY and zoning is not None:
        result.why.append(f"Toute zone ; pour information, commune {zone_phrase(zoning.zone)}.")

    if aid.once_per_years:
        if recent_installation_aid:
            result.why_not.append(
                f"Une aide à l'installation de même catégorie a déjà été perçue il y a moins de {aid.once_per_years} "
                f"ans. {aid.non_cumulative_rule}".strip()
            )
        else:
            result.notes.append(aid.non_cumulative_rule or f"Une seule fois par période de {aid.once_per_years} ans.")
    elif aid.non_cumulative_rule:
        result.notes.append(aid.non_cumulative_rule)
    if aid.obligations:
        result.notes.append(f"Engagements : {aid.obligations}")
    if current is not None and current.conditions:
        result.notes.append(current.conditions)
    replacement = None
    for rule in RULES_BY_AID.get(aid.slug, []):
        verdict = rule.check(profile, career_stage, on)
        result.why += verdict.why
        result.why_not += verdict.why_not
        result.notes += verdict.notes
        replacement = verdict.computation or replacement
    if result.eligible and current is not None:
        result.computation = replacement or compute(current, profile)
    return result


def amount_label(terms: AidTerms, profile: Profile) -> str:
    """The terms' amount in French; a yearly schedule reads on the profile's row (« jusqu'à 19 000 € par an
    pour 0,5 ETP »): the headline « jusqu'à 38 000 € par an » is the 1 ETP row's (004:L454-458)."""
    if terms.amount_kind == AmountKind.SCHEDULE and profile.fte is not None:
        row = schedule_row(terms, profile.fte)
        if row:
            return f"jusqu'à {format_euros(max(row))} par an pour {fte_label(profile.fte)} (barème)"
    return terms.amount_label


def combine(eligible: list[EligibleAid]) -> Total:
    """The total of the eligible aids that can be combined, and why the others are left out.

    Left out: levers (rules, not money), amounts not computed (a fact missing, or no figure in the source),
    and, among aids granted once per period (décret n° 2025-231: no second installation aid of the same
    category within 10 years, ``once_per_years``), all but the highest."""
    counted: list[EligibleAid] = []
    explanations: list[str] = []
    once: list[EligibleAid] = []
    for item in eligible:
        name = f"« {item.aid.name} »"
        if item.aid.kind == AidKind.LEVER:
            explanations.append(f"{name} : pas une aide versée, non comptée.")
        elif item.computed_amount is None:
            reason = item.computation.sentence if item.computation else "pas de montant en vigueur."
            explanations.append(f"{name} non comptée : {reason[0].lower()}{reason[1:]}")
        elif item.aid.once_per_years:
            once.append(item)
        else:
            counted.append(item)
    if once:
        kept = max(once, key=lambda i: (i.computed_amount, -i.aid.position))
        counted.append(kept)
        for item in once:
            if item is not kept:
                explanations.append(
                    f"« {item.aid.name} » ne se cumule pas avec « {kept.aid.name} » (pas de seconde aide à "
                    f"l'installation de même catégorie dans les {item.aid.once_per_years} ans, décret n° 2025-231) : "
                    "seul le montant le plus élevé est compté."
                )
    counted.sort(key=lambda i: eligible.index(i))
    explanations += [f"« {i.aid.name} » : montant maximal (« jusqu'à »)." for i in counted if i.computation.is_maximum]
    amount = sum((i.computed_amount for i in counted), Decimal(0))
    figures = [format_euros(i.computed_amount) for i in counted]
    sentence = f"{' + '.join(figures)} = {format_euros(amount)}" if len(figures) > 1 else format_euros(amount)
    return Total(amount=amount, counted=counted, sentence=sentence, explanations=explanations)


def active_aids(*, on: date | None = None) -> list[Aid]:
    """Active aids with their perimeter; ``terms_in_force`` (terms in force on ``on``) or ``all_terms``. 2 queries."""
    aids = Aid.objects.active().select_related("funder_territory").order_by("position", "name", "pk")
    if on is None:
        return list(aids.prefetch_related(Prefetch("terms", AidTerms.objects.order_by("valid_from"), "all_terms")))
    return list(
        aids.prefetch_related(
            Prefetch("terms", AidTerms.objects.in_force(on=on).order_by("valid_from"), to_attr="terms_in_force")
        )
    )


def check_eligibility(
    *,
    commune: Territory,
    beneficiary: str,
    on: date,
    career_stage: str | None = None,
    recent_installation_aid: bool = False,
    profile: Profile | None = None,
) -> EligibilityResult:
    """All aids for ``beneficiary`` practising in ``commune`` on ``on``: eligible ones with their amount for
    ``profile``, then near misses, and the total of those that combine. 3 queries (4 with a home commune)."""
    if beneficiary not in Beneficiary.values:
        raise ValueError(f"Bénéficiaire inconnu : « {beneficiary} ».")
    if career_stage is not None and career_stage not in CareerStage.values:
        raise ValueError(f"Étape de carrière inconnue : « {career_stage} ».")
    if commune.level != Level.COMMUNE:
        raise ValueError("L'éligibilité se calcule pour une commune.")
    profession = zoning_profession(beneficiary)
    zoning = (
        Zoning.objects.in_force(on=on).filter(commune=commune, profession=profession).order_by("-valid_from").first()
    )
    profile = profile or Profile()
    if profile.home_commune is not None:
        home = (
            Zoning.objects.in_force(on=on)
            .filter(commune=profile.home_commune, profession=profession)
            .order_by("-valid_from")
            .first()
        )
        profile = replace(profile, home_zone=home.zone if home else None)
    result = EligibilityResult(
        commune=commune, beneficiary=beneficiary, career_stage=career_stage, on=on, zoning=zoning, profile=profile
    )
    for aid in active_aids():
        if beneficiary not in aid.beneficiaries or not aid.covers(commune):
            continue
        evaluated = evaluate(
            aid,
            terms=aid.all_terms,
            zoning=zoning,
            beneficiary=beneficiary,
            career_stage=career_stage,
            on=on,
            recent_installation_aid=recent_installation_aid,
            profile=profile,
        )
        (result.eligible if evaluated.eligible else result.near_misses).append(evaluated)
    result.total = combine(result.eligible)
    return result


def eligible_aids(
    *,
    commune: Territory,
    beneficiary: str,
    on: date,
    career_stage: str | None = None,
    recent_installation_aid: bool = False,
) -> list[EligibleAid]:
    """The aids ``beneficiary`` may mobilise in ``commune`` on ``on`` (see :func:`check_eligibility`)."""
    return check_eligibility(
        commune=commune,
        beneficiary=beneficiary,
        on=on,
        career_stage=career_stage,
        recent_installation_aid=recent_installation_aid,
    ).eligible


# --- summary for a territory -------------------------------------------------------------------------------


def _perimeter_q(perimeter: Territory | None, prefix: str = "") -> Q:
    """Communes (``prefix`` = "commune__" from a zoning row) lying in an aid's perimeter."""
    if perimeter is None or perimeter.level == Level.COUNTRY:
        return Q()
    field_name = {
        Level.REGION: "region_id",
        Level.DEPARTMENT: "department_id",
        Level.EPCI: "epci_id",
        Level.COMMUNE: "pk",
    }[perimeter.level]
    return Q(**{f"{prefix}{field_name}": perimeter.pk})


@dataclass
class ZoneCount:
    zone: str
    label: str
    communes: int
    population: int


@dataclass
class TerritoryAid:
    aid: Aid
    terms: AidTerms
    communes: int  # communes of the territory where the aid may be mobilised (perimeter and zoning)
    population: int

    @property
    def amount_label(self) -> str:
        return self.terms.amount_label


@dataclass
class BeneficiaryAids:
    beneficiary: str
    label: str
    zoning_profession: str
    zoning_label: str  # « médecins généralistes »: whose zoning decides
    zones: list[ZoneCount]  # zoning of the territory's communes for that profession (with « non renseigné »)
    aids: list[TerritoryAid]

    @property
    def present_zones(self) -> list[ZoneCount]:
        return [z for z in self.zones if z.communes]


@dataclass
class AidsSummary:
    on: date
    communes: int
    population: int
    groups: list[BeneficiaryAids]
    demo_zoning: bool = False  # some counted zonings are demonstration data

    @property
    def aid_count(self) -> int:
        return len({line.aid.pk for group in self.groups for line in group.aids})

    @property
    def has_zoning(self) -> bool:
        return any(z.zone != UNKNOWN_ZONE and z.communes for g in self.groups for z in g.zones)


def _aids_in_force(on: date) -> list[Aid]:
    """Active aids having terms in force on ``on``, each with ``terms_in_force``, in catalogue order. 1 query."""
    aids: dict[int, Aid] = {}
    terms_in_force = (
        AidTerms.objects.in_force(on=on)
        .filter(aid__is_active=True)
        .select_related("aid", "aid__funder_territory")
        .order_by("aid__position", "aid__name", "aid_id", "valid_from")
    )
    for terms in terms_in_force:
        aid = aids.setdefault(terms.aid_id, terms.aid)
        if not hasattr(aid, "terms_in_force"):
            aid.terms_in_force = []
        aid.terms_in_force.append(terms)
    return list(aids.values())


TOTAL = "*"


def aids_summary(*, communes: QuerySet[Territory], on: date) -> AidsSummary:
    """Per beneficiary, the aids in force on ``on`` and in how many of ``communes`` (and for how many inhabitants)
    each may be mobilised, from zone counts, never commune by commune. Always 2 queries: the aids with their
    terms in force, and one statement for the counts: communes by (profession, zone) of the zoning in force,
    UNION ALL the totals of the communes; each aid perimeter adds filtered aggregates to both parts."""
    aids = _aids_in_force(on)
    perimeters = {a.funder_territory_id: a.funder_territory for a in aids if a.funder_territory_id}
    commune_ids = communes.values("pk")

    # Same columns, same order in both parts of the UNION.
    zoning_aggregates = {
        "n": Count("commune_id", distinct=True),
        "pop": Sum("commune__population"),
        "demo": Count("pk", filter=Q(is_demo=True)),
    }
    totals_aggregates = {"n": Count("pk"), "pop": Sum("population"), "demo": Value(0)}
    for pk, perimeter in perimeters.items():
        zoning_q, commune_q = _perimeter_q(perimeter, "commune__"), _perimeter_q(perimeter)
        zoning_aggregates[f"n_{pk}"] = Count("commune_id", filter=zoning_q, distinct=True)
        zoning_aggregates[f"pop_{pk}"] = Sum("commune__population", filter=zoning_q)
        totals_aggregates[f"n_{pk}"] = Count("pk", filter=commune_q)
        totals_aggregates[f"pop_{pk}"] = Sum("population", filter=commune_q)
    by_zone = (
        Zoning.objects.in_force(on=on)
        .filter(commune__in=commune_ids)
        .values(p=F("profession"), z=F("zone"))
        .annotate(**zoning_aggregates)
        .order_by()
    )
    totals_row = (
        Territory.objects.filter(pk__in=commune_ids)
        .values(p=Value(TOTAL), z=Value(TOTAL))
        .annotate(**totals_aggregates)
        .order_by()
    )
    # counts[(profession, zone)][perimeter pk or None] = (communes, population); (TOTAL, TOTAL): all communes.
    counts: dict[tuple[str, str], dict[int | None, tuple[int, int]]] = defaultdict(dict)
    demo = False
    for row in by_zone.union(totals_row, all=True):
        key = (row["p"], row["z"])
        counts[key][None] = (row["n"] or 0, row["pop"] or 0)
        demo = demo or bool(row["demo"])
        for pk in perimeters:
            counts[key][pk] = (row[f"n_{pk}"] or 0, row[f"pop_{pk}"] or 0)

    def total(pk: int | None) -> tuple[int, int]:
        return counts[(TOTAL, TOTAL)].get(pk, (0, 0))

    groups = []
    for beneficiary, label in Beneficiary.choices:
        lines = []
        profession = zoning_profession(beneficiary)
        for aid in aids:
            if beneficiary not in aid.beneficiaries:
                continue
            pk = aid.funder_territory_id
            required = ZONES_REQUIRED.get(aid.zoning_condition)
            if required is None:
                n, pop = total(pk)
            else:
                pairs = [counts[(profession, zone)].get(pk, (0, 0)) for zone in required]
                n, pop = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
            if pk and total(pk)[0] == 0:
                continue  # a territorial aid whose perimeter lies outside these communes
            lines.append(TerritoryAid(aid=aid, terms=aid.terms_in_force[-1], communes=n, population=pop))
        if not lines:
            continue
        zones = []
        known, known_pop = 0, 0
        for zone in ZONE_ORDER:
            n, pop = counts[(profession, zone)].get(None, (0, 0))
            known, known_pop = known + n, known_pop + pop
            zones.append(ZoneCount(zone, zone_phrase(zone), n, pop))
        all_n, all_pop = total(None)
        zones.append(
            ZoneCount(UNKNOWN_ZONE, "sans zonage renseigné", max(all_n - known, 0), max(all_pop - known_pop, 0))
        )
        groups.append(BeneficiaryAids(beneficiary, label, profession, PROFESSION_PLURAL[profession], zones, lines))
    n, pop = total(None)
    return AidsSummary(on=on, communes=n, population=pop, groups=groups, demo_zoning=demo)


def aids_for_territory(territory: Territory, on: date) -> AidsSummary:
    """:func:`aids_summary` for the communes of ``territory`` (2 queries whatever its size)."""
    return aids_summary(communes=Territory.objects.communes_of(territory), on=on)
