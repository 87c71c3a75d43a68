"""Indicator catalogue loading and storage of aggregated values (database side of the indicator layer).

Contract: commune values are the only input; EPCI, département, région and France rows are always
recomputed from them by ``indicator_aggregation.aggregate`` and written in bulk for the whole
(indicator, year) pair, so the stored parents can never disagree with their communes.
"""

from __future__ import annotations

import hashlib
import struct
import time
from collections.abc import Iterable

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, Sum

from ..catalogue import CATALOGUE, MODEL_FIELDS
from ..enums import Level
from ..events import supply_changed
from ..models import DataSource, Indicator, IndicatorValue, Territory, Zoning
from .indicator_aggregation import Hierarchy, IndicatorSpec, aggregate
from .indicator_demo import DEFAULT_YEARS, GENERATOR_VERSION, simulate_communes

FRANCE_CODE = "FR"
VALUE_COLUMNS = ["territory_id", "indicator_id", "year", "value", "numerator", "denominator", "is_masked", "is_demo"]


@transaction.atomic
def sync_indicator_catalogue() -> dict[str, Indicator]:
    """Create or update every indicator of ``territories.catalogue`` (idempotent). Returns them by code."""
    existing = {i.code: i for i in Indicator.objects.all()}
    for entry in CATALOGUE:
        fields = {k: entry[k] for k in MODEL_FIELDS}
        indicator = existing.get(entry["code"])
        if indicator is None:
            existing[entry["code"]] = Indicator.objects.create(code=entry["code"], **fields)
        elif any(getattr(indicator, k) != v for k, v in fields.items()):
            if not indicator.is_demo:  # real data was imported: keep its source and the demo flag off
                fields = {k: v for k, v in fields.items() if k not in ("is_demo", "source", "vintage")}
            for k, v in fields.items():
                setattr(indicator, k, v)
            indicator.save()
    return existing


@transaction.atomic
def ensure_france() -> Territory:
    """The France territory (level ``country``, code FR), created if missing; population = Σ régions."""
    population = Territory.objects.filter(level=Level.REGION).aggregate(total=Sum("population"))["total"] or 0
    france, created = Territory.objects.get_or_create(
        level=Level.COUNTRY, code=FRANCE_CODE, defaults={"name": "France", "population": population}
    )
    if not created and france.population != population:
        france.population = population
        france.save(update_fields=["population"])
    return france


def load_hierarchy() -> Hierarchy:
    france = ensure_france()
    departments = dict(Territory.objects.filter(level=Level.DEPARTMENT).values_list("id", "region_id"))
    communes = pd.DataFrame(
        Territory.objects.filter(level=Level.COMMUNE).values_list("id", "epci_id", "department_id"),
        columns=["id", "epci", "department"],
    ).set_index("id")
    communes["epci"] = communes["epci"].fillna(-1).astype(np.int64)
    communes = communes[communes["department"].notna()]
    communes["department"] = communes["department"].astype(np.int64)
    regions = pd.Series(departments, dtype="float64").dropna().astype(np.int64)
    return Hierarchy(communes=communes, departments=regions, france=france.pk, rank=territory_rank())


def _territories_by_code() -> pd.DataFrame:
    """id, level, code of every territory but IRIS, sorted by (level, code) in Python (not the database collation)."""
    territories = pd.DataFrame(
        Territory.objects.exclude(level=Level.IRIS).values_list("id", "level", "code"), columns=["id", "level", "code"]
    )
    return territories.sort_values(["level", "code"], kind="stable", ignore_index=True)


def territory_rank(territories: pd.DataFrame | None = None) -> pd.Series:
    """Territory id → position by (level, code), IRIS excluded: labels that are the same in every database."""
    territories = _territories_by_code() if territories is None else territories
    return pd.Series(np.arange(len(territories), dtype=np.int64), index=territories["id"].to_numpy())


def indicator_specs(indicators: Iterable[Indicator] | None = None) -> dict[int, IndicatorSpec]:
    indicators = Indicator.objects.all() if indicators is None else indicators
    return {
        i.pk: IndicatorSpec(
            id=i.pk,
            aggregation=i.aggregation,
            scale=i.scale,
            secret_basis=i.secret_basis,
            secret_threshold=i.secret_threshold,
        )
        for i in indicators
    }


