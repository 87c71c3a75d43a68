"""Importer of the FINESS extraction of establishments (data.gouv.fr): maisons de santé and centres de santé.

File: « FINESS Extraction du Fichier des établissements », geolocated version
``etalab-cs1100507-stock-YYYYMMDD-HHMM.csv`` (Ministère de la santé / DREES, Licence Ouverte). Layout:
- line 1: ``finess;etalab;<version>;<extraction date>``;
- ``structureet`` lines, 32 ``;``-separated fields: structureet; nofinesset; nofinessej; rs; rslongue; complrs;
  compldistrib; numvoie; typvoie; voie; compvoie; lieuditbp; commune; departement; libdepartement;
  ligneacheminement; telephone; telecopie; categetab; libcategetab; categagretab; libcategagretab; siret;
  codeape; codemft; libmft; codesph; libsph; dateouv; dateautor; datemaj; numuai;
- ``geolocalisation`` lines, 6 fields: geolocalisation; nofinesset; coordxet; coordyet; sourcecoordet; datemaj.
  Coordinates are projected: Lambert 93 (EPSG:2154) in metropolitan France; the projection is named at the
  end of ``sourcecoordet`` (« 1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93 »). Overseas, we assume the
  local UTM projections (UTM_N20 Antilles, UTM_N22 Guyane, UTM_S40 La Réunion, UTM_S38 Mayotte, UTM_N21
  Saint-Pierre-et-Miquelon) and fall back on the département when the name is missing or unknown.
Encoding: Windows-1252 in most published vintages, UTF-8 in the latest: ``encoding="auto"`` reads UTF-8
when the file is valid UTF-8, else Windows-1252; give ``utf-8`` or ``cp1252`` to force one.

Kept categories (``categetab``): 603 « Maison de santé (L.6223-3) » → MSP; 124 « Centre de santé » → centre de
santé. Every other category is skipped (PASS are hospital services, not a FINESS category).

Commune (assumption, checked on the publisher's examples): ``departement`` is 2 characters (« 01 », « 2A »,
« 2B ») and ``commune`` the 3 last digits of the INSEE code, so INSEE = departement + commune (« 01 » +
« 451 » → 01451). Overseas, ``departement`` is « 9A » (Guadeloupe), « 9B » (Martinique), « 9C » (Guyane),
« 9D » (La Réunion), « 9E » (Saint-Pierre-et-Miquelon) or « 9F » (Mayotte), or the 3-digit « 971 »…« 976 »
in some vintages, and ``commune`` holds the 3 digits after « 97 » (« 101 » → 97101). Municipal
arrondissements of Paris, Lyon and Marseille are attached to their commune.

Contract: the whole file is read and checked first; any problem (truncated line, bad FINESS number, unknown
commune, bad date, bad coordinates, undecodable bytes) gives a ``ValidationError`` with French line-numbered
messages and the database is left unchanged. Otherwise, in one transaction, structures are created or
updated by FINESS number (real rows, ``is_demo=False``, stage « ouverte »: the stock lists open
establishments), the France Santé label and the teams entered in the admin are kept, and the demonstration
MSP and centres de santé are deleted (real data replaces them). ``close_missing``: FINESS structures of those
kinds absent from the file are marked « fermée ». Re-importing the same file gives the same database.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from territories.enums import Level
from territories.models import DataSource, Territory
from territories.services.import_report import ImportErrors

from ..enums import Stage, StructureKind
from ..models import FINESS_PATTERN, Structure
from .demo import delete_demo_structures

SOURCE_NAME = "FINESS, extraction du fichier des établissements (MSP et centres de santé)"
SOURCE_URL = "https://www.data.gouv.fr/fr/datasets/finess-extraction-du-fichier-des-etablissements/"
CATEGORIES = {"603": StructureKind.MSP, "124": StructureKind.CDS}
STRUCTURE_FIELDS = 32
GEO_FIELDS = 6
BATCH_SIZE = 1_000

# Field positions (from 0) in a ``structureet`` line.
NOFINESSET, RS, RSLONGUE = 1, 3, 4
NUMVOIE, TYPVOIE, VOIE, COMPVOIE, LIEUDITBP = 7, 8, 9, 10, 11
COMMUNE, DEPARTEMENT, LIGNEACHEMINEMENT, CATEGETAB, DATEOUV = 12, 13, 15, 18, 28

OVERSEAS_DEPARTMENTS = {"9A": "971", "9B": "972", "9C": "973", "9D": "974", "9E": "975", "9F": "976"}
PROJECTIONS = {  # last token of ``sourcecoordet`` → EPSG code
    "LAMBERT_93": 2154,
    "UTM_N20": 5490,  # RGAF09 / UTM 20N (Guadeloupe, Martinique)
    "UTM_N21": 4467,  # RGSPM06 / UTM 21N (Saint-Pierre-et-Miquelon)
    "UTM_N22": 2972,  # RGFG95 / UTM 22N (Guyane)
    "UTM_S38": 4471,  # RGM04 / UTM 38S (Mayotte)
    "UTM_S40": 2975,  # RGR92 / UTM 40S (La Réunion)
}
DEPARTMENT_PROJECTIONS = {"971": 5490, "972": 5490, "973": 2972, "974": 2975, "975": 4467, "976": 4471}
METROPOLITAN_BOX = (41.0, 51.6, -5.8, 10.0)  # lat min, lat max, lon min, lon max (Corsica included)
STREET_TYPES = {
    "R": "rue",
    "AV": "avenue",
    "BD": "boulevard",
    "PL": "place",
    "RTE": "route",
    "CHE": "chemin",
    "ALL": "allée",
    "IMP": "impasse",
    "QU": "quai",
    "QUA": "quai",
    "CRS": "cours",
    "SQ": "square",
    "FG": "faubourg",
    "PROM": "promenade",
    "RPT": "rond-point",
    "LD": "lieu-dit",
    "ZA": "zone d'activité",
    "ZI": "zone industrielle",
    "RES": "résidence",
}
ARRONDISSEMENTS = [("75101", "75120", "75056"), ("69381", "69389", "69123"), ("13201", "13216", "13055")]


@dataclass
class FinessRecord:
    line: int
    finess: str
    kind: str
    name: str
    address: str
    postal_code: str
    insee: str
    department: str
    opened_on: date | None
    latitude: float | None = None
    longitude: float | None = None


def decode(raw: bytes, encoding: str = "auto") -> str:
    """The file's text; ``auto``: UTF-8 (BOM accepted) when valid, else Windows-1252."""
    wanted = encoding.lower().replace("_", "-")
    if wanted in ("auto", "utf-8", "utf8"):
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            if wanted != "auto":
                line = raw[: error.start].count(b"\n") + 1
                raise ValidationError(
                    f"ligne {line} : le fichier n'est pas encodé en UTF-8 (octet 0x{raw[error.start]:02x} invalide). "
                    "Les extractions FINESS sont souvent en Windows-1252 : essayez --encoding cp1252 ou auto."
                ) from error
        wanted = "cp1252"
    try:
        return raw.decode(wanted)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ValidationError(
            f"ligne {line} : octet 0x{raw[error.start]:02x} illisible en {wanted} : encodage inattendu "
            "(ni UTF-8 ni Windows-1252) ou fichier endommagé."
        ) from error
    except LookupError as error:
        raise ValidationError(f"encodage inconnu « {encoding} ».") from error


