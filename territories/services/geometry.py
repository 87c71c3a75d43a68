"""Geometry helpers for the reference load: dissolve, simplify to GeoJSON, areas, synthetic IRIS cells.

Everything works on arrays of shapely geometries in WGS84 (EPSG:4326) and is deterministic.
"""

from __future__ import annotations

import functools
import zlib

import numpy as np
import pyproj
import shapely

# Cylindrical equal-area projection valid for metropolitan France and every DROM alike.
EQUAL_AREA_CRS = "EPSG:6933"


@functools.cache
def _to_equal_area() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("EPSG:4326", EQUAL_AREA_CRS, always_xy=True)


def area_km2(geoms: np.ndarray) -> np.ndarray:
    transformer = _to_equal_area()
    projected = shapely.transform(geoms, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))
    return shapely.area(projected) / 1e6


def inner_points(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude of a point inside each geometry (the centroid may fall outside)."""
    points = shapely.point_on_surface(geoms)
    return shapely.get_y(points), shapely.get_x(points)


def to_geojson(geoms: np.ndarray, *, decimals: int, tolerance: float = 0.0, coverage: bool = False) -> list[str]:
    """GeoJSON strings, simplified with ``tolerance`` (degrees) and rounded to ``decimals``.

    ``coverage=True`` simplifies the geometries as one coverage (shared edges stay shared: neighbouring
    communes keep no gap nor overlap on a map); otherwise each geometry is simplified on its own,
    preserving its topology.
    """
    if tolerance:
        if coverage:
            geoms = shapely.coverage_simplify(geoms, tolerance)
        else:
            geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
    return shapely.to_geojson(geoms).tolist()


def fill_gaps(geom: shapely.Geometry, tree: shapely.STRtree) -> shapely.Geometry:
    """Fill the holes of a dissolved contour that no commune covers.

    Commune polygons do not tile France perfectly (generalisation slivers, a few gaps); a hole
    where a commune lies is a real enclave (Enclave des papes, Hautes-Pyrénées enclaves) and stays.
    """
    polygons = []
    changed = False
    for polygon in shapely.get_parts(geom):
        rings = list(polygon.interiors)
        kept = []
        for ring in rings:
            probe = shapely.point_on_surface(shapely.Polygon(ring))
            if tree.query(probe, predicate="within").size:
                kept.append(ring)
        changed |= len(kept) != len(rings)
        polygons.append(shapely.Polygon(polygon.exterior, kept) if len(kept) != len(rings) else polygon)
    if not changed:
        return geom
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def merge(geoms: list[shapely.Geometry]) -> shapely.Geometry:
    """Union of polygons; tries the fast coverage union first (exact when they share their edges)."""
    if len(geoms) == 1:
        return geoms[0]
    try:
        merged = shapely.coverage_union_all(geoms)
        if merged.is_valid:
            return merged
    except shapely.errors.GEOSException:
        pass  # overlapping or not edge-matched: the general union below handles it
    return shapely.union_all(geoms)


def dissolve(groups: dict, tree: shapely.STRtree | None = None) -> dict:
    """{key: polygons} -> {key: merged contour}, holes that no commune covers filled when ``tree`` is given."""
    merged = {key: merge(geoms) for key, geoms in groups.items()}
    if tree is None:
        return merged
    return {key: fill_gaps(geom, tree) for key, geom in merged.items()}


def split_population(total: int, weights: np.ndarray) -> list[int]:
    """Integers proportional to ``weights`` that sum exactly to ``total`` (largest remainder)."""
    shares = weights / weights.sum() * total
    parts = np.floor(shares).astype(int)
    remainder = total - int(parts.sum())
    order = np.argsort(-(shares - parts), kind="stable")
    parts[order[:remainder]] += 1
    return parts.tolist()


def synthetic_iris_cells(
    code: str, polygon: shapely.Geometry, population: int, *, target: int = 2000
) -> list[tuple[shapely.Geometry, int]]:
    """Split a commune into about ``population / target`` cells: Voronoi cells of seeded random points.

    The random generator is seeded with the INSEE code, so a commune always gets the same cells;
    cells are ordered north to south, then west to east; populations sum to ``population``.
    """
    count = max(2, round(population / target))
    rng = np.random.default_rng(zlib.crc32(code.encode()))
    min_x, min_y, max_x, max_y = polygon.bounds
    shapely.prepare(polygon)
    points = np.empty((0, 2))
    for _ in range(200):
        candidates = rng.uniform((min_x, min_y), (max_x, max_y), size=(count * 4, 2))
        inside = candidates[shapely.contains_xy(polygon, candidates[:, 0], candidates[:, 1])]
        points = np.vstack([points, inside[: count - len(points)]])
        if len(points) >= count:
            break
    if len(points) < 2:
        return [(polygon, population)]
    points = points[np.lexsort((points[:, 0], -points[:, 1]))]
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=polygon, ordered=True))
    clipped = []
    for cell in shapely.intersection(cells, polygon):
        parts = [p for p in shapely.get_parts(cell) if isinstance(p, shapely.Polygon | shapely.MultiPolygon)]
        if parts:
            clipped.append(parts[0] if len(parts) == 1 else shapely.union_all(parts))
    populations = split_population(population, rng.uniform(0.7, 1.3, len(clipped)))
    return list(zip(clipped, populations, strict=True))