def replace_values(
    commune_values: pd.DataFrame, *, hierarchy: Hierarchy | None = None, log=None
) -> dict[str, float | int | pd.DataFrame]:
    """Aggregate ``commune_values`` and replace every stored row of the (indicator, year) pairs they cover.

    ``commune_values`` columns: territory, indicator, year, numerator, denominator, is_demo. Must run
    inside a transaction (callers are atomic services). Returns timings (wall-clock seconds), the row
    count and the inserted ``table``. ``log``: called with one progress line per step.
    """
    log = log or (lambda message: None)
    started = time.perf_counter()
    hierarchy = hierarchy or load_hierarchy()
    table = aggregate(commune_values, hierarchy, indicator_specs())
    aggregated = time.perf_counter()
    log(f"agrégation et secret statistique : {len(table)} valeurs en {aggregated - started:.1f} s")
    bulk = len(table) >= BULK_LOAD_ROWS
    with connection.cursor() as cursor:
        restore = _drop_for_bulk_load(cursor) if bulk else []
        pairs = table[["indicator", "year"]].drop_duplicates()
        condition = Q()
        for indicator_id, years in pairs.groupby("indicator")["year"]:
            condition |= Q(indicator_id=int(indicator_id), year__in=sorted(int(y) for y in years))
        if len(pairs):
            IndicatorValue.objects.filter(condition)._raw_delete(IndicatorValue.objects.db)
        deleted = time.perf_counter()
        _bulk_insert(cursor, table)
        inserted = time.perf_counter()
        for statement in restore:
            cursor.execute(statement)
    indexed = time.perf_counter()
    log(
        f"écriture : suppression {deleted - aggregated:.1f} s, insertion {inserted - deleted:.1f} s"
        + (f", index et contraintes {indexed - inserted:.1f} s" if restore else "")
    )
    return {
        "rows": len(table),
        "aggregation_s": round(aggregated - started, 2),
        "delete_s": round(deleted - aggregated, 2),
        "insert_s": round(inserted - deleted, 2),
        "index_s": round(indexed - inserted, 2),
        "table": table,
    }


def commune_values_from_db(pairs: Iterable[tuple[int, int]]) -> pd.DataFrame:
    """Stored commune rows of the given (indicator id, year) pairs, in the shape ``replace_values`` takes."""
    frames = []
    for indicator_id, year in sorted(set(pairs)):
        rows = IndicatorValue.objects.filter(
            indicator_id=indicator_id, year=year, territory__level=Level.COMMUNE
        ).values_list("territory_id", "indicator_id", "year", "numerator", "denominator", "is_demo")
        if rows := list(rows):
            frames.append(
                pd.DataFrame(
                    rows, columns=["territory", "indicator", "year", "numerator", "denominator", "is_demo"]
                ).astype({"numerator": float, "denominator": float})
            )
    if not frames:
        return pd.DataFrame(columns=["territory", "indicator", "year", "numerator", "denominator", "is_demo"])
    out = pd.concat(frames, ignore_index=True)
    out[["numerator", "denominator"]] = out[["numerator", "denominator"]].astype(float)
    return out


# Above this many rows, the secondary indexes of the value table (PostgreSQL: its foreign keys and unique
# constraint too) are dropped before the insert and rebuilt after it, in the same transaction: an index built
# in one sort and a constraint validated in one query cost a fraction of their row-by-row upkeep (all of
# France: ≈ 1/3 less on SQLite, and no deferred foreign-key check queued per row on PostgreSQL).
# On PostgreSQL this locks the table until the commit: readers wait for the load to finish.
BULK_LOAD_ROWS = 200_000


def _drop_for_bulk_load(cursor) -> list[str]:
    """Drop what slows a bulk load of the value table; return the statements that restore it, in order."""
    db_table = IndicatorValue._meta.db_table
    quote = connection.ops.quote_name
    if connection.vendor == "sqlite":  # sql IS NULL: automatic indexes of UNIQUE / PRIMARY KEY constraints
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
            [db_table],
        )
        indexes = sorted(cursor.fetchall())
        for name, _statement in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
        return [statement for _name, statement in indexes]
    if connection.vendor != "postgresql":
        return []
    connection.check_constraints()  # run the deferred checks already queued: ALTER TABLE refuses pending ones
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY contype DESC, conname",
        [db_table],
    )
    constraints = cursor.fetchall()  # unique first (its index serves the foreign key checks), then foreign keys
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass) ORDER BY indexname",
        [db_table, db_table],
    )
    indexes = cursor.fetchall()
    for name, _kind, _definition in constraints:
        cursor.execute(f"ALTER TABLE {quote(db_table)} DROP CONSTRAINT {quote(name)}")
    for name, _statement in indexes:
        cursor.execute(f"DROP INDEX {quote(name)}")
    return [statement for _name, statement in indexes] + [
        f"ALTER TABLE {quote(db_table)} ADD CONSTRAINT {quote(name)} {definition}"
        for name, _kind, definition in constraints
    ]