def insee_code(departement: str, commune: str) -> str | None:
    """The INSEE code of a FINESS (departement, commune) pair, or None if malformed (see the module docstring)."""
    d, c = departement.strip().upper(), commune.strip()
    if d in OVERSEAS_DEPARTMENTS:
        d = OVERSEAS_DEPARTMENTS[d]
    if re.fullmatch(r"97\d", d):
        if re.fullmatch(r"\d{3}", c) and c[0] == d[2]:
            return "97" + c
        if re.fullmatch(r"\d{2}", c):
            return d + c
        return None
    if re.fullmatch(r"\d{2}|2A|2B", d) and re.fullmatch(r"\d{3}", c):
        return d + c
    return None


def _commune_of(code: str, communes: dict[str, int]) -> str | None:
    if code in communes:
        return code
    for first, last, parent in ARRONDISSEMENTS:
        if first <= code <= last and parent in communes:
            return parent
    return None


def _address(fields: list[str]) -> str:
    street_type = fields[TYPVOIE].strip().upper()
    parts = [
        fields[NUMVOIE].strip().lstrip("0") + fields[COMPVOIE].strip(),
        STREET_TYPES.get(street_type, street_type.lower()),
        fields[VOIE].strip(),
    ]
    street = " ".join(p for p in parts if p)
    place = fields[LIEUDITBP].strip()
    return ", ".join(p for p in (street, place) if p)[:200]


