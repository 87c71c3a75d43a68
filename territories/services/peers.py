"""« Territoires comparables »: for each territory, the nearest ones of the same level in population and density.

Contract of ``compute_peers``: idempotent, all or nothing; replaces every ``TerritoryPeer`` row from the
territories in the database (régions, départements, EPCI, communes with a population and an area). The
distance is Euclidean in (ln population, ln density): a commune of 1,000 inhabitants is as close to one of
2,000 as one of 2,000 to one of 4,000, and density weighs as much as size. Ties are broken by INSEE/SIREN
code, so the result does not depend on the database order. Run after ``load_reference`` (populations and
areas) — ``manage.py compute_peers``.
"""

from __future__ import annotations

import time

from django.db import transaction

from ..enums import Level
from ..models import Territory, TerritoryPeer

PEER_LEVELS = (Level.REGION, Level.DEPARTMENT, Level.EPCI, Level.COMMUNE)
PEER_COUNT = 5


@transaction.atomic
def compute_peers(*, count: int = PEER_COUNT) -> dict[str, int]:
    """Recompute the peers of every territory of :data:`PEER_LEVELS`. Returns the number of rows per level."""
    import numpy as np
    from scipy.spatial import cKDTree

    started = time.perf_counter()
    TerritoryPeer.objects.all()._raw_delete(TerritoryPeer.objects.db)
    report: dict[str, int] = {}
    for level in PEER_LEVELS:
        rows = list(
            Territory.objects.filter(level=level, population__gt=0, area_km2__gt=0)
            .order_by("code")
            .values_list("pk", "population", "area_km2")
        )
        if len(rows) < 2:
            report[level] = 0
            continue
        ids = np.array([r[0] for r in rows])
        population = np.array([r[1] for r in rows], dtype=float)
        area = np.array([r[2] for r in rows], dtype=float)
        points = np.column_stack([np.log(population), np.log(population / area)])
        k = min(count + 1, len(rows))
        distances, neighbours = cKDTree(points).query(points, k=k)
        links = []
        for i in range(len(rows)):
            # Stable order: by distance, then by position (= code order); the territory itself is dropped.
            order = sorted((d, j) for d, j in zip(distances[i], neighbours[i], strict=True) if j != i)
            for rank, (distance, j) in enumerate(order[:count], start=1):
                links.append(
                    TerritoryPeer(territory_id=int(ids[i]), peer_id=int(ids[j]), rank=rank, distance=float(distance))
                )
        TerritoryPeer.objects.bulk_create(links, batch_size=5_000)
        report[level] = len(links)
    report["duration_s"] = round(time.perf_counter() - started, 1)
    return report