def _value_columns(table: pd.DataFrame) -> dict[str, np.ndarray]:
    """The columns of ``VALUE_COLUMNS`` as numpy arrays, rows in (territory, indicator, year) order.

    That order makes the unique index and the (territory, year) index grow in order, and stores the rows a
    territory page reads together next to each other.
    """
    territory = table["territory"].to_numpy(dtype=np.int64)
    indicator = table["indicator"].to_numpy(dtype=np.int64)
    year = table["year"].to_numpy(dtype=np.int64)
    order = np.lexsort((year, indicator, territory))
    return {
        "territory_id": territory[order],
        "indicator_id": indicator[order],
        "year": year[order],
        "value": table["value"].to_numpy(dtype=float)[order],
        "numerator": table["numerator"].to_numpy(dtype=float)[order],
        "denominator": table["denominator"].to_numpy(dtype=float)[order],
        "is_masked": table["is_masked"].to_numpy(dtype=bool)[order],
        "is_demo": table["is_demo"].to_numpy(dtype=bool)[order],
    }


def _bulk_insert(cursor, table: pd.DataFrame) -> None:
    """Fast insert of the aggregated table: binary COPY on PostgreSQL, one ``executemany`` of tuples elsewhere."""
    columns = _value_columns(table)
    db_table = IndicatorValue._meta.db_table
    names = ", ".join(VALUE_COLUMNS)
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {db_table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            for chunk in _pg_binary_copy(columns):
                copy.write(chunk)
        return
    sql = f"INSERT INTO {db_table} ({names}) VALUES ({', '.join(['%s'] * len(VALUE_COLUMNS))})"
    if connection.vendor == "sqlite":
        sql = sql.replace("%s", "?")
        cursor = cursor.cursor  # the sqlite3 cursor itself: no per-row placeholder conversion

    def plain(name: str) -> list:
        array = columns[name]
        if array.dtype == float:  # NaN → NULL
            values = array.astype(object)
            values[np.isnan(array)] = None
            return values.tolist()
        return array.tolist()

    cursor.executemany(sql, zip(*(plain(name) for name in VALUE_COLUMNS), strict=True))


# PostgreSQL binary COPY: types of VALUE_COLUMNS (bigint, bigint, smallint, 3 × double precision, 2 × boolean).
_PG_FIELDS = [
    ("territory_id", ">i8"),
    ("indicator_id", ">i8"),
    ("year", ">i2"),
    ("value", ">f8"),
    ("numerator", ">f8"),
    ("denominator", ">f8"),
    ("is_masked", "u1"),
    ("is_demo", "u1"),
]
_PG_NULLABLE = ("value", "numerator", "denominator")


def _pg_binary_copy(columns: dict[str, np.ndarray], chunk_rows: int = 50_000):
    """Yield the bytes of a PostgreSQL binary COPY of ``columns`` (NaN → NULL), built with numpy.

    A NULL field has no data, so tuples differ in length by NULL pattern: each chunk of rows is written as
    one fixed-width numpy record array per pattern (at most 8), which keeps the chunk's rows together.
    """
    yield b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    total = len(columns["territory_id"])
    for start in range(0, total, chunk_rows):
        part = {name: array[start : start + chunk_rows] for name, array in columns.items()}
        pattern = np.zeros(len(part["territory_id"]), dtype=np.int8)
        for bit, name in enumerate(_PG_NULLABLE):
            pattern |= np.isnan(part[name]).astype(np.int8) << bit
        for code in np.unique(pattern):
            rows = pattern == code
            nulls = {name for bit, name in enumerate(_PG_NULLABLE) if code >> bit & 1}
            fields = [("count", ">i2")]
            for name, dtype in _PG_FIELDS:
                fields.append((f"{name}_length", ">i4"))
                if name not in nulls:
                    fields.append((name, dtype))
            records = np.empty(int(rows.sum()), dtype=fields)
            records["count"] = len(_PG_FIELDS)
            for name, dtype in _PG_FIELDS:
                if name in nulls:
                    records[f"{name}_length"] = -1
                else:
                    records[f"{name}_length"] = np.dtype(dtype).itemsize
                    records[name] = part[name][rows]
            yield records.tobytes()
    yield struct.pack(">h", -1)


def rows_checksum(table: pd.DataFrame) -> str:
    """sha256 of value rows keyed by codes, not ids: equal for equal data whatever the database.

    ``table`` columns: territory, indicator (ids), year, value, numerator, denominator, is_masked. Rows are
    hashed in (territory level, territory code, indicator code, year) order, floats as IEEE 754 bytes.
    """
    territories = _territories_by_code()
    ranks = territory_rank(territories)
    indicators = pd.DataFrame(Indicator.objects.values_list("id", "code"), columns=["id", "code"]).sort_values("code")
    indicator_rank = pd.Series(np.arange(len(indicators)), index=indicators["id"].to_numpy())
    t = ranks.reindex(table["territory"].to_numpy()).to_numpy()
    i = indicator_rank.reindex(table["indicator"].to_numpy()).to_numpy()
    if np.isnan(t).any() or np.isnan(i).any():
        raise ValueError("rows of unknown territories or indicators")
    t, i = t.astype(np.int64), i.astype(np.int64)
    year = table["year"].to_numpy(dtype=np.int64)
    order = np.lexsort((year, i, t))
    digest = hashlib.sha256()
    digest.update("\n".join(f"{level}|{code}" for level, code in territories[["level", "code"]].to_numpy()).encode())
    digest.update("\n".join(indicators["code"]).encode())
    record = np.empty(len(order), dtype=[("t", "<i8"), ("i", "<i8"), ("y", "<i2"), ("v", "<f8", 3), ("m", "u1")])
    record["t"], record["i"], record["y"] = t[order], i[order], year[order]
    floats = table[["value", "numerator", "denominator"]].to_numpy(dtype=float)[order]
    record["v"] = np.where(np.isnan(floats), np.inf, floats)  # NULL → +inf (no stored value is infinite)
    record["m"] = table["is_masked"].to_numpy(dtype=bool)[order]
    digest.update(record.tobytes())
    return digest.hexdigest()


def stored_checksum(*, is_demo: bool | None = True) -> str:
    """``rows_checksum`` of the stored values (default: the demonstration ones), read with a raw cursor."""
    queryset = IndicatorValue.objects.all() if is_demo is None else IndicatorValue.objects.filter(is_demo=is_demo)
    sql, params = queryset.values_list(
        "territory_id", "indicator_id", "year", "value", "numerator", "denominator", "is_masked"
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    table = pd.DataFrame(
        rows, columns=["territory", "indicator", "year", "value", "numerator", "denominator", "is_masked"]
    )
    table[["value", "numerator", "denominator"]] = table[["value", "numerator", "denominator"]].astype(float)
    return rows_checksum(table)


DEMO_SOURCE_NAME = "données de démonstration"


def demo_version(seed: int) -> str:
    return f"générateur {GENERATOR_VERSION}, graine {seed}"


def current_demo_source(*, seed: int = 42, years: tuple[int, ...] = DEFAULT_YEARS) -> DataSource | None:
    """The last demo load if the stored demo values are those this seed, years and geography would give.

    What ``generate_demo_data --if-empty`` checks (a few indexed queries): same generator version and seed,
    same years, same number of communes, and demo values present.
    """
    source = DataSource.objects.filter(name=DEMO_SOURCE_NAME, is_demo=True).order_by("-loaded_at", "-pk").first()
    if source is None or source.version != demo_version(seed):
        return None
    counts = source.row_counts or {}
    if counts.get("annees") != sorted(set(years)):
        return None
    if counts.get("communes") != Territory.objects.filter(level=Level.COMMUNE).count():
        return None
    if not IndicatorValue.objects.filter(is_demo=True).exists():
        return None
    return source


@transaction.atomic
def generate_demo_data(*, seed: int = 42, years: tuple[int, ...] = DEFAULT_YEARS, log=None) -> DataSource:
    """Generate and store the demonstration indicators of every commune, then aggregate them up.

    Idempotent for a given seed (the demo rows of the generated (indicator, year) pairs are replaced).
    (indicator, year) pairs that already hold real (non-demo) commune values are left untouched. Demo ARS
    zonings are replaced too. Logged as a ``DataSource`` row (version = generator version + seed; checksum =
    ``rows_checksum`` of the rows written, the same on SQLite and PostgreSQL). ``log`` gets one line per
    step with its wall-clock duration.
    """
    log = log or (lambda message: None)
    timings: dict[str, float] = {}
    started = mark = time.perf_counter()

    def lap(name: str) -> float:
        nonlocal mark
        now = time.perf_counter()
        timings[name] = now - mark
        mark = now
        return timings[name]

    indicators = sync_indicator_catalogue()
    hierarchy = load_hierarchy()
    communes = pd.DataFrame(
        Territory.objects.filter(level=Level.COMMUNE).values_list(
            "id", "code", "population", "department__code", "epci__code", "area_km2"
        ),
        columns=["id", "code", "population", "department", "epci", "area_km2"],
    )
    if communes.empty:
        raise ValidationError("Aucune commune en base : chargez d'abord la géographie de référence (load_reference).")
    communes["area_km2"] = communes["area_km2"].astype(float)
    log(f"lecture : {len(communes)} communes en {lap('read_s'):.1f} s")
    simulation = simulate_communes(communes, seed=seed, years=tuple(years))
    log(f"simulation : {len(simulation.values)} valeurs communales en {lap('simulate_s'):.1f} s")

    ids = communes.set_index("code")["id"].reindex(simulation.codes).to_numpy()
    values = simulation.values
    real_pairs = set(
        IndicatorValue.objects.filter(is_demo=False, territory__level=Level.COMMUNE)
        .values_list("indicator__code", "year")
        .distinct()
    )
    if real_pairs:
        keep = ~pd.Series(list(zip(values["indicator"], values["year"], strict=True))).isin(real_pairs).to_numpy()
        values = values[keep]
    commune_values = pd.DataFrame(
        {
            "territory": ids[values["position"].to_numpy()],
            "indicator": values["indicator"].map({code: i.pk for code, i in indicators.items()}).to_numpy(),
            "year": values["year"].to_numpy(),
            "numerator": values["numerator"].to_numpy(),
            "denominator": values["denominator"].to_numpy(),
            "is_demo": True,
        }
    )
    mark = time.perf_counter()
    stats = replace_values(commune_values, hierarchy=hierarchy, log=log)
    timings.update({k: v for k, v in stats.items() if k.endswith("_s")})
    checksum = rows_checksum(stats["table"])
    mark = time.perf_counter()

    Zoning.objects.filter(is_demo=True)._raw_delete(Zoning.objects.db)
    zoning = simulation.zoning
    # Real zonings (import_zoning) win: a commune with a real GP zoning gets no demo one, which would overlap it.
    real = set(Zoning.objects.filter(is_demo=False, profession="gp").values_list("commune_id", flat=True))
    zoning_ids = ids[zoning["position"].to_numpy()]
    if real:
        keep = ~np.isin(zoning_ids, list(real))
        zoning, zoning_ids = zoning[keep], zoning_ids[keep]
    _insert_zonings(
        commune_ids=zoning_ids,
        zones=zoning["zone"].tolist(),
        valid_from=zoning["valid_from"].tolist(),
        valid_until=zoning["valid_until"].tolist(),
    )
    log(f"zonages ARS : {len(zoning)} arrêtés en {lap('zoning_s'):.1f} s")
    duration = time.perf_counter() - started
    source = DataSource.objects.create(
        name=DEMO_SOURCE_NAME,
        version=demo_version(seed),
        checksum=checksum,
        is_demo=True,
        row_counts={
            "indicateurs": len(indicators),
            "communes": len(communes),
            "valeurs_communales": len(commune_values),
            "valeurs_totales": stats["rows"],
            "zonages": len(zoning),
            "annees": sorted(int(y) for y in set(values["year"])),
        },
        duration_s=round(duration, 1),
        notes="Durées (s) : "
        + ", ".join(f"{k} {v:.1f}" for k, v in timings.items())
        + (f". Couples (indicateur, année) réels conservés : {len(real_pairs)}." if real_pairs else ""),
    )
    supply_changed.send(sender=DataSource, source=source)
    return source


def _insert_zonings(*, commune_ids: np.ndarray, zones: list, valid_from: list, valid_until: list) -> None:
    """Demo GP zonings in one statement (COPY on PostgreSQL, executemany elsewhere): no model instances."""
    reference = "Arrêté de zonage de démonstration"
    rows = [
        (commune, "gp", zone, reference, start, end, True)
        for commune, zone, start, end in zip(commune_ids.tolist(), zones, valid_from, valid_until, strict=True)
    ]
    columns = "commune_id, profession, zone, reference, valid_from, valid_until, is_demo"
    db_table = Zoning._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {db_table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * 7)
        if connection.vendor == "sqlite":  # dates as ISO text, as Django stores them
            placeholders = placeholders.replace("%s", "?")
            cursor = cursor.cursor
        cursor.executemany(f"INSERT INTO {db_table} ({columns}) VALUES ({placeholders})", rows)