def _date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    return date.fromisoformat(text)  # YYYY-MM-DD; raises ValueError otherwise


def parse(text: str, errors: ImportErrors, communes: dict[str, int]) -> tuple[dict, list[FinessRecord], dict]:
    """Header, kept records, and stats of a FINESS text; problems go to ``errors`` with their line number."""
    reader = csv.reader(io.StringIO(text), delimiter=";")
    header = next(reader, None)
    if not header or len(header) < 4 or header[0].strip().lower() != "finess" or header[1].strip().lower() != "etalab":
        raise ValidationError(
            "ligne 1 : en-tête « finess;etalab;<version>;<date> » attendu : ce fichier n'est pas une extraction "
            "FINESS des établissements (etalab-cs1100507)."
        )
    meta = {"version": header[2].strip(), "date": header[3].strip()}
    records: dict[str, FinessRecord] = {}
    geo: dict[str, tuple[int, str, str, str]] = {}
    stats = {"etablissements": 0, "autres_categories": 0, "lignes_ignorees": 0}
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        section = fields[0].strip().lower()
        if section == "structureet":
            stats["etablissements"] += 1
            if len(fields) < STRUCTURE_FIELDS:
                errors.add(line, f"{len(fields)} champs au lieu de {STRUCTURE_FIELDS} (ligne tronquée ?).")
                continue
            kind = CATEGORIES.get(fields[CATEGETAB].strip())
            if kind is None:
                stats["autres_categories"] += 1
                continue
            record = _record(line, fields, kind, errors, communes)
            if record is None:
                continue
            if record.finess in records:
                errors.add(line, f"numéro FINESS {record.finess} en double (déjà ligne {records[record.finess].line}).")
                continue
            records[record.finess] = record
        elif section == "geolocalisation":
            if len(fields) < GEO_FIELDS:
                errors.add(line, f"{len(fields)} champs au lieu de {GEO_FIELDS} (ligne de géolocalisation tronquée ?).")
                continue
            geo[fields[1].strip()] = (line, fields[2].strip(), fields[3].strip(), fields[4].strip())
        else:
            stats["lignes_ignorees"] += 1
    _locate(records, geo, errors)
    return meta, sorted(records.values(), key=lambda r: r.finess), stats


def _record(
    line: int, fields: list[str], kind: str, errors: ImportErrors, communes: dict[str, int]
) -> FinessRecord | None:
    finess = fields[NOFINESSET].strip().upper()
    ok = True
    if not re.fullmatch(FINESS_PATTERN, finess):
        errors.add(line, f"numéro FINESS invalide « {finess} » (9 caractères attendus, ex. 010002939).")
        ok = False
    name = (fields[RSLONGUE].strip() or fields[RS].strip())[:200]
    if not name:
        errors.add(line, "raison sociale vide.")
        ok = False
    departement, commune = fields[DEPARTEMENT].strip(), fields[COMMUNE].strip()
    code = insee_code(departement, commune)
    insee = _commune_of(code, communes) if code else None
    if insee is None:
        shown = code or f"département « {departement} », commune « {commune} »"
        errors.add(line, f"commune inconnue {shown} (code INSEE absent du référentiel géographique).")
        ok = False
    try:
        opened_on = _date(fields[DATEOUV])
    except ValueError:
        errors.add(line, f"date d'ouverture invalide « {fields[DATEOUV].strip()} » (AAAA-MM-JJ attendu).")
        ok = False
        opened_on = None
    if not ok:
        return None
    routing = fields[LIGNEACHEMINEMENT].strip()
    postal_code = routing[:5] if re.match(r"\d{5}\b", routing) else ""
    return FinessRecord(
        line=line,
        finess=finess,
        kind=kind,
        name=name,
        address=_address(fields),
        postal_code=postal_code,
        insee=insee,
        department=OVERSEAS_DEPARTMENTS.get(departement.upper(), departement.upper()),
        opened_on=opened_on,
    )


