"""Importer of an ARS zoning list (zonage médecins : ZIP / ZAC / hors zone), one row per commune.

Layouts read (the header decides; column names are compared without case, accents, ``_``/``-``/apostrophes)
----------------------------------------------------------------------------------------------------------
1. **Table of the DREES/DGOS « Zonage_ARS » application** (the tool the ARS use to prepare their zoning
   arrêté; source code github.com/phileas-condemine/Zonage_ARS, files ``R/export_dl_func.R`` and
   ``utils/boutons_export.R``). Its download and the table annexed to the generated arrêté have, for the
   médecins : « Nom du territoire de vie-santé », « Code du territoire de vie-santé », « Nom de la commune »,
   « Code de la commune », « dansMaRegion » (download only, ``oui``/``non``), « Population », « Zonage »,
   with the values « Zone d'intervention prioritaire », « Zone d'action complémentaire », « Zone de
   vigilance », « Hors-vivier » (and « Non-spécifié », « Erreur TVS-COM » while the work is unfinished).
   Its « zonages en vigueur » export per commune has ``depcom``, ``libcom``, ``region``, ``region_libelle``,
   ``TVS``, ``TVS_libelle``, ``region_majoritaire``, ``zonage_regional`` with the values « 1 -Zone
   d'intervention prioritaire », « 2- Zone d'action complémentaire », « 3 - Zone de vigilance »,
   « 4 - Hors-vivier » (file ``R/get_zonage_en_vigueur.R``).
2. **Carto Santé (atlasanté) export of the « zonage conventionnel » of GPs**, as documented by the R
   package medtRucks (dataset ``Zonage_MG``, source « ARS - DGOS »): ``Code`` (INSEE), ``Libellé``,
   ``Zonage_MG`` with the codes ``1_ZIP``, ``2_ZAC``, ``3_QPV_ZIP``, ``4_QPV_ZAC``, ``5_ZV``, ``6_HZ``,
   ``7_GQ_ZAC``, ``8_GQ_ZIP``.

Columns: the commune code is the first of « Code de la commune », ``depcom``, « Code commune INSEE »,
« Code commune », « Code INSEE », ``CODGEO``, ``Code``; the zone the first of « Zonage », ``zonage_regional``,
``Zonage_MG``, « Zonage médecins », « Zone »; the commune name (optional, only quoted in messages) the first
of « Nom de la commune », ``libcom``, « Libellé », « Commune ». Other columns are ignored, except
``dansMaRegion``: rows marked ``non`` (communes of a territoire de vie-santé that lie in another région,
which that région's ARS zones) are skipped. A leading rank (« 1 - », « 1_ ») is ignored in the values.

Zones: ZIP → ``zip``; ZAC → ``zac``; zone de vigilance (ZV), hors vivier (HV), hors zonage (HZ) → ``none``
(they open no ZIP/ZAC aid). Refused with a line-numbered message: « Non-spécifié » / « Erreur TVS-COM » (an
unfinished zoning), the infra-communal codes ``QPV_*`` / ``GQ_*`` (a QPV or grand quartier zoned apart from
its commune: one zone per commune cannot say it), the five-level scale of the other professions (très
sous-doté … sur-doté: no faithful ZIP/ZAC reading), and any other label.

What was verified and what was assumed
---------------------------------------
- Verified (by reading the sources above, not on a published file): the column names and values of layout 1
  as written by the application's code, and the column names and codes of layout 2 as documented by medtRucks.
- Not verified: the national file on data.gouv.fr (Ministère de la santé / DREES) could not be consulted
  here; its exact headers may differ. The aliases above are the guard; a file that matches none is refused
  with the expected names listed. Official downloads are often .xlsx: save the sheet as CSV first.
- Assumed: CSV with ``;`` or ``,`` (the header decides); UTF-8 (BOM accepted), else Windows-1252; UTF-16
  (Excel « texte Unicode ») is refused. The files carry no date: the arrêté's date of effect is given
  (``valid_from``), and its reference optionally. The Paris/Lyon/Marseille arrondissements (751xx, 6938x,
  132xx) are not communes of the reference geography and are reported unknown. The reference geography has no
  table of former INSEE codes (merged communes), so an old code is reported unknown with its line.

Dating (history is kept, nothing is overwritten)
--------------------------------------------------
For each commune of the file, the new zoning starts on ``valid_from``; the real zoning in force the day before
for the same profession is closed on ``valid_from - 1 day``; if a later real arrêté was already imported, the
new one ends the day before it. A real zoning already stored with the same start is the same arrêté: it is
left alone when identical, corrected otherwise. Demonstration zonings of the covered communes (``is_demo``)
are **closed** the same way (so the pages still show, for earlier dates, what was shown then, labelled
demonstration), and those starting on or after ``valid_from`` are **deleted**: real data replaces demo data.

Everything is checked before writing; any problem raises ``ValidationError`` with French, line-numbered
messages (« ligne 12 : … ») and nothing is written. The import runs in one transaction, records a
``DataSource`` row when it changed something (so caches keyed on the data vintage refresh), and re-importing
the same file changes nothing.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from ..enums import Level, Profession, Zone
from ..models import DataSource, Territory, Zoning
from .import_report import ImportErrors
from .indicator_import import _check_width, _commune_code, _rows

CODE_COLUMNS = (
    "code de la commune",
    "depcom",
    "code commune insee",
    "code commune",
    "code insee",
    "codgeo",
    "code",
)
ZONE_COLUMNS = ("zonage", "zonage regional", "zonage mg", "zonage medecins", "zonage medecin", "zone")
NAME_COLUMNS = ("nom de la commune", "libcom", "libelle", "libelle commune", "nom commune", "commune")
IN_REGION_COLUMN = "dansmaregion"

ZONES = {
    "zip": Zone.ZIP,
    "zone d intervention prioritaire": Zone.ZIP,
    "zone d intervention prioritaire zip": Zone.ZIP,
    "zac": Zone.ZAC,
    "zone d action complementaire": Zone.ZAC,
    "zone d action complementaire zac": Zone.ZAC,
    "zv": Zone.NONE,
    "zone de vigilance": Zone.NONE,
    "hv": Zone.NONE,
    "hors vivier": Zone.NONE,
    "territoire hors vivier": Zone.NONE,
    "hz": Zone.NONE,
    "hors zonage": Zone.NONE,
    "hors zone": Zone.NONE,
}
UNFINISHED = {"non specifie", "erreur tvs com"}
INFRA_COMMUNAL = re.compile(r"^(qpv|gq) (zip|zac)$")
FIVE_LEVELS = re.compile(r"^(tres sous dote|sous dote|intermediaire|tres dote|sur dote)e?s?$")
EXPECTED = "ZIP, ZAC, zone de vigilance (ZV), hors vivier (HV), hors zonage (HZ)"


@dataclass
class ZoningRow:
    line: int
    commune_id: int
    code: str
    zone: str


@dataclass
class ZoningImportResult:
    """What an import did (or, with ``dry_run``, would do)."""

    profession: str
    valid_from: date
    rows: int = 0
    skipped_other_region: int = 0
    created: int = 0
    corrected: int = 0
    unchanged: int = 0
    closed: int = 0
    demo_closed: int = 0
    demo_deleted: int = 0
    zones: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False
    source: DataSource | None = None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.corrected or self.closed or self.demo_closed or self.demo_deleted)

    def as_counts(self) -> dict:
        return {
            "lignes": self.rows,
            "ignorees_autre_region": self.skipped_other_region,
            "crees": self.created,
            "corriges": self.corrected,
            "inchanges": self.unchanged,
            "clos": self.closed,
            "demo_clos": self.demo_closed,
            "demo_supprimes": self.demo_deleted,
            "zones": self.zones,
        }


def _normalize(text: str) -> str:
    """Lower case, no accents, every non-alphanumeric run turned into one space."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def _zone_label(text: str) -> str:
    return re.sub(r"^\d+ ", "", _normalize(text))


