"""Load the committed catalogue of inspiring initiatives (``prevention/data/initiatives.json``).

Contract:

- **validated first, all or nothing**: every error of the file is reported in French (entry, field, reason)
  and nothing is written;
- **create or update by slug**; a row is saved only when a value changes, so a second load of the same file
  writes nothing and adds no history. When the file's checksum is that of the last load (and without
  ``force``), only initiatives missing from the database are created: edits made in the admin survive;
- places are resolved from INSEE codes at load time (``commune``; ``department`` and ``region`` follow the
  commune, or are given for a départemental or regional initiative). A code not in the database leaves the
  field empty with a warning (the initiative keeps its ``place_label``); a later load fills it in;
- each load that writes something is logged as a :class:`~territories.models.DataSource` row.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.db import transaction

from territories.enums import Level
from territories.models import DataSource, Territory
from territories.services.import_report import CatalogueRefused

from ..enums import Axis, CollectivityRole, Lever, SourceDocument, TargetPublic
from ..models import Initiative

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "data" / "initiatives.json"
SOURCE_NAME = "Initiatives inspirantes"

FIELDS = {
    "slug",
    "title",
    "summary",
    "commune",
    "department",
    "region",
    "place_label",
    "scale",
    "period",
    "axis",
    "lever",
    "role",
    "role_detail",
    "publics",
    "pilot",
    "partners",
    "results",
    "source",
    "url",
    "position",
}
REQUIRED = {"slug", "title", "summary", "place_label", "axis", "lever", "role", "source"}
TEXT_FIELDS = ["title", "summary", "place_label", "scale", "period", "role_detail", "pilot", "partners", "results"]
LIMITS = {"title": 200, "place_label": 200, "scale": 200, "period": 120, "role_detail": 300, "pilot": 300}
COMMUNE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
DEPARTMENT_CODE = re.compile(r"^(\d{2,3}|2[AB])$")
REGION_CODE = re.compile(r"^\d{2}$")
LINES = re.compile(r"^L\d+(-\d+)?(, ?L\d+(-\d+)?)*$")


class InitiativesError(CatalogueRefused):
    """The file cannot be loaded: ``errors`` are French sentences, one per problem."""


@dataclass
class LoadReport:
    version: str = ""
    checksum: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)
    source: DataSource | None = None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _validate(data) -> tuple[str, list[dict]]:
    """The file's version and its entries as model field values (codes not resolved yet); raises on any error."""
    errors: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("initiatives"), list):
        raise InitiativesError(["Le fichier doit contenir un objet avec une liste « initiatives »."])
    version = str(data.get("version") or "").strip()
    if not version:
        errors.append("Le fichier n'indique pas sa version (« version »).")
    entries, seen = [], set()
    for index, raw in enumerate(data["initiatives"], start=1):
        if not isinstance(raw, dict):
            errors.append(f"Initiative n° {index} : objet attendu.")
            continue
        slug = raw.get("slug")
        where = f"Initiative « {slug} »" if isinstance(slug, str) and slug else f"Initiative n° {index}"
        if unknown := sorted(set(raw) - FIELDS):
            errors.append(f"{where} : champ inconnu {', '.join(f'« {u} »' for u in unknown)}.")
        if missing := sorted(f for f in REQUIRED if raw.get(f) in (None, "", [], {})):
            errors.append(f"{where} : champ obligatoire manquant {', '.join(f'« {m} »' for m in missing)}.")
            continue
        try:
            validate_slug(slug)
        except ValidationError:
            errors.append(f"{where} : identifiant « slug » invalide (lettres, chiffres, tirets).")
        if slug in seen:
            errors.append(f"{where} : identifiant en double.")
        seen.add(slug)
        values = {"slug": slug}
        for name in TEXT_FIELDS:
            value = raw.get(name, "")
            if not isinstance(value, str):
                errors.append(f"{where} : « {name} » doit être un texte.")
                continue
            if name in LIMITS and len(value) > LIMITS[name]:
                errors.append(f"{where} : « {name} » dépasse {LIMITS[name]} caractères.")
            values[name] = value.strip()
        for name, choices in (("axis", Axis), ("lever", Lever), ("role", CollectivityRole)):
            if raw[name] not in choices.values:
                errors.append(f"{where} : valeur inconnue pour « {name} » : « {raw[name]} ».")
            values[name] = raw[name]
        if raw["lever"] in Lever.values and not str(raw["lever"]).startswith(str(raw["axis"])):
            errors.append(f"{where} : le levier {raw['lever']} n'appartient pas à l'axe {raw['axis']}.")
        publics = raw.get("publics", [])
        if not isinstance(publics, list) or [p for p in publics if p not in TargetPublic.values]:
            errors.append(f"{where} : publics visés inconnus ou mal formés : {publics!r}.")
        values["publics"] = publics
        for name, pattern in (("commune", COMMUNE_CODE), ("department", DEPARTMENT_CODE), ("region", REGION_CODE)):
            code = raw.get(name)
            if code is not None and not (isinstance(code, str) and pattern.match(code)):
                errors.append(f"{where} : code INSEE invalide pour « {name} » : « {code} ».")
            values[f"{name}_code"] = code
        source = raw["source"]
        if not isinstance(source, dict) or set(source) != {"document", "lines"}:
            errors.append(f'{where} : « source » attend {{"document": …, "lines": …}}.')
        else:
            if source["document"] not in SourceDocument.values:
                errors.append(f"{where} : document source inconnu « {source['document']} ».")
            if not isinstance(source["lines"], str) or not LINES.match(source["lines"]):
                errors.append(f"{where} : lignes citées invalides « {source['lines']} » (ex. : L4463-4557).")
            values["source_document"], values["source_lines"] = source["document"], source["lines"]
        url = raw.get("url", "") or ""
        if url:
            try:
                URLValidator()(url)
            except ValidationError:
                errors.append(f"{where} : lien invalide « {url} ».")
        values["url"] = url
        position = raw.get("position", 100)
        if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 32767:
            errors.append(f"{where} : « position » doit être un entier entre 0 et 32767.")
        values["position"] = position
        entries.append(values)
    if errors:
        raise InitiativesError(errors)
    return version, entries