def _locate(records: dict[str, FinessRecord], geo: dict, errors: ImportErrors) -> None:
    """Convert the kept records' projected coordinates to WGS84 (pyproj), one transformer per projection."""
    from pyproj import Transformer

    by_epsg: dict[int, list[tuple[FinessRecord, int, float, float]]] = {}
    for finess, (line, x_text, y_text, source) in geo.items():
        record = records.get(finess)
        if record is None or (not x_text and not y_text):
            continue
        try:
            x, y = float(x_text.replace(",", ".")), float(y_text.replace(",", "."))
        except ValueError:
            errors.add(line, f"coordonnées non numériques « {x_text} ; {y_text} ».")
            continue
        token = source.rsplit(",", 1)[-1].strip().upper()
        epsg = PROJECTIONS.get(token) or DEPARTMENT_PROJECTIONS.get(record.department, 2154)
        by_epsg.setdefault(epsg, []).append((record, line, x, y))
    for epsg, items in sorted(by_epsg.items()):
        transformer = Transformer.from_crs(f"EPSG:{epsg}", "EPSG:4326", always_xy=True)
        lons, lats = transformer.transform([i[2] for i in items], [i[3] for i in items])
        for (record, line, x, y), lon, lat in zip(items, lons, lats, strict=True):
            lat_min, lat_max, lon_min, lon_max = METROPOLITAN_BOX
            inside = lat_min <= lat <= lat_max and lon_min <= lon <= lon_max
            if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (epsg == 2154 and not inside):
                errors.add(
                    line,
                    f"coordonnées ({x:g} ; {y:g}) hors de France une fois converties depuis EPSG:{epsg} "
                    "(x et y inversés, ou projection inattendue ?).",
                )
                continue
            record.latitude, record.longitude = round(lat, 6), round(lon, 6)


@transaction.atomic
def import_finess_file(*, path: Path, encoding: str = "auto", close_missing: bool = False) -> DataSource:
    """Import one FINESS extraction (see the module docstring). Raises ``ValidationError`` with the report."""
    started = time.perf_counter()
    raw = Path(path).read_bytes()
    text = decode(raw, encoding)
    communes = dict(Territory.objects.filter(level=Level.COMMUNE).values_list("code", "id"))
    errors = ImportErrors()
    meta, records, stats = parse(text, errors, communes)
    errors.refuse_if_any()
    if not records:
        raise ValidationError("aucune maison de santé (catégorie 603) ni centre de santé (124) dans ce fichier.")

    checksum = hashlib.sha256(raw).hexdigest()
    source, _ = DataSource.objects.update_or_create(
        name=SOURCE_NAME,
        checksum=checksum,
        defaults={"version": f"{meta['date']} (etalab {meta['version']})"[:60], "url": SOURCE_URL, "is_demo": False},
    )
    existing = {s.finess: s for s in Structure.objects.filter(finess__isnull=False)}
    to_create, to_update = [], []
    for r in records:
        values = {
            "kind": r.kind,
            "name": r.name,
            "address": r.address,
            "postal_code": r.postal_code,
            "commune_id": communes[r.insee],
            "latitude": r.latitude,
            "longitude": r.longitude,
            "opened_on": r.opened_on,
            "is_demo": False,
            "source_id": source.pk,
        }
        structure = existing.get(r.finess)
        if structure is None:
            to_create.append(Structure(finess=r.finess, stage=Stage.OPEN, **values))
            continue
        if structure.stage in (Stage.PROJECT, Stage.CLOSED):
            values["stage"] = Stage.OPEN
        if any(getattr(structure, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(structure, k, v)
            to_update.append(structure)
    Structure.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    update_fields = ["kind", "name", "stage", "address", "postal_code", "commune", "latitude", "longitude"]
    update_fields += ["opened_on", "is_demo", "source"]
    Structure.objects.bulk_update(to_update, update_fields, batch_size=BATCH_SIZE)
    closed = 0
    if close_missing:
        closed = (
            Structure.objects.filter(kind__in=list(CATEGORIES.values()), finess__isnull=False, is_demo=False)
            .exclude(stage=Stage.CLOSED)
            .exclude(finess__in=[r.finess for r in records])
            .update(stage=Stage.CLOSED)
        )
    deleted_demo = delete_demo_structures(kinds=CATEGORIES.values())

    source.row_counts = {
        **stats,
        "retenus": len(records),
        "par_type": {k: sum(1 for r in records if r.kind == k) for k in CATEGORIES.values()},
        "crees": len(to_create),
        "mis_a_jour": len(to_update),
        "sans_coordonnees": sum(1 for r in records if r.latitude is None),
        "fermes": closed,
        "demo_supprimees": deleted_demo,
    }
    source.duration_s = round(time.perf_counter() - started, 2)
    source.save()
    return source