def read_text(raw: bytes) -> str:
    """UTF-8 (BOM accepted) when valid, else Windows-1252; UTF-16 and undecodable bytes are refused."""
    if not raw.strip():
        raise ValidationError("ligne 1 : fichier vide.")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:4096]:
        raise ValidationError(
            "ligne 1 : le fichier semble encodé en UTF-16 (« texte Unicode » d'Excel) : "
            "enregistrez-le en CSV UTF-8 ou en CSV (séparateur point-virgule)."
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ValidationError(
            f"ligne {line} : encodage non reconnu (octet 0x{raw[error.start]:02x} invalide en UTF-8 comme en "
            "Windows-1252) : enregistrez le fichier en CSV UTF-8."
        ) from error


def _find(normalized: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in normalized:
            return normalized.index(name)
    return None


def parse_zoning(text: str, communes: dict[str, int], result: ZoningImportResult) -> list[ZoningRow]:
    """Check the whole text; returns one row per commune or raises ``ValidationError`` (line-numbered)."""
    header, rows = _rows(text)
    normalized = [_normalize(h) for h in header]
    code_index = _find(normalized, CODE_COLUMNS)
    zone_index = _find(normalized, ZONE_COLUMNS)
    missing = [
        label
        for label, index in (
            ("« Code de la commune » (ou depcom, Code commune INSEE, CODGEO, Code)", code_index),
            ("« Zonage » (ou zonage_regional, Zonage_MG)", zone_index),
        )
        if index is None
    ]
    if missing:
        raise ValidationError(
            f"ligne 1 : colonne(s) manquante(s) : {' ; '.join(missing)}. En-tête lu : {' | '.join(header)}."
        )
    name_index = _find(normalized, NAME_COLUMNS)
    region_index = _find(normalized, (IN_REGION_COLUMN,))
    if not rows:
        raise ValidationError("ligne 2 : aucune commune dans le fichier (en-tête seul).")

    errors = ImportErrors()
    seen: dict[str, int] = {}
    parsed = []
    for line, fields in rows:
        result.rows += 1
        if not _check_width(errors, line, fields, header):
            continue
        if region_index is not None and _normalize(fields[region_index]) == "non":
            result.skipped_other_region += 1
            continue
        code = _commune_code(fields[code_index])
        name = f" ({fields[name_index]})" if name_index is not None and fields[name_index] else ""
        label = fields[zone_index]
        normalized_label = _zone_label(label)
        zone = ZONES.get(normalized_label)
        if zone is None:
            if not normalized_label:
                errors.add(line, f"zonage manquant pour la commune {code}{name}.")
            elif normalized_label in UNFINISHED:
                errors.add(line, f"zonage non arrêté « {label} » pour la commune {code}{name}.")
            elif INFRA_COMMUNAL.match(normalized_label):
                errors.add(
                    line,
                    f"zonage infra-communal « {label} » (QPV ou grand quartier) pour la commune {code}{name} : "
                    "un seul zonage par commune est enregistré ; indiquez celui de la commune.",
                )
            elif FIVE_LEVELS.match(normalized_label):
                errors.add(
                    line,
                    f"zonage en cinq niveaux « {label} » : seul le zonage ZIP / ZAC / hors zone est importé.",
                )
            else:
                errors.add(line, f"libellé de zonage inconnu « {label} » (attendus : {EXPECTED}).")
        if not code:
            errors.add(line, "code commune manquant.")
            continue
        commune_id = communes.get(code)
        if commune_id is None:
            errors.add(
                line,
                f"code commune inconnu « {code} »{name} : absent du référentiel des communes en vigueur "
                "(commune fusionnée ou ancien code ? arrondissement municipal ?).",
            )
            continue
        if code in seen:
            errors.add(line, f"commune {code}{name} en double (déjà à la ligne {seen[code]}).")
            continue
        seen[code] = line
        if zone is not None:
            parsed.append(ZoningRow(line, commune_id, code, zone))
    errors.refuse_if_any()
    if not parsed:
        raise ValidationError("aucune commune de la région dans ce fichier (toutes marquées dansMaRegion = non).")
    return parsed


def _source_name(profession: str) -> str:
    return f"ARS, zonage ({Profession(profession).label})"


@transaction.atomic
def import_zoning_file(
    *,
    path: Path,
    profession: str,
    valid_from: date,
    reference: str = "",
    dry_run: bool = False,
) -> ZoningImportResult:
    """Import one ARS zoning list (see the module docstring). Raises ``ValidationError`` with the report."""
    started = time.perf_counter()
    if profession not in Profession.values:
        raise ValidationError(f"profession inconnue « {profession} » (attendu : {', '.join(Profession.values)}).")
    path = Path(path)
    raw = path.read_bytes()
    reference = (reference or f"Zonage ARS en vigueur au {valid_from:%d/%m/%Y} ({path.name})")[:200]
    communes = dict(Territory.objects.filter(level=Level.COMMUNE).values_list("code", "id"))
    result = ZoningImportResult(profession=profession, valid_from=valid_from, dry_run=dry_run)
    parsed = parse_zoning(read_text(raw), communes, result)
    for row in parsed:
        result.zones[row.zone] = result.zones.get(row.zone, 0) + 1

    covered = {row.commune_id for row in parsed}
    stored: dict[int, list[Zoning]] = defaultdict(list)
    for zoning in Zoning.objects.filter(profession=profession).order_by("valid_from"):
        if zoning.commune_id in covered:
            stored[zoning.commune_id].append(zoning)

    day_before = valid_from - timedelta(days=1)
    to_create, to_update, to_delete = [], [], []
    for row in parsed:
        real = [z for z in stored[row.commune_id] if not z.is_demo]
        same = next((z for z in real if z.valid_from == valid_from), None)
        later = [z.valid_from for z in real if z.valid_from > valid_from]
        until = min(later) - timedelta(days=1) if later else None
        for zoning in stored[row.commune_id]:
            if zoning is same:
                continue
            if zoning.is_demo and zoning.valid_from >= valid_from:
                to_delete.append(zoning.pk)
                result.demo_deleted += 1
            elif zoning.valid_from < valid_from and (zoning.valid_until is None or zoning.valid_until >= valid_from):
                zoning.valid_until = day_before
                to_update.append(zoning)
                if zoning.is_demo:
                    result.demo_closed += 1
                else:
                    result.closed += 1
        if same is None:
            to_create.append(
                Zoning(
                    commune_id=row.commune_id,
                    profession=profession,
                    zone=row.zone,
                    reference=reference,
                    valid_from=valid_from,
                    valid_until=until,
                    is_demo=False,
                )
            )
            result.created += 1
        elif (same.zone, same.reference, same.valid_until) != (row.zone, reference, until):
            same.zone, same.reference, same.valid_until = row.zone, reference, until
            to_update.append(same)
            result.corrected += 1
        else:
            result.unchanged += 1

    for start in range(0, len(to_delete), 500):
        Zoning.objects.filter(pk__in=to_delete[start : start + 500]).delete()
    Zoning.objects.bulk_update(to_update, ["zone", "reference", "valid_until"], batch_size=500)
    Zoning.objects.bulk_create(to_create, batch_size=1000)

    if dry_run:
        transaction.set_rollback(True)
        return result
    checksum = hashlib.sha256(raw).hexdigest()
    name, version = _source_name(profession), f"en vigueur au {valid_from.isoformat()}"
    existing = DataSource.objects.filter(name=name, version=version, checksum=checksum, notes=reference).first()
    if existing is not None and not result.changed:
        result.source = existing
        return result
    result.source = DataSource.objects.create(
        name=name,
        version=version,
        checksum=checksum,
        is_demo=False,
        url=path.name[:300],
        row_counts=result.as_counts(),
        duration_s=round(time.perf_counter() - started, 2),
        notes=reference,
    )
    return result
