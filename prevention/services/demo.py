"""Deterministic demonstration access-to-rights points and prevention actions for all the communes in the database.

No national open file lists France Services, CCAS, PASS or CPAM reception desks with their services, nor the
prevention actions of each territory, so this generator produces plausible rows keyed to the real communes and
EPCI. Same seed and same communes → same rows on SQLite and PostgreSQL: communes and EPCI are read sorted by
code, each commune's (or EPCI's) draws come from a generator seeded by (seed, code), never from database order.

Calibration (national orders of magnitude):
- France Services: ≈ 2,800 labelled houses (ANCT, 2025), mostly in bourgs and small towns (a share of rural
  communes of 500 to 10,000 inhabitants), some in cities' priority districts;
- CPAM: one reception desk in the largest commune of each département (≈ the chef-lieu) and in every commune of
  100,000 inhabitants or more;
- PASS: ≈ 420 hospital PASS (DOMAIN.md §2.2), here in ≈ 85 % of the communes of 20,000 inhabitants or more;
- CCAS: compulsory in communes of 1,500 inhabitants or more; only those of 10,000 or more are listed here;
- points santé / médiation (DOMAIN.md §2.3: Rennes Points santé, Angers point accueil santé solidarités):
  half of the communes of 30,000 inhabitants or more;
- prevention actions: 2 to 8 per EPCI (more in populous ones), a quarter run at the EPCI's scale, the others in
  a commune drawn by population; themes and publics from DOMAIN.md §2.3 and §4 (axis D), dates between
  mid-2025 and 2027, status as of :data:`REFERENCE_DAY`.

Everything generated is flagged ``is_demo`` and logged as a DataSource « Prévention — données de démonstration »
(``is_demo``). Only demonstration rows are replaced; rows entered in the admin are left alone.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from territories.enums import Level
from territories.models import DataSource, Territory

from ..enums import AccessPointKind, AccessService, ActionStatus, PreventionTheme, TargetPublic
from ..models import AccessPoint, PreventionAction

GENERATOR_VERSION = "1.0"
DEMO_SOURCE_NAME = "Prévention — données de démonstration"
BATCH_SIZE = 2_000
REFERENCE_DAY = date(2026, 11, 1)  # statuses (planned / ongoing / done) are those of this day
FIRST_DAY, LAST_DAY = date(2025, 6, 1), date(2027, 6, 30)

# Share of communes hosting a France Services, by population band (≈ 2,800 for the 34,875 communes).
FRANCE_SERVICES_SHARE = [(500, 0.01), (1_000, 0.05), (2_000, 0.14), (5_000, 0.30), (10_000, 0.35), (30_000, 0.25)]
FRANCE_SERVICES_LARGE = 0.22
PASS_MIN_POPULATION, PASS_SHARE = 20_000, 0.85
CCAS_MIN_POPULATION = 10_000
HEALTH_POINT_MIN_POPULATION, HEALTH_POINT_SHARE = 30_000, 0.5
CPAM_MIN_POPULATION = 100_000

SERVICES = {
    AccessPointKind.CPAM: [AccessService.CSS, AccessService.AME, AccessService.PUMA, AccessService.HEALTH_CHECK],
    AccessPointKind.FRANCE_SERVICES: [AccessService.PAPERWORK, AccessService.CSS, AccessService.PUMA],
    AccessPointKind.PASS: [AccessService.FREE_CARE, AccessService.AME, AccessService.PUMA, AccessService.CSS],
    AccessPointKind.CCAS: [AccessService.PAPERWORK, AccessService.CSS],
    AccessPointKind.HEALTH_POINT: [AccessService.MEDIATION, AccessService.PAPERWORK, AccessService.CSS],
}
HOURS = {
    AccessPointKind.CPAM: ["Du lundi au vendredi, 8 h 30 - 12 h et 13 h 30 - 16 h 30, sur rendez-vous l'après-midi"],
    AccessPointKind.FRANCE_SERVICES: [
        "Lundi, mardi, jeudi 9 h - 12 h 30 et 13 h 30 - 17 h ; mercredi 9 h - 12 h",
        "Du lundi au vendredi 9 h - 12 h ; mardi et jeudi après-midi sur rendez-vous",
        "Mardi, mercredi, vendredi 9 h - 12 h et 14 h - 17 h ; samedi 9 h - 12 h",
    ],
    AccessPointKind.PASS: ["Du lundi au vendredi 9 h - 17 h, avec ou sans rendez-vous"],
    AccessPointKind.CCAS: ["Du lundi au vendredi 8 h 30 - 12 h et 13 h 30 - 17 h"],
    AccessPointKind.HEALTH_POINT: ["Lundi, mercredi et vendredi 9 h - 12 h, sans rendez-vous"],
}
STREETS = [
    "place de la Mairie",
    "rue de la République",
    "avenue Jean Jaurès",
    "rue Victor Hugo",
    "rue Pasteur",
    "place du Marché",
    "rue des Écoles",
    "boulevard de la Libération",
]
DISTRICTS = ["Centre", "Nord", "Sud", "Les Tilleuls", "Val Fleuri", "Gare"]

# (theme, title, publics, partners, duration in days (low, high) or None = permanent)
ACTION_TEMPLATES = [
    (
        PreventionTheme.CANCER_SCREENING,
        "Octobre rose : dépistage du cancer du sein",
        [TargetPublic.WOMEN],
        "CPAM, centre régional de coordination des dépistages des cancers, Ligue contre le cancer",
        (30, 31),
    ),
    (
        PreventionTheme.CANCER_SCREENING,
        "Mars bleu : dépistage du cancer colorectal",
        [TargetPublic.ALL],
        "CPAM, centre régional de coordination des dépistages des cancers, pharmacies",
        (30, 31),
    ),
    (
        PreventionTheme.VACCINATION,
        "Campagne de vaccination contre la grippe",
        [TargetPublic.ELDERLY, TargetPublic.CHRONIC],
        "CPAM, pharmacies, infirmiers libéraux",
        (90, 150),
    ),
    (
        PreventionTheme.VACCINATION,
        "Vaccination HPV au collège",
        [TargetPublic.YOUNG],
        "ARS, Éducation nationale, centre de vaccination",
        (60, 120),
    ),
    (
        PreventionTheme.HEALTH_CHECK,
        "Examens de prévention en santé",
        [TargetPublic.CSS, TargetPublic.QPV],
        "CPAM (centre d'examens de santé), CCAS",
        (180, 365),
    ),
    (
        PreventionTheme.HEALTH_CHECK,
        "Bilans de santé pour les jeunes de la Mission locale",
        [TargetPublic.YOUNG],
        "CPAM, Mission locale",
        (90, 270),
    ),
    (
        PreventionTheme.ORAL_HEALTH,
        "Dépistage bucco-dentaire dans les écoles (M'T dents)",
        [TargetPublic.CHILDREN],
        "CPAM, chirurgiens-dentistes, Éducation nationale",
        (60, 180),
    ),
    (
        PreventionTheme.NUTRITION_SPORT,
        "Ateliers nutrition et sport-santé",
        [TargetPublic.CHRONIC, TargetPublic.DIABETES],
        "maison sport-santé, diététiciens, clubs sportifs",
        (120, 300),
    ),
    (
        PreventionTheme.NUTRITION_SPORT,
        "Marche santé hebdomadaire",
        [TargetPublic.ELDERLY],
        "CCAS, associations sportives",
        None,
    ),
    (
        PreventionTheme.MENTAL_HEALTH,
        "Semaines d'information sur la santé mentale",
        [TargetPublic.ALL],
        "conseil local de santé mentale, centre médico-psychologique",
        (14, 15),
    ),
    (
        PreventionTheme.MENTAL_HEALTH,
        "Formation premiers secours en santé mentale",
        [TargetPublic.YOUNG],
        "PSSM France, centre hospitalier",
        (30, 90),
    ),
    (
        PreventionTheme.RIGHTS,
        "Permanences d'accès aux droits (CSS, AME, PUMa)",
        [TargetPublic.CSS, TargetPublic.MIGRANTS],
        "CPAM, CCAS, France Services",
        None,
    ),
    (
        PreventionTheme.RIGHTS,
        "Rendez-vous des droits et complémentaire santé solidaire",
        [TargetPublic.CSS],
        "CPAM, CAF, CCAS",
        (60, 180),
    ),
    (
        PreventionTheme.OUTREACH,
        "Bus santé dans les quartiers",
        [TargetPublic.QPV, TargetPublic.NO_GP],
        "CPAM, ARS, centre hospitalier, médiateurs en santé",
        (90, 240),
    ),
    (
        PreventionTheme.OUTREACH,
        "Médiation en santé de proximité",
        [TargetPublic.QPV, TargetPublic.HOMELESS],
        "ARS, association de médiation en santé, CCAS",
        None,
    ),
]


@dataclass(frozen=True)
class PlannedPoint:
    kind: str
    name: str
    commune: str
    address: str
    latitude: float | None
    longitude: float | None
    opening_hours: str
    services: tuple[str, ...]


@dataclass(frozen=True)
class PlannedAction:
    title: str
    theme: str
    commune: str | None  # INSEE code, or None for an action at the EPCI's scale
    epci: str  # SIREN of the EPCI
    start_date: date
    end_date: date | None
    status: str
    publics: tuple[str, ...]
    partners: str


@dataclass
class Plan:
    points: list[PlannedPoint] = field(default_factory=list)
    actions: list[PlannedAction] = field(default_factory=list)


@dataclass(frozen=True)
class CommuneRow:
    code: str
    name: str
    population: int
    department: str
    epci: str
    latitude: float | None
    longitude: float | None
    area_km2: float | None


def _rng(seed: int, *parts: str) -> random.Random:
    return random.Random(":".join([str(seed), *parts]))  # str seed: sha512-based, the same on every machine


def _france_services_share(population: int) -> float:
    for upper, share in FRANCE_SERVICES_SHARE:
        if population < upper:
            return share
    return FRANCE_SERVICES_LARGE


def _coordinates(rng: random.Random, c: CommuneRow) -> tuple[float | None, float | None]:
    if c.latitude is None or c.longitude is None:
        return None, None
    spread = 0.2 * max(c.area_km2 or 1.0, 1.0) ** 0.5 / 111  # degrees: a fraction of the commune's width
    lat = min(max(c.latitude + (rng.random() - 0.5) * spread, -90), 90)
    lon = min(max(c.longitude + (rng.random() - 0.5) * spread, -180), 180)
    return round(lat, 5), round(lon, 5)


def _point(kind: str, name: str, c: CommuneRow, rng: random.Random) -> PlannedPoint:
    lat, lon = _coordinates(rng, c)
    return PlannedPoint(
        kind=kind,
        name=name,
        commune=c.code,
        address=f"{1 + int(rng.random() * 40)} {rng.choice(STREETS)}",
        latitude=lat,
        longitude=lon,
        opening_hours=rng.choice(HOURS[kind]),
        services=tuple(SERVICES[kind]),
    )


def plan_points(communes: list[CommuneRow], *, seed: int) -> list[PlannedPoint]:
    """Access points of the communes (sorted by code), each commune's draws seeded by (seed, code)."""
    largest: dict[str, CommuneRow] = {}
    for c in communes:
        best = largest.get(c.department)
        if best is None or c.population > best.population:
            largest[c.department] = c
    cpam_codes = {c.code for c in largest.values()}
    points = []
    for c in communes:
        # Four draws per commune, always taken: which kinds a commune gets never shifts another draw; each point
        # then has its own generator (seed, code, kind).
        rng = _rng(seed, c.code, "points")
        fs_draw, pass_draw, point_draw, district_draw = (rng.random() for _ in range(4))
        district = DISTRICTS[int(district_draw * len(DISTRICTS))]
        cpam = c.code in cpam_codes or c.population >= CPAM_MIN_POPULATION
        wanted = [
            (AccessPointKind.CPAM, f"Accueil de la CPAM — {c.name}", cpam),
            (
                AccessPointKind.FRANCE_SERVICES,
                f"France Services {c.name}",
                fs_draw < _france_services_share(c.population),
            ),
            (
                AccessPointKind.PASS,
                f"PASS du centre hospitalier de {c.name}",
                c.population >= PASS_MIN_POPULATION and pass_draw < PASS_SHARE,
            ),
            (AccessPointKind.CCAS, f"CCAS de {c.name}", c.population >= CCAS_MIN_POPULATION),
            (
                AccessPointKind.HEALTH_POINT,
                f"Point santé {district} — {c.name}",
                c.population >= HEALTH_POINT_MIN_POPULATION and point_draw < HEALTH_POINT_SHARE,
            ),
        ]
        for kind, name, present in wanted:
            if present:
                points.append(_point(kind, name, c, _rng(seed, c.code, kind)))
    return points


