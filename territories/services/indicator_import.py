"""Importers of real indicator files: generic CSV, INSEE population by age, DREES APL.

Contract (all three formats):
- the whole file is read and checked first; any problem gives a ``ValidationError`` whose messages are
  French and line-numbered (« ligne 12 : … »), and the database is left unchanged;
- otherwise, in one transaction, the file's commune values replace the stored commune values of the same
  (territory, indicator, year), flagged real (``is_demo=False``); the EPCI, département, région and France
  rows of every touched (indicator, year) are recomputed from all the communes;
- re-importing the same file gives the same database (the ``DataSource`` row of a file already loaded,
  same name and checksum, is updated rather than duplicated).

Only commune values are imported: parents are always computed from their communes (ratio of sums).
Files must be UTF-8 (a BOM is accepted); pass ``encoding="latin-1"`` explicitly for Windows exports.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction

from ..enums import Aggregation, Level
from ..models import DataSource, Indicator, IndicatorValue, Territory
from .import_report import ImportErrors
from .indicators import commune_values_from_db, load_hierarchy, replace_values, sync_indicator_catalogue

FORMATS = {
    "generic": "CSV générique d'indicateurs",
    "insee-pop": "INSEE, population par grande tranche d'âge",
    "drees-apl": "DREES, accessibilité potentielle localisée (APL) aux médecins généralistes",
}
MISSING = {"", "na", "n/a", "nd", "s", "secret", "-"}


@dataclass
class Record:
    line: int
    code: str
    indicator: str
    year: int
    numerator: float
    denominator: float | None


def _decode(raw: bytes, encoding: str) -> str:
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            raise ValidationError(
                f"ligne {line} : le fichier n'est pas encodé en UTF-8 (octet 0x{raw[error.start]:02x} invalide). "
                "Réenregistrez-le en UTF-8, ou précisez l'encodage latin-1 s'il vient d'un export Windows."
            ) from error
    try:
        return raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise ValidationError(f"le fichier ne peut pas être lu avec l'encodage « {encoding} » : {error}") from error


def _rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (line number, fields) of a ``;`` or ``,`` separated text (the header decides)."""
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ValidationError("ligne 1 : fichier vide ou sans ligne d'en-tête.")
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    rows = []
    for fields in reader:
        if any(f.strip() for f in fields):
            rows.append((reader.line_num, [f.strip() for f in fields]))
    return header, rows


