"""Load the committed aid catalogue (``aids/data/catalogue_2026.json``) into Aid and AidTerms.

Contract:

- **validated first, all or nothing**: every error of the file is reported in French (aid, field, reason)
  and nothing is written; a conflict with the database (periods overlapping terms entered in the admin) is
  also an error, in the same transaction;
- **create or update by slug**; terms are matched by (aid, ``valid_from``). A row is saved only when a
  value changes, so a second load writes nothing and adds no history; a changed amount is one new history
  record. Terms of an aid that the file does not list (added in the admin) are kept;
- **the admin's edits survive** a re-run of the same file: when the file's checksum is that of the last
  load, only aids missing from the database are created (an aid skipped because its territory was not
  loaded yet is created once it is). A new version of the file (or ``force``) updates every aid it lists;
- an aid whose perimeter (``funder_territory``: level and code, resolved at load time) is not in the
  database is skipped with a warning;
- each load that writes something is logged as a :class:`~territories.models.DataSource` row (name,
  version, sha256), which the fiche territoire lists among its sources.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from territories.models import DataSource, Territory
from territories.services.import_report import CatalogueRefused

from ..enums import AidKind, AmountKind, Beneficiary, CareerStage, Funder, ZoningCondition
from ..models import PERIMETER_LEVELS, Aid, AidTerms
from .terms import overlap_errors

DEFAULT_CATALOGUE = Path(__file__).resolve().parent.parent / "data" / "catalogue_2026.json"
SOURCE_NAME = "Catalogue des aides à l'installation"

AID_FIELDS = {
    "slug",
    "name",
    "kind",
    "funder",
    "funder_territory",
    "beneficiaries",
    "career_stages",
    "zoning_condition",
    "description",
    "obligations",
    "legal_basis",
    "source",
    "source_url",
    "once_per_years",
    "non_cumulative_rule",
    "position",
    "is_active",
    "terms",
}
AID_REQUIRED = {"slug", "name", "funder", "beneficiaries", "zoning_condition", "description", "source", "terms"}
TERMS_FIELDS = {
    "valid_from",
    "valid_until",
    "amount_kind",
    "amount",
    "is_ceiling",
    "cap",
    "schedule",
    "amount_note",
    "conditions",
    "source",
}
TERMS_REQUIRED = {"valid_from", "amount_kind"}
TEXT_DEFAULTS = {"obligations": "", "legal_basis": "", "source_url": "", "non_cumulative_rule": ""}


class CatalogueError(CatalogueRefused):
    """The catalogue cannot be loaded: ``errors`` are French sentences, one per problem."""


@dataclass
class LoadReport:
    version: str = ""
    checksum: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    terms_created: int = 0
    terms_updated: int = 0
    warnings: list[str] = field(default_factory=list)
    same_file: bool = False
    source: DataSource | None = None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.terms_created or self.terms_updated)


@dataclass
class AidSpec:
    slug: str
    fields: dict
    perimeter: tuple[str, str] | None
    terms: list[dict]


# --- validation of the file ---------------------------------------------------------------------------------


def _date(value, where: str, errors: list[str]) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        errors.append(f"{where} : date invalide « {value} » (format AAAA-MM-JJ attendu).")
        return None


def _decimal(value, where: str, errors: list[str]) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        errors.append(f"{where} : nombre attendu, reçu « {value} ».")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors.append(f"{where} : nombre attendu, reçu « {value} ».")
        return None
    if not number.is_finite():
        errors.append(f"{where} : nombre attendu, reçu « {value} ».")
        return None
    if number < 0:
        errors.append(f"{where} : montant négatif ({value}).")
        return None
    return number


def _choice(value, choices, where: str, errors: list[str]):
    if value not in choices.values:
        errors.append(f"{where} : valeur inconnue « {value} » (attendu : {', '.join(choices.values)}).")


def _choice_list(values, choices, where: str, errors: list[str], *, required: bool):
    if not isinstance(values, list) or (required and not values):
        errors.append(f"{where} : liste {'non vide ' if required else ''}attendue.")
        return
    for value in values:
        _choice(value, choices, where, errors)


def parse_catalogue(data) -> tuple[dict, list[AidSpec]]:
    """Check the structure and values of a decoded catalogue; ``CatalogueError`` listing every problem."""
    errors: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("aids"), list):
        raise CatalogueError(["Le catalogue doit être un objet JSON avec une liste « aids »."])
    if not isinstance(data.get("version"), str) or not data["version"]:
        errors.append("Le catalogue doit indiquer sa « version » (ex. : « 2026-01 »).")
    specs: list[AidSpec] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["aids"], start=1):
        where = f"Aide n° {index}"
        if not isinstance(raw, dict):
            errors.append(f"{where} : un objet est attendu.")
            continue
        slug = raw.get("slug")
        if isinstance(slug, str) and slug:
            where = f"Aide « {slug} »"
            if slug in seen:
                errors.append(f"{where} : identifiant en double dans le fichier.")
            seen.add(slug)
        if missing := sorted(AID_REQUIRED - raw.keys()):
            errors.append(f"{where} : champ(s) obligatoire(s) manquant(s) : {', '.join(missing)}.")
            continue
        if unknown := sorted(raw.keys() - AID_FIELDS):
            errors.append(f"{where} : champ(s) inconnu(s) : {', '.join(unknown)}.")
        _choice(raw["funder"], Funder, f"{where}, financeur", errors)
        _choice(raw.get("kind", AidKind.GRANT), AidKind, f"{where}, nature", errors)
        _choice(raw["zoning_condition"], ZoningCondition, f"{where}, condition de zonage", errors)
        _choice_list(raw["beneficiaries"], Beneficiary, f"{where}, bénéficiaires", errors, required=True)
        _choice_list(raw.get("career_stages", []), CareerStage, f"{where}, étapes de carrière", errors, required=False)
        perimeter = None
        if (territory := raw.get("funder_territory")) is not None:
            if (
                not isinstance(territory, dict)
                or territory.get("level") not in PERIMETER_LEVELS
                or not isinstance(territory.get("code"), str)
            ):
                errors.append(
                    f'{where}, périmètre : {{"level": …, "code": …}} attendu, niveau parmi '
                    f"{', '.join(PERIMETER_LEVELS)}."
                )
            else:
                perimeter = (territory["level"], territory["code"])
        fields = {k: v for k, v in raw.items() if k not in ("terms", "funder_territory")}
        fields = {**TEXT_DEFAULTS, **fields}
        for key in ("once_per_years", "position"):
            value = fields.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                errors.append(f"{where}, {key} : nombre entier positif attendu.")
        if fields.get("once_per_years") == 0:
            errors.append(f"{where}, once_per_years : au moins 1 an (ou null).")
        terms = []
        if not isinstance(raw["terms"], list) or not raw["terms"]:
            errors.append(f"{where} : au moins une période de conditions (« terms ») est attendue.")
        else:
            for t_index, t_raw in enumerate(raw["terms"], start=1):
                terms_where = f"{where}, conditions n° {t_index}"
                if not isinstance(t_raw, dict):
                    errors.append(f"{terms_where} : un objet est attendu.")
                    continue
                if missing := sorted(TERMS_REQUIRED - t_raw.keys()):
                    errors.append(f"{terms_where} : champ(s) obligatoire(s) manquant(s) : {', '.join(missing)}.")
                    continue
                if unknown := sorted(t_raw.keys() - TERMS_FIELDS):
                    errors.append(f"{terms_where} : champ(s) inconnu(s) : {', '.join(unknown)}.")
                _choice(t_raw["amount_kind"], AmountKind, f"{terms_where}, type de montant", errors)
                spec = {
                    "valid_from": _date(t_raw["valid_from"], f"{terms_where}, début", errors),
                    "valid_until": _date(t_raw.get("valid_until"), f"{terms_where}, fin", errors),
                    "amount_kind": t_raw["amount_kind"],
                    "amount": _decimal(t_raw.get("amount"), f"{terms_where}, montant", errors),
                    "cap": _decimal(t_raw.get("cap"), f"{terms_where}, plafond", errors),
                    "is_ceiling": bool(t_raw.get("is_ceiling", False)),
                    "schedule": t_raw.get("schedule") or {},
                    "amount_note": t_raw.get("amount_note", ""),
                    "conditions": t_raw.get("conditions", ""),
                    "source": t_raw.get("source", ""),
                }
                if t_raw["valid_from"] is None:
                    errors.append(f"{terms_where} : date de début obligatoire.")
                terms.append(spec)
            periods = [(t["valid_from"], t["valid_until"]) for t in terms if t["valid_from"]]
            if len({p[0] for p in periods}) != len(periods):
                errors.append(f"{where} : deux périodes commencent le même jour.")
            for message in overlap_errors([p for p in periods if p[1] is None or p[1] > p[0]]):
                errors.append(f"{where} : {message}")
        specs.append(AidSpec(slug=slug, fields=fields, perimeter=perimeter, terms=terms))
    if errors:
        raise CatalogueError(errors)
    return data, specs


def _validation_messages(error: ValidationError, where: str) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{where}, {name} : {message}" for name, messages in error.message_dict.items() for message in messages]
    return [f"{where} : {message}" for message in error.messages]


# --- loading -------------------------------------------------------------------------------------------------


def load_catalogue(*, path: Path = DEFAULT_CATALOGUE, force: bool = False) -> LoadReport:
    """Load the catalogue file (see the module docstring for the contract). ``CatalogueError`` on bad data."""
    started = time.perf_counter()
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CatalogueError([f"Fichier de catalogue illisible : {path} ({error.strerror})."]) from None
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        position = f" ligne {error.lineno}, colonne {error.colno}" if isinstance(error, json.JSONDecodeError) else ""
        raise CatalogueError([f"Fichier de catalogue invalide (JSON){position} : {path.name}."]) from None
    data, specs = parse_catalogue(data)
    report = LoadReport(version=data["version"], checksum=hashlib.sha256(raw).hexdigest())
    last = DataSource.objects.filter(name=SOURCE_NAME).order_by("-loaded_at", "-pk").first()
    report.same_file = last is not None and last.checksum == report.checksum and not force

    wanted = {spec.perimeter for spec in specs if spec.perimeter}
    perimeters: dict[tuple[str, str], Territory] = {}
    if wanted:
        query = Q()
        for level, code in wanted:
            query |= Q(level=level, code=code)
        perimeters = {(t.level, t.code): t for t in Territory.objects.filter(query)}

    errors: list[str] = []
    with transaction.atomic():
        existing = {
            aid.slug: aid
            for aid in Aid.objects.filter(slug__in=[s.slug for s in specs])
            .prefetch_related("terms")
            .select_for_update()
        }
        for spec in specs:
            territory = None
            if spec.perimeter:
                territory = perimeters.get(spec.perimeter)
                if territory is None:
                    report.warnings.append(
                        f"Aide « {spec.slug} » ignorée : territoire {spec.perimeter[0]} {spec.perimeter[1]} "
                        "absent du référentiel (chargez-le puis relancez load_aids)."
                    )
                    continue
            aid = existing.get(spec.slug)
            if aid is not None and report.same_file:
                report.unchanged += 1
                continue
            errors += _write_aid(spec, aid=aid, territory=territory, report=report)
        if errors:
            transaction.set_rollback(True)
        elif report.changed:
            report.source = DataSource.objects.create(
                name=SOURCE_NAME,
                version=report.version,
                url=str(path.name),
                checksum=report.checksum,
                is_demo=False,
                row_counts={
                    "aides créées": report.created,
                    "aides modifiées": report.updated,
                    "conditions créées": report.terms_created,
                    "conditions modifiées": report.terms_updated,
                    "aides ignorées": len(report.warnings),
                },
                duration_s=round(time.perf_counter() - started, 3),
                notes=str(data.get("description", ""))[:2000],
            )
    if errors:
        raise CatalogueError(errors)
    return report


def _write_aid(spec: AidSpec, *, aid: Aid | None, territory: Territory | None, report: LoadReport) -> list[str]:
    """Create or update one aid and its terms; French messages for what the database refuses."""
    where = f"Aide « {spec.slug} »"
    reason = f"Chargement du catalogue des aides {report.version}"
    values = {**spec.fields, "funder_territory": territory}
    created = aid is None
    if created:
        aid = Aid()
    changed = [name for name, value in spec.fields.items() if getattr(aid, name) != value]
    if aid.funder_territory_id != (territory.pk if territory else None):
        changed.append("funder_territory")
    for name in changed:
        setattr(aid, name, values[name])
    if changed:
        try:
            aid.full_clean()
        except ValidationError as error:
            return _validation_messages(error, where)
        aid._change_reason = reason
        aid.save()
        if created:
            report.created += 1
        else:
            report.updated += 1
    else:
        report.unchanged += 1

    current = {} if created else {t.valid_from: t for t in aid.terms.all()}
    in_file = {t["valid_from"] for t in spec.terms}
    # Final periods: the file's terms and the admin's terms that the file does not list.
    periods = [(t["valid_from"], t["valid_until"]) for t in spec.terms]
    periods += [(t.valid_from, t.valid_until) for start, t in current.items() if start not in in_file]
    if conflicts := overlap_errors(periods):
        return [
            f"{where} : {message} (conflit avec des conditions saisies dans l'administration)" for message in conflicts
        ]
    errors = []
    for values in spec.terms:
        terms = current.get(values["valid_from"])
        is_new = terms is None
        if is_new:
            terms = AidTerms(aid=aid)
        changed = [name for name, value in values.items() if getattr(terms, name) != value]
        if not changed:
            continue
        for name in changed:
            setattr(terms, name, values[name])
        terms.defer_overlap_check = True  # checked above on the final set of periods
        try:
            terms.full_clean()
        except ValidationError as error:
            errors += _validation_messages(error, f"{where}, conditions du {values['valid_from']:%d/%m/%Y}")
            continue
        terms._change_reason = reason
        terms.save()
        if is_new:
            report.terms_created += 1
        else:
            report.terms_updated += 1
    return errors