def _status(start: date, end: date | None) -> str:
    if end is not None and end < REFERENCE_DAY:
        return ActionStatus.DONE
    if start > REFERENCE_DAY:
        return ActionStatus.PLANNED
    return ActionStatus.ONGOING


def plan_actions(communes: list[CommuneRow], epcis: list[tuple[str, int]], *, seed: int) -> list[PlannedAction]:
    """2 to 8 actions per EPCI (SIREN, population), sorted by SIREN; draws seeded by (seed, SIREN)."""
    members: dict[str, list[CommuneRow]] = {}
    for c in communes:
        if c.epci:
            members.setdefault(c.epci, []).append(c)
    span = (LAST_DAY - FIRST_DAY).days
    actions = []
    for siren, population in epcis:
        towns = members.get(siren)
        if not towns:
            continue
        rng = _rng(seed, siren, "actions")
        weights = [max(t.population, 1) ** 0.7 for t in towns]
        count = min(2 + population // 60_000, 8)
        for _ in range(count):
            theme, title, publics, partners, duration = ACTION_TEMPLATES[int(rng.random() * len(ACTION_TEMPLATES))]
            at_epci_scale = rng.random() < 0.25
            commune = None if at_epci_scale else rng.choices(towns, weights=weights)[0]
            start = FIRST_DAY + timedelta(days=int(rng.random() * span))
            if title.startswith("Octobre rose"):
                start = date(start.year, 10, 1)
            elif title.startswith("Mars bleu"):
                start = date(start.year if start.month <= 3 else min(start.year + 1, 2027), 3, 1)
            end = None
            if duration is not None:
                low, high = duration
                end = start + timedelta(days=low + int(rng.random() * (high - low + 1)) - 1)
            actions.append(
                PlannedAction(
                    title=f"{title} — {commune.name}" if commune else title,
                    theme=theme,
                    commune=commune.code if commune else None,
                    epci=siren,
                    start_date=start,
                    end_date=end,
                    status=_status(start, end),
                    publics=tuple(publics),
                    partners=partners,
                )
            )
    return actions


def read_geography() -> tuple[list[CommuneRow], list[tuple[str, int]], dict[str, int], dict[str, int]]:
    """Communes and EPCI sorted by code (3 queries), with the ids of communes and EPCI by code."""
    codes = dict(
        Territory.objects.filter(level__in=[Level.DEPARTMENT, Level.EPCI]).values_list("pk", "code").order_by("code")
    )
    commune_ids: dict[str, int] = {}
    communes = []
    rows = (
        Territory.objects.filter(level=Level.COMMUNE)
        .order_by("code")
        .values_list(
            "pk", "code", "name", "population", "department_id", "epci_id", "centroid_lat", "centroid_lon", "area_km2"
        )
    )
    for pk, code, name, population, department_id, epci_id, lat, lon, area in rows:
        commune_ids[code] = pk
        communes.append(
            CommuneRow(
                code=code,
                name=name,
                population=population or 0,
                department=codes.get(department_id, ""),
                epci=codes.get(epci_id, ""),
                latitude=lat,
                longitude=lon,
                area_km2=area,
            )
        )
    epci_ids, epcis = {}, []
    for pk, code, population in (
        Territory.objects.filter(level=Level.EPCI).order_by("code").values_list("pk", "code", "population")
    ):
        epci_ids[code] = pk
        epcis.append((code, population or 0))
    # Sorted in Python: the database's collation may order codes such as 2A004 / 2B002 / 20001 differently.
    communes.sort(key=lambda c: c.code)
    epcis.sort()
    return communes, epcis, commune_ids, epci_ids


def plan_demo(communes: list[CommuneRow], epcis: list[tuple[str, int]], *, seed: int) -> Plan:
    return Plan(points=plan_points(communes, seed=seed), actions=plan_actions(communes, epcis, seed=seed))


def demo_version(seed: int) -> str:
    return f"graine {seed} · générateur {GENERATOR_VERSION}"


def _point_line(kind, name, commune, address, lat, lon, hours, services) -> str:
    coords = "" if lat is None else f"{lat:.5f},{lon:.5f}"
    return "|".join([kind, name, commune, address, coords, hours, ",".join(services)])


def _action_line(title, theme, commune, territory, start, end, status, publics, partners) -> str:
    end_text = end.isoformat() if end else ""
    return "|".join(
        [title, theme, commune or "", territory or "", start.isoformat(), end_text, status, ",".join(publics), partners]
    )


def _checksum(points: list[str], actions: list[str]) -> str:
    digest = hashlib.sha256()
    for line in sorted(points) + ["--"] + sorted(actions):
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def stored_checksum() -> str:
    """Checksum of the demonstration rows in the database (order-free): equal for equal contents anywhere."""
    points = [
        _point_line(*row)
        for row in AccessPoint.objects.filter(is_demo=True).values_list(
            "kind", "name", "commune__code", "address", "latitude", "longitude", "opening_hours", "services"
        )
    ]
    actions = [
        _action_line(*row)
        for row in PreventionAction.objects.filter(is_demo=True).values_list(
            "title",
            "theme",
            "commune__code",
            "territory__code",
            "start_date",
            "end_date",
            "status",
            "publics",
            "partners",
        )
    ]
    return _checksum(points, actions)


def current_demo_source(*, seed: int = 42) -> DataSource | None:
    """The last demo load if it is the one this seed, generator version and geography would give."""
    source = DataSource.objects.filter(name=DEMO_SOURCE_NAME, is_demo=True).order_by("-loaded_at", "-pk").first()
    if source is None or source.version != demo_version(seed):
        return None
    if (source.row_counts or {}).get("communes") != Territory.objects.filter(level=Level.COMMUNE).count():
        return None
    if not AccessPoint.objects.filter(is_demo=True).exists():
        return None
    return source


def delete_demo_rows() -> int:
    """Delete the demonstration points and actions in bulk (no history rows: they were never edited)."""
    db = AccessPoint.objects.db
    points = AccessPoint.objects.filter(is_demo=True)
    actions = PreventionAction.objects.filter(is_demo=True)
    count = points.count() + actions.count()
    points._raw_delete(db)
    actions._raw_delete(db)
    return count


@transaction.atomic
def generate_demo_prevention(*, seed: int = 42, log=None) -> DataSource:
    """Replace the demonstration access points and prevention actions by those of ``seed``, logged as a
    DataSource (``row_counts`` hold the counts by kind and theme and the checksum). A constant number of
    queries whatever the number of communes."""
    log = log or (lambda message: None)
    started = time.perf_counter()
    communes, epcis, commune_ids, epci_ids = read_geography()
    if not communes:
        raise ValidationError("Aucune commune en base : chargez d'abord la géographie de référence (load_reference).")
    plan = plan_demo(communes, epcis, seed=seed)
    log(f"plan : {len(plan.points)} points d'accès, {len(plan.actions)} actions")
    deleted = delete_demo_rows()
    source = DataSource.objects.create(name=DEMO_SOURCE_NAME, version=demo_version(seed), is_demo=True)
    AccessPoint.objects.bulk_create(
        [
            AccessPoint(
                kind=p.kind,
                name=p.name,
                address=p.address,
                commune_id=commune_ids[p.commune],
                latitude=p.latitude,
                longitude=p.longitude,
                opening_hours=p.opening_hours,
                services=list(p.services),
                is_demo=True,
                source=source,
            )
            for p in plan.points
        ],
        batch_size=BATCH_SIZE,
    )
    PreventionAction.objects.bulk_create(
        [
            PreventionAction(
                title=a.title,
                theme=a.theme,
                publics=list(a.publics),
                commune_id=commune_ids[a.commune] if a.commune else None,
                territory_id=None if a.commune else epci_ids[a.epci],
                start_date=a.start_date,
                end_date=a.end_date,
                partners=a.partners,
                status=a.status,
                is_demo=True,
                source=source,
            )
            for a in plan.actions
        ],
        batch_size=BATCH_SIZE,
    )
    checksum = _checksum(
        [
            _point_line(p.kind, p.name, p.commune, p.address, p.latitude, p.longitude, p.opening_hours, p.services)
            for p in plan.points
        ],
        [
            _action_line(
                a.title,
                a.theme,
                a.commune,
                None if a.commune else a.epci,
                a.start_date,
                a.end_date,
                a.status,
                a.publics,
                a.partners,
            )
            for a in plan.actions
        ],
    )
    by_kind = {k: 0 for k in AccessPointKind.values}
    for p in plan.points:
        by_kind[p.kind] += 1
    by_theme = {t: 0 for t in PreventionTheme.values}
    for a in plan.actions:
        by_theme[a.theme] += 1
    source.checksum = checksum
    source.row_counts = {
        "communes": len(communes),
        "points": len(plan.points),
        "points_par_type": by_kind,
        "actions": len(plan.actions),
        "actions_par_theme": by_theme,
        "supprimees": deleted,
    }
    source.duration_s = round(time.perf_counter() - started, 2)
    source.save(update_fields=["checksum", "row_counts", "duration_s"])
    return source