def _number(text: str) -> float:
    return float(text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", "."))


def _commune_code(text: str) -> str:
    code = text.strip().upper()
    return code.zfill(5) if code.isdigit() and len(code) == 4 else code


def _check_width(errors: ImportErrors, line: int, fields: list[str], header: list[str]) -> bool:
    if len(fields) < len(header):
        errors.add(line, f"{len(fields)} colonnes au lieu de {len(header)} (ligne tronquée ?).")
        return False
    return True


def parse_generic(header: list[str], rows, errors: ImportErrors, indicators: dict[str, Indicator], **_) -> list[Record]:
    """Columns: code_territoire, niveau (optional), indicateur, annee, valeur, numerateur, denominateur."""
    columns = {h.lower(): i for i, h in enumerate(header)}
    required = ["code_territoire", "indicateur", "annee"]
    missing = [c for c in required if c not in columns]
    if missing or not ({"valeur", "numerateur"} & set(columns)):
        raise ValidationError(
            "ligne 1 : colonnes attendues code_territoire, niveau (facultative), indicateur, annee, valeur, "
            f"numerateur, denominateur ; manquantes : {', '.join(missing) or 'valeur ou numerateur'}."
        )

    def get(fields, name):
        i = columns.get(name)
        return fields[i] if i is not None and i < len(fields) else ""

    records = []
    for line, fields in rows:
        if not _check_width(errors, line, fields, header):
            continue
        level = get(fields, "niveau").lower()
        if level and level not in ("commune", "com"):
            errors.add(
                line,
                f"niveau « {level} » : seules les valeurs communales sont importées, "
                "les EPCI, départements, régions et la France sont recalculés à partir des communes.",
            )
            continue
        code = get(fields, "indicateur")
        indicator = indicators.get(code)
        if indicator is None:
            errors.add(line, f"indicateur inconnu « {code} ».")
            continue
        try:
            year = int(get(fields, "annee"))
        except ValueError:
            errors.add(line, f"année invalide « {get(fields, 'annee')} ».")
            continue
        try:
            value = _number(get(fields, "valeur")) if get(fields, "valeur") else None
            numerator = _number(get(fields, "numerateur")) if get(fields, "numerateur") else None
            denominator = _number(get(fields, "denominateur")) if get(fields, "denominateur") else None
        except ValueError:
            errors.add(line, "valeur, numérateur ou dénominateur non numérique.")
            continue
        if indicator.aggregation == Aggregation.SUM:
            numerator, denominator = (numerator if numerator is not None else value), None
        elif numerator is None:
            if value is None or denominator is None:
                errors.add(
                    line,
                    f"l'indicateur « {code} » est un rapport : numérateur et dénominateur requis "
                    "(ou valeur et dénominateur).",
                )
                continue
            numerator = value * denominator / indicator.scale if denominator else 0.0
        elif denominator is None:
            errors.add(line, f"l'indicateur « {code} » est un rapport : dénominateur requis.")
            continue
        if numerator is None:
            errors.add(line, "valeur manquante.")
            continue
        records.append(Record(line, _commune_code(get(fields, "code_territoire")), code, year, numerator, denominator))
    return records


INSEE_POP = re.compile(r"^P(\d{2})_POP$", re.IGNORECASE)


def parse_insee_population(header: list[str], rows, errors: ImportErrors, **_) -> list[Record]:
    """INSEE « Évolution et structure de la population » (base-ic / base communes): CODGEO, P21_POP, P21_POP6074,
    P21_POP75P… The year comes from the column prefix (P21 → 2021)."""
    upper = [h.upper() for h in header]
    prefixes = [m.group(1) for h in upper if (m := INSEE_POP.match(h))]
    if "CODGEO" not in upper or not prefixes:
        raise ValidationError("ligne 1 : colonnes CODGEO et P<aa>_POP attendues (fichier INSEE de population par âge).")
    prefix = max(prefixes)
    needed = {name: f"P{prefix}_{name}" for name in ("POP", "POP6074", "POP75P")}
    absent = [c for c in needed.values() if c not in upper]
    if absent:
        raise ValidationError(f"ligne 1 : colonnes manquantes : {', '.join(absent)}.")
    year = 2000 + int(prefix)
    index = {name: upper.index(column) for name, column in needed.items()}
    code_index = upper.index("CODGEO")
    records = []
    for line, fields in rows:
        if not _check_width(errors, line, fields, header):
            continue
        try:
            pop, p6074, p75 = (_number(fields[index[k]]) for k in ("POP", "POP6074", "POP75P"))
        except ValueError:
            errors.add(line, "effectif de population non numérique.")
            continue
        code = _commune_code(fields[code_index])
        records.append(Record(line, code, "population", year, pop, None))
        records.append(Record(line, code, "pop_60_plus_share", year, p6074 + p75, pop))
        records.append(Record(line, code, "pop_75_plus_share", year, p75, pop))
    return records


def parse_drees_apl(
    header: list[str], rows, errors: ImportErrors, year: int | None = None, path: Path | None = None, **_
) -> list[Record]:
    """DREES APL file: « Code commune INSEE », « Commune », « APL aux médecins généralistes » (decimal comma),
    optionally a population column. The year is given, or read from the file name (e.g. APL_2023.csv)."""
    lower = [h.lower() for h in header]
    code_index = next((i for i, h in enumerate(lower) if h.startswith("code commune") or h == "codgeo"), None)
    apl_index = next((i for i, h in enumerate(lower) if h.startswith("apl aux médecins généralistes")), None)
    if code_index is None or apl_index is None:
        raise ValidationError(
            "ligne 1 : colonnes « Code commune INSEE » et « APL aux médecins généralistes » attendues."
        )
    pop_index = next((i for i, h in enumerate(lower) if h.startswith("population")), None)
    if year is None:
        found = re.search(r"(20\d\d)", path.name if path else "")
        if not found:
            raise ValidationError("année de l'APL introuvable : précisez --year (le fichier DREES ne la contient pas).")
        year = int(found.group(1))
    populations = dict(
        IndicatorValue.objects.filter(
            indicator__code="population", year=year, territory__level=Level.COMMUNE
        ).values_list("territory__code", "numerator")
    )
    fallback = dict(Territory.objects.filter(level=Level.COMMUNE).values_list("code", "population"))
    records = []
    for line, fields in rows:
        if not _check_width(errors, line, fields, header):
            continue
        code = _commune_code(fields[code_index])
        if fields[apl_index].lower() in MISSING:
            continue  # commune without an APL value in the DREES file
        try:
            apl = _number(fields[apl_index])
            population = _number(fields[pop_index]) if pop_index is not None else None
        except ValueError:
            errors.add(line, f"APL non numérique « {fields[apl_index]} ».")
            continue
        if population is None:
            population = populations.get(code) or fallback.get(code)
        if not population:
            errors.add(line, f"population de la commune {code} inconnue ou nulle : APL non pondérable.")
            continue
        records.append(Record(line, code, "apl_gp", year, apl * population, population))
    return records


PARSERS = {"generic": parse_generic, "insee-pop": parse_insee_population, "drees-apl": parse_drees_apl}


def _validate(records: list[Record], errors: ImportErrors, indicators: dict[str, Indicator], communes: dict[str, int]):
    seen: dict[tuple[str, str, int], int] = {}
    for r in records:
        if r.code not in communes:
            errors.add(r.line, f"code commune inconnu « {r.code} ».")
        indicator = indicators[r.indicator]
        if not 1990 <= r.year <= 2100:
            errors.add(r.line, f"année hors limites « {r.year} ».")
        if r.numerator < 0 and not indicator.allows_negative:
            errors.add(r.line, f"effectif négatif ({r.numerator:g}) pour « {r.indicator} ».")
        if r.denominator is not None and r.denominator <= 0:
            errors.add(r.line, f"dénominateur {'nul' if r.denominator == 0 else 'négatif'} pour « {r.indicator} ».")
        key = (r.code, r.indicator, r.year)
        if key in seen and seen[key] != r.line:
            errors.add(r.line, f"doublon de la ligne {seen[key]} ({r.code}, {r.indicator}, {r.year}).")
        seen.setdefault(key, r.line)


@transaction.atomic
def import_indicator_file(
    *, path: Path, file_format: str, year: int | None = None, encoding: str = "utf-8"
) -> DataSource:
    """Import one file (see the module docstring). Raises ``ValidationError`` with the line-numbered report."""
    if file_format not in PARSERS:
        raise ValidationError(f"format inconnu « {file_format} » (attendu : {', '.join(PARSERS)}).")
    started = time.perf_counter()
    raw = Path(path).read_bytes()
    header, rows = _rows(_decode(raw, encoding))
    indicators = sync_indicator_catalogue()
    errors = ImportErrors()
    records = PARSERS[file_format](header, rows, errors, indicators=indicators, year=year, path=Path(path))
    communes = dict(Territory.objects.filter(level=Level.COMMUNE).values_list("code", "id"))
    _validate(records, errors, indicators, communes)
    errors.refuse_if_any()
    if not records:
        raise ValidationError("aucune valeur à importer dans ce fichier.")

    incoming = pd.DataFrame(
        {
            "territory": [communes[r.code] for r in records],
            "indicator": [indicators[r.indicator].pk for r in records],
            "year": [r.year for r in records],
            "numerator": [r.numerator for r in records],
            "denominator": [r.denominator for r in records],
            "is_demo": False,
        }
    )
    incoming[["numerator", "denominator"]] = incoming[["numerator", "denominator"]].astype(float)
    pairs = set(zip(incoming["indicator"], incoming["year"], strict=True))
    stored = commune_values_from_db(pairs)
    key = ["territory", "indicator", "year"]
    merged = incoming if stored.empty else pd.concat([stored, incoming], ignore_index=True)
    merged = merged.drop_duplicates(key, keep="last")
    stats = replace_values(merged, hierarchy=load_hierarchy())
    touched = Indicator.objects.filter(pk__in={int(i) for i, _ in pairs})
    for indicator in touched:
        still_demo = indicator.values.filter(is_demo=True).exists()
        if indicator.is_demo != still_demo:
            indicator.is_demo = still_demo
            indicator.save(update_fields=["is_demo"])

    checksum = hashlib.sha256(raw).hexdigest()
    row_counts = {
        "lignes": len(rows),
        "valeurs_communales": len(records),
        "valeurs_recalculees": stats["rows"],
        "indicateurs": sorted({r.indicator for r in records}),
        "annees": sorted({r.year for r in records}),
    }
    source, _ = DataSource.objects.update_or_create(
        name=FORMATS[file_format],
        checksum=checksum,
        defaults={
            "version": Path(path).name[:60],
            "is_demo": False,
            "row_counts": row_counts,
            "duration_s": round(time.perf_counter() - started, 2),
            "url": str(Path(path).name)[:300],
        },
    )
    return source
