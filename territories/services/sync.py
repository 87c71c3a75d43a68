"""Keyed upserts of territories and their contours: what makes reference loads idempotent."""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db import connection
from django.db.models import Q

from ..models import Territory, TerritoryGeometry

BATCH_SIZE = 2000

BASE_FIELDS = [
    "name",
    "search_name",
    "population",
    "region_id",
    "department_id",
    "epci_id",
    "commune_id",
    "siren",
    "kind",
    "zone",
    "postal_codes",
    "is_synthetic",
]
GEOMETRY_FIELDS = ["area_km2", "centroid_lat", "centroid_lon", "has_geometry"]
DEFAULTS = {"area_km2": None, "centroid_lat": None, "centroid_lon": None, "has_geometry": False}


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def insert_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """INSERT ``rows`` (tuples of plain values, in ``fields`` order).

    PostgreSQL: ``COPY … FROM STDIN``; SQLite: one prepared statement run with ``executemany``.
    Django's ``bulk_create`` compiles every row of every batch (and caps SQLite statements at 999
    parameters), which made a full load ten times slower.
    """
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(_column(model, f) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        for start in range(0, len(rows), BATCH_SIZE):
            cursor.executemany(sql, rows[start : start + BATCH_SIZE])


def update_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """UPDATE rows given as (value, …, pk) tuples (``bulk_update`` builds huge CASE clauses).

    PostgreSQL: COPY into a temporary table, then one ``UPDATE … FROM``; SQLite: ``executemany``.
    """
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [_column(model, f) for f in fields]
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            staging = connection.ops.quote_name(f"staging_{model._meta.db_table}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {staging} AS SELECT {', '.join(columns)}, {pk} FROM {table} WITH NO DATA"
            )
            with cursor.cursor.copy(f"COPY {staging} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            assignments = ", ".join(f"{c} = s.{c}" for c in columns)
            cursor.execute(f"UPDATE {table} AS t SET {assignments} FROM {staging} AS s WHERE t.{pk} = s.{pk}")
            cursor.execute(f"DROP TABLE {staging}")
            return
        sql = f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in columns)} WHERE {pk} = %s"
        for start in range(0, len(rows), BATCH_SIZE):
            cursor.executemany(sql, rows[start : start + BATCH_SIZE])


def geometry_row(has_geometry: bool, area: float | None, lat: float | None, lon: float | None) -> dict:
    return {
        "area_km2": None if area is None else round(float(area), 4),
        "centroid_lat": None if lat is None else round(float(lat), 6),
        "centroid_lon": None if lon is None else round(float(lon), 6),
        "has_geometry": has_geometry,
    }


class TerritorySync:
    """Create, update (only when a value differs) and delete rows keyed on (level, code)."""

    def __init__(self):
        self.stats: dict[str, Counter] = defaultdict(Counter)

    def territories(
        self,
        level: str,
        rows: dict[str, dict],
        fields: list[str],
        *,
        scope: Q | None = None,
        stale: str = "keep",
    ) -> dict[str, int]:
        """Write ``rows`` ({code: {field: value}}) for ``level``; return {code: pk} of the scope.

        Rows of the scope missing from ``rows`` are counted (``stale="keep"``: other tables may point
        to them), deleted with their contours (``"delete"``) or not looked at (``"ignore"``).
        """
        queryset = Territory.objects.filter(level=level)
        if scope is not None:
            queryset = queryset.filter(scope)
        existing = {
            code: (pk, tuple(values))
            for pk, code, *values in queryset.values_list("pk", "code", *fields).iterator(chunk_size=5000)
        }
        all_fields = BASE_FIELDS + GEOMETRY_FIELDS
        to_create, to_update = [], []
        for code, row in rows.items():
            values = tuple(row[f] for f in fields)
            current = existing.get(code)
            if current is None:
                to_create.append((level, code, *(row.get(f, DEFAULTS.get(f)) for f in all_fields)))
            elif current[1] != values:
                to_update.append((*values, current[0]))
        stale_pks = [pk for code, (pk, _) in existing.items() if code not in rows]
        insert_rows(Territory, ["level", "code", *all_fields], to_create)
        update_rows(Territory, fields, to_update)
        stats = self.stats[level]
        stats["created"] += len(to_create)
        stats["updated"] += len(to_update)
        if stale == "delete" and stale_pks:
            for start in range(0, len(stale_pks), BATCH_SIZE):
                chunk = stale_pks[start : start + BATCH_SIZE]
                TerritoryGeometry.objects.filter(territory_id__in=chunk).delete()
                Territory.objects.filter(pk__in=chunk).delete()
            stats["deleted"] += len(stale_pks)
        elif stale == "keep" and stale_pks:
            stats["stale"] += len(stale_pks)
        return {code: pk for code, pk in queryset.values_list("code", "pk") if code in rows}

    def geometries(
        self, level: str, items: dict[tuple[int, str], str], *, scope: Q | None = None, only: set[int] | None = None
    ) -> None:
        """Write GeoJSON ``items`` ({(territory pk, use): geojson}) for the territories of ``level`` in scope.

        Contours of the scope missing from ``items`` are deleted; ``only`` restricts the scope to
        these territory ids.
        """
        queryset = TerritoryGeometry.objects.filter(territory__level=level)
        if scope is not None:
            queryset = queryset.filter(scope)
        seen, to_update, stale = set(), [], []
        rows = queryset.values_list("pk", "territory_id", "use", "geojson").iterator(chunk_size=2000)
        for pk, territory_id, use, geojson in rows:
            if only is not None and territory_id not in only:
                continue
            key = (territory_id, use)
            new = items.get(key)
            if new is None:
                stale.append(pk)
                continue
            seen.add(key)
            if new != geojson:
                to_update.append((new, pk))
        to_create = [
            (territory_id, use, geojson)
            for (territory_id, use), geojson in items.items()
            if (territory_id, use) not in seen
        ]
        insert_rows(TerritoryGeometry, ["territory_id", "use", "geojson"], to_create)
        update_rows(TerritoryGeometry, ["geojson"], to_update)
        for start in range(0, len(stale), BATCH_SIZE):
            TerritoryGeometry.objects.filter(pk__in=stale[start : start + BATCH_SIZE]).delete()
        stats = self.stats[f"{level}_geometry"]
        stats["created"] += len(to_create)
        stats["updated"] += len(to_update)
        stats["deleted"] += len(stale)

    def changes(self) -> dict[str, dict[str, int]]:
        return {key: dict(counter) for key, counter in self.stats.items() if counter}