def _resolve(entries: list[dict], report: LoadReport) -> list[dict]:
    """Replace INSEE codes by territory ids (3 queries); unknown codes become empty places with a warning."""
    wanted = {level: set() for level in (Level.COMMUNE, Level.DEPARTMENT, Level.REGION)}
    for e in entries:
        for name, level in (("commune", Level.COMMUNE), ("department", Level.DEPARTMENT), ("region", Level.REGION)):
            if e[f"{name}_code"]:
                wanted[level].add(e[f"{name}_code"])
    communes = {
        code: (pk, department_id, region_id)
        for code, pk, department_id, region_id in Territory.objects.filter(
            level=Level.COMMUNE, code__in=wanted[Level.COMMUNE]
        ).values_list("code", "pk", "department_id", "region_id")
    }
    departments = dict(
        Territory.objects.filter(level=Level.DEPARTMENT, code__in=wanted[Level.DEPARTMENT]).values_list("code", "pk")
    )
    department_regions = dict(
        Territory.objects.filter(level=Level.DEPARTMENT, code__in=wanted[Level.DEPARTMENT]).values_list(
            "pk", "region_id"
        )
    )
    regions = dict(
        Territory.objects.filter(level=Level.REGION, code__in=wanted[Level.REGION]).values_list("code", "pk")
    )
    resolved = []
    for e in entries:
        values = {k: v for k, v in e.items() if not k.endswith("_code")}
        commune_id = department_id = region_id = None
        if code := e["commune_code"]:
            if code in communes:
                commune_id, department_id, region_id = communes[code]
            else:
                report.warnings.append(
                    f"Initiative « {e['slug']} » : commune {code} absente de la base (lieu laissé vide)."
                )
        if code := e["department_code"]:
            if code in departments:
                department_id = departments[code]
                region_id = region_id or department_regions.get(department_id)
            else:
                report.warnings.append(f"Initiative « {e['slug']} » : département {code} absent de la base.")
        if code := e["region_code"]:
            if code in regions:
                region_id = regions[code]
            else:
                report.warnings.append(f"Initiative « {e['slug']} » : région {code} absente de la base.")
        values.update(commune_id=commune_id, department_id=department_id, region_id=region_id)
        resolved.append(values)
    return resolved


@transaction.atomic
def load_initiatives(*, path: Path = DEFAULT_FILE, force: bool = False) -> LoadReport:
    """Validate then load the initiatives file (see the module docstring). Raises :class:`InitiativesError`."""
    started = time.perf_counter()
    try:
        content = path.read_bytes()
    except OSError as error:
        raise InitiativesError([f"Fichier illisible : {path} ({error.strerror})."]) from None
    try:
        data = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InitiativesError([f"JSON invalide : {error}."]) from None
    version, entries = _validate(data)
    report = LoadReport(version=version, checksum=hashlib.sha256(content).hexdigest())
    last = DataSource.objects.filter(name=SOURCE_NAME).order_by("-loaded_at", "-pk").first()
    same_file = last is not None and last.checksum == report.checksum and not force
    existing = {i.slug: i for i in Initiative.objects.all()}
    for values in _resolve(entries, report):
        initiative = existing.get(values["slug"])
        if initiative is None:
            initiative = Initiative(**values)
            initiative.full_clean()
            initiative.save()
            report.created += 1
            continue
        if same_file:  # keep the admin's edits; only fill places whose territory was loaded since
            places = {n: values[n] for n in ("commune_id", "department_id", "region_id")}
            missing = {n: v for n, v in places.items() if v is not None and getattr(initiative, n) is None}
            if not missing:
                report.unchanged += 1
                continue
            for name, value in missing.items():
                setattr(initiative, name, value)
            initiative.save()
            report.updated += 1
            continue
        changed = [name for name, value in values.items() if getattr(initiative, name) != value]
        if not changed:
            report.unchanged += 1
            continue
        for name in changed:
            setattr(initiative, name, values[name])
        initiative.full_clean()
        initiative.save()
        report.updated += 1
    if report.changed:
        report.source = DataSource.objects.create(
            name=SOURCE_NAME,
            version=version,
            url="prevention/data/initiatives.json",
            checksum=report.checksum,
            row_counts={"initiatives": len(entries), "created": report.created, "updated": report.updated},
            duration_s=round(time.perf_counter() - started, 2),
        )
    return report
