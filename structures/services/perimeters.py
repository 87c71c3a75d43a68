"""CPTS perimeters: the dissolved contour and the population of the communes a CPTS covers.

Computed when a perimeter is written (demo generation, admin edit), never at request time: maps read
``Structure.perimeter_geojson`` as it is.
"""

from __future__ import annotations

import numpy as np
from django.db import transaction
from django.db.models import Sum

from territories.enums import GeometryUse, Level
from territories.models import TerritoryGeometry

from ..enums import StructureKind
from ..models import Structure

SIMPLIFY_TOLERANCE = 0.001  # degrees, ≈ 100 m: enough for a map of a département
GRID_SIZE = 1e-4  # coordinates rounded to 4 decimals (≈ 10 m)
IN_QUERY_LIMIT = 2_000  # beyond this many communes, read every commune contour rather than a long IN list


def dissolve_perimeters(groups: list[tuple[int, ...]]) -> list[str]:
    """GeoJSON of the union of each group's communes (ids; ``light`` contours), simplified to ≈ 100 m.

    Communes without a contour are skipped; a group without any contour gives "". All of France (≈ 750
    CPTS, 23,000 communes): ≈ 2 s. Invalid contours (self-touching rings after simplification) are repaired
    with ``make_valid`` before the union.
    """
    import shapely

    wanted = {pk for group in groups for pk in group}
    if not wanted:
        return ["" for _ in groups]
    contours = TerritoryGeometry.objects.filter(use=GeometryUse.LIGHT, territory__level=Level.COMMUNE)
    if len(wanted) <= IN_QUERY_LIMIT:
        contours = contours.filter(territory_id__in=sorted(wanted))
    rows = [(pk, geojson) for pk, geojson in contours.values_list("territory_id", "geojson") if pk in wanted]
    index = {pk: i for i, (pk, _) in enumerate(rows)}
    geometries = shapely.from_geojson([geojson for _, geojson in rows]) if rows else np.array([])
    if len(geometries):
        invalid = ~shapely.is_valid(geometries)
        geometries[invalid] = shapely.make_valid(geometries[invalid])
    out = []
    for group in groups:
        parts = sorted(index[pk] for pk in group if pk in index)
        if not parts:
            out.append("")
            continue
        union = shapely.union_all(geometries[parts])
        union = shapely.set_precision(shapely.simplify(union, SIMPLIFY_TOLERANCE), GRID_SIZE)
        out.append(shapely.to_geojson(union))
    return out


@transaction.atomic
def refresh_perimeter(structure: Structure) -> Structure:
    """Recompute a CPTS's contour from its covered communes (after an admin edit); an empty population covered
    becomes the sum of the communes' populations (a figure entered from the ARS list is kept)."""
    if structure.kind != StructureKind.CPTS:
        return structure
    communes = list(structure.coverage.values_list("commune_id", flat=True))
    structure.perimeter_geojson = dissolve_perimeters([tuple(communes)])[0] if communes else ""
    if structure.population_covered is None and communes:
        structure.population_covered = structure.covered_communes.aggregate(total=Sum("population"))["total"]
    structure.save(update_fields=["perimeter_geojson", "population_covered"])
    return structure
