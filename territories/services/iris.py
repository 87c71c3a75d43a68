"""IRIS: the deterministic synthetic layer, and the importer of official CONTOURS-IRIS files."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import shapely
from django.db import transaction
from django.db.models import ProtectedError, Q

from ..enums import GeometryUse, Level
from ..models import DataSource, Territory, TerritoryGeometry, normalize_name
from . import geometry as geo
from .errors import ReferenceDataError
from .sources import POLYGONAL, Reference, file_sha256
from .sync import BASE_FIELDS, BATCH_SIZE, GEOMETRY_FIELDS, TerritorySync, geometry_row

IRIS_SPLIT_THRESHOLD = 5000
IRIS_TARGET_POPULATION = 2000
IRIS_KINDS = ("H", "A", "D", "Z")
IRIS_COLUMNS = ("CODE_IRIS", "NOM_IRIS", "INSEE_COM", "NOM_COM", "IRIS", "TYP_IRIS")
IRIS_FIELDS = BASE_FIELDS + GEOMETRY_FIELDS
DETAIL_DECIMALS, LIGHT_DECIMALS, LIGHT_TOLERANCE = 5, 4, 0.001


def _iris_row(
    *, name: str, population: int, kind: str, commune, synthetic: bool, search_name: str | None = None
) -> dict:
    """``commune`` is (pk, region_id, department_id, epci_id, zone)."""
    pk, region_id, department_id, epci_id, zone = commune
    return {
        "name": name,
        "search_name": normalize_name(name) if search_name is None else search_name,
        "population": population,
        "region_id": region_id,
        "department_id": department_id,
        "epci_id": epci_id,
        "commune_id": pk,
        "siren": "",
        "kind": kind,
        "zone": zone,
        "postal_codes": "",
        "is_synthetic": synthetic,
    }


def _with_geometry(rows: dict[str, dict], geoms: dict[str, shapely.Geometry]) -> None:
    codes = list(geoms)
    array = np.array([geoms[c] for c in codes], dtype=object)
    areas = geo.area_km2(array) if codes else []
    lats, lons = geo.inner_points(array) if codes else ([], [])
    for code, area, lat, lon in zip(codes, areas, lats, lons, strict=True):
        rows[code].update(geometry_row(True, area, lat, lon))


def _geometry_items(pks: dict[str, int], geoms: dict[str, shapely.Geometry]) -> dict[tuple[int, str], str]:
    codes = list(geoms)
    array = np.array([geoms[c] for c in codes], dtype=object)
    detail = geo.to_geojson(array, decimals=DETAIL_DECIMALS)
    light = geo.to_geojson(array, decimals=LIGHT_DECIMALS, tolerance=LIGHT_TOLERANCE)
    items = {}
    for code, d, lt in zip(codes, detail, light, strict=True):
        items[(pks[code], GeometryUse.DETAIL.value)] = d
        items[(pks[code], GeometryUse.LIGHT.value)] = lt
    return items


def build_synthetic_iris(sync: TerritorySync, ref: Reference, shapes, pks: dict) -> dict:
    """Stage C of the reference load: synthetic IRIS for every commune without official IRIS.

    INSEE's rules of thumb: a commune under 5,000 inhabitants is one IRIS ``<INSEE>0000`` of type Z
    covering it; a larger one is split into cells of about 2,000 inhabitants, ``<INSEE>0101``,
    ``<INSEE>0102``… of type H (see :func:`geometry.synthetic_iris_cells`).
    """
    official = set(
        Territory.objects.filter(level=Level.IRIS, is_synthetic=False).values_list("commune__code", flat=True)
    )
    communes = {
        code: (pk, region_id, department_id, epci_id, zone)
        for code, pk, region_id, department_id, epci_id, zone in Territory.objects.filter(
            level=Level.COMMUNE
        ).values_list("code", "pk", "region_id", "department_id", "epci_id", "zone")
    }
    rows, cells, whole = {}, {}, {}
    for code, unit in ref.communes.items():
        if code in official:
            continue
        polygon = shapes.polygons.get(code)
        search_name = normalize_name(unit.name)
        if polygon is None or unit.population < IRIS_SPLIT_THRESHOLD:
            iris_code = f"{code}0000"
            rows[iris_code] = _iris_row(
                name=unit.name,
                population=unit.population,
                kind="Z",
                commune=communes[code],
                synthetic=True,
                search_name=search_name,
            )
            rows[iris_code].update(
                geometry_row(polygon is not None, shapes.areas.get(code), *shapes.points.get(code, (None, None)))
            )
            if polygon is not None:
                whole[iris_code] = code
            continue
        split = geo.synthetic_iris_cells(code, polygon, unit.population, target=IRIS_TARGET_POPULATION)
        for number, (cell, population) in enumerate(split, start=1):
            iris_code = f"{code}{100 + number:04d}"
            rows[iris_code] = _iris_row(
                name=f"{unit.name} – IRIS {number:02d}",
                population=population,
                kind="H",
                commune=communes[code],
                synthetic=True,
                search_name=f"{search_name} iris {number:02d}",  # = normalize_name(name), without the cost
            )
            cells[iris_code] = cell
    _with_geometry(rows, cells)
    iris_pks = sync.territories(Level.IRIS, rows, IRIS_FIELDS, scope=Q(is_synthetic=True), stale="delete")
    items = _geometry_items(iris_pks, cells)
    for iris_code, commune_code in whole.items():
        items[(iris_pks[iris_code], GeometryUse.DETAIL.value)] = shapes.detail[commune_code]
        items[(iris_pks[iris_code], GeometryUse.LIGHT.value)] = shapes.light[commune_code]
    sync.geometries(Level.IRIS, items, scope=Q(territory__is_synthetic=True))
    return {
        "iris": len(rows),
        "communes_decoupees": len({code[:5] for code in cells}),
        "communes_avec_iris_officiels": len(official),
    }


def read_iris_file(path: Path) -> list[dict]:
    """Read an official CONTOURS-IRIS file (GeoPackage, GeoJSON, Shapefile) as WGS84 records.

    Expected fields (any case): CODE_IRIS, NOM_IRIS, INSEE_COM, NOM_COM, IRIS, TYP_IRIS (H, A, D, Z).
    """
    import geopandas
    import pandas
    import pyogrio.errors

    path = Path(path)
    if not path.is_file():
        raise ReferenceDataError(f"{path} : fichier introuvable.")
    try:
        frame = geopandas.read_file(path, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError, ValueError) as exc:
        raise ReferenceDataError(f"{path.name} : fichier IRIS illisible ({exc}).") from exc
    by_upper = {str(column).upper(): column for column in frame.columns}
    missing = [column for column in IRIS_COLUMNS if column not in by_upper]
    if missing:
        raise ReferenceDataError(f"{path.name} : colonne(s) manquante(s) : {', '.join(missing)}.")
    if frame.crs is None:
        raise ReferenceDataError(f"{path.name} : système de coordonnées non renseigné.")
    if frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    records, seen = [], set()
    columns = [by_upper[c] for c in IRIS_COLUMNS]
    for index, (values, geom) in enumerate(zip(frame[columns].itertuples(index=False), frame.geometry, strict=True)):
        record = {
            name: ("" if pandas.isna(value) else str(value).strip())
            for name, value in zip(IRIS_COLUMNS, values, strict=True)
        }
        where = f"{path.name} : entité n° {index + 1} (CODE_IRIS {record['CODE_IRIS']!r})"
        if not re.fullmatch(r"(\d{5}|2[AB]\d{3})\d{4}", record["CODE_IRIS"]):
            raise ReferenceDataError(f"{where} : CODE_IRIS invalide (9 caractères attendus).")
        if record["CODE_IRIS"] != record["INSEE_COM"] + record["IRIS"]:
            raise ReferenceDataError(f"{where} : CODE_IRIS différent de INSEE_COM + IRIS.")
        if record["TYP_IRIS"] not in IRIS_KINDS:
            raise ReferenceDataError(f"{where} : TYP_IRIS {record['TYP_IRIS']!r} inconnu (H, A, D ou Z).")
        if geom is None or geom.is_empty or shapely.get_type_id(geom) not in POLYGONAL:
            raise ReferenceDataError(f"{where} : géométrie absente ou non polygonale.")
        if record["CODE_IRIS"] in seen:
            raise ReferenceDataError(f"{where} : CODE_IRIS en double.")
        seen.add(record["CODE_IRIS"])
        record["geometry"] = geom if geom.is_valid else shapely.make_valid(geom)
        record["index"] = index
        records.append(record)
    if not records:
        raise ReferenceDataError(f"{path.name} : aucun IRIS dans le fichier.")
    return records


@transaction.atomic
def import_iris(*, path: Path) -> dict:
    """Replace the IRIS of the communes an official CONTOURS-IRIS file covers by the file's IRIS.

    Idempotent (keyed on the IRIS code) and all-or-nothing. The IRIS of other communes are left
    as they are. Contour files carry no population: a type Z IRIS (commune non irisée) takes its
    commune's population, others get 0 until an INSEE IRIS population file is loaded.
    """
    started = time.monotonic()
    path = Path(path)
    records = read_iris_file(path)
    communes = {
        code: (pk, region_id, department_id, epci_id, zone, population)
        for code, pk, region_id, department_id, epci_id, zone, population in Territory.objects.filter(
            level=Level.COMMUNE
        ).values_list("code", "pk", "region_id", "department_id", "epci_id", "zone", "population")
    }
    rows, geoms = {}, {}
    for record in records:
        commune = communes.get(record["INSEE_COM"])
        if commune is None:
            raise ReferenceDataError(
                f"{path.name} : entité n° {record['index'] + 1} (CODE_IRIS {record['CODE_IRIS']!r}) : "
                f"commune {record['INSEE_COM']} absente du référentiel (lancer d'abord load_reference)."
            )
        code = record["CODE_IRIS"]
        population = commune[5] if record["TYP_IRIS"] == "Z" else 0
        rows[code] = _iris_row(
            name=record["NOM_IRIS"] or record["NOM_COM"],
            population=population,
            kind=record["TYP_IRIS"],
            commune=commune[:5],
            synthetic=False,
        )
        geoms[code] = record["geometry"]
    _with_geometry(rows, geoms)

    covered = {rows[code]["commune_id"] for code in rows}
    replaced = [
        pk
        for pk, code, commune_id in Territory.objects.filter(level=Level.IRIS).values_list("pk", "code", "commune_id")
        if commune_id in covered and code not in rows
    ]
    try:
        for start in range(0, len(replaced), BATCH_SIZE):
            chunk = replaced[start : start + BATCH_SIZE]
            TerritoryGeometry.objects.filter(territory_id__in=chunk).delete()
            Territory.objects.filter(pk__in=chunk).delete()
    except ProtectedError as exc:
        raise ReferenceDataError(
            f"{path.name} : des IRIS à remplacer sont encore utilisés ({exc.protected_objects}) ; import annulé."
        ) from exc
    sync = TerritorySync()
    pks = sync.territories(Level.IRIS, rows, IRIS_FIELDS, stale="ignore")
    sync.geometries(Level.IRIS, _geometry_items(pks, geoms), only=set(pks.values()))
    counts = {"iris": len(rows), "communes": len(covered), "iris_remplaces": len(replaced)}
    DataSource.objects.create(
        name="Contours IRIS (fichier officiel INSEE/IGN)",
        version=path.name[:60],
        url=str(path)[:300],
        checksum=file_sha256(path),
        row_counts=counts | {"changes": sync.changes()},
        duration_s=round(time.monotonic() - started, 2),
        notes="Les fichiers de contours ne donnent pas de population : IRIS de type Z = population de la commune, "
        "autres IRIS = 0 tant que le fichier de population IRIS de l'INSEE n'est pas chargé.",
    )
    return counts
