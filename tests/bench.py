"""``make bench``: a list of named benchmarks, each printing ``name: figure`` lines.

Add a benchmark by appending ``(name, function)`` to ``BENCHMARKS``; run one with
``python -m tests.bench <name>``.

reference_load: full ``manage.py load_reference`` (France: units, contours, synthetic IRIS) in a
subprocess on a fresh temporary database — SQLite under /tmp, or, when ``DATABASE_URL`` points to
PostgreSQL, a temporary database created next to it — then a second, idempotent run. Wall time and
peak resident memory of each run (``ru_maxrss`` of that child process, from ``os.wait4``).
Targets: under 90 s and under 2 GB.

demo_generation: ``generate_demo_data`` for all of France (simulate, aggregate + secondary masking, write,
zonings), in-process, on a fresh copy of ``var/db.sqlite3`` (the reference geography must be loaded there:
``make load``) migrated to the current schema, or on the database of ``DATABASE_URL`` when set (its demo
values are replaced, seed 42). Prints each step with its wall-clock and CPU seconds (CPU of this process;
on PostgreSQL also the CPU of the server backend when it runs on this machine), rows written, database
growth, then the signals evaluation and the ``--if-empty`` check. Target: under 90 s on an idle 2-core machine, growth under 300 MB.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
LOAD_TARGET_S = 90
LOAD_TARGET_MB = 2048


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run ``manage.py <args>``; return (seconds, peak RSS in MB) of that process."""
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed (exit code {process.returncode})")
    return time.monotonic() - started, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


@contextmanager
def _fresh_database():
    """Yield a DATABASE_URL of an empty, temporary database, dropped afterwards."""
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(configured)
        name = f"{parts.path.lstrip('/') or 'portail'}_bench_{uuid.uuid4().hex[:8]}"
        admin_url = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(parts._replace(path=f"/{name}")), "postgresql"
        finally:
            with psycopg.connect(admin_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        with tempfile.TemporaryDirectory(prefix="bench-reference-") as directory:
            yield f"sqlite:///{directory}/db.sqlite3", "sqlite"


def bench_reference_load() -> None:
    with _fresh_database() as (url, vendor):
        env = os.environ | {"DATABASE_URL": url}
        _run(["migrate", "--noinput", "-v0"], env)
        for label in ("first", "second (idempotent)"):
            seconds, megabytes = _run(["load_reference", "-v0"], env)
            flag = "" if seconds < LOAD_TARGET_S and megabytes < LOAD_TARGET_MB else "  (over target)"
            print(f"reference_load {label} [{vendor}]: {seconds:.1f} s, peak {megabytes:.0f} MB{flag}", flush=True)


def _django_setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()


def bench_fiche_largest_epci() -> None:
    """Fiche territoire of the EPCI with the most communes: median of 3 renders (tests/bench_fiches.py)."""
    _django_setup()
    from tests.bench_fiches import bench_fiche_largest_epci as bench

    bench()


def bench_fiche_batch_throughput() -> None:
    """Fiches of all EPCI of one département with 1 and 2 Celery workers (needs REDIS_URL + PostgreSQL)."""
    _django_setup()
    from tests.bench_fiches import bench_fiche_batch_throughput as bench

    bench()


def bench_map_department() -> None:
    """Indicator map of the département with the most communes: weight, cold and warm time (tests/bench_maps.py)."""
    _django_setup()
    from tests.bench_maps import bench_map_department as bench

    bench()


def bench_map_region() -> None:
    """Indicator map of the région with the most communes: weight, cold and warm time (tests/bench_maps.py)."""
    _django_setup()
    from tests.bench_maps import bench_map_region as bench

    bench()


def bench_map_memory() -> None:
    """Resident memory of a fresh web process before/after the maps of every région (tests/bench_maps.py)."""
    _django_setup()
    from tests.bench_maps import bench_map_memory as bench

    bench()


def bench_dashboard() -> None:
    """Territory dashboard page of a ~100-inhabitant commune, the largest EPCI and région (tests/bench_dashboard.py)."""
    _django_setup()
    from tests.bench_dashboard import bench_dashboard as bench

    bench()


def bench_accessibility() -> None:
    """Computed accessibility of all France, scenarios of an EPCI and a département (tests/bench_accessibility.py)."""
    _django_setup()
    from tests.bench_accessibility import bench_accessibility as bench

    bench()


DEMO_TARGET_S = 90
DEMO_TARGET_MB = 300


def _backend_cpu_s(cursor) -> float | None:
    """CPU seconds (user + system) of this connection's PostgreSQL backend, when it runs on this machine."""
    cursor.execute("SELECT pg_backend_pid()")
    try:
        fields = Path(f"/proc/{cursor.fetchone()[0]}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _database_bytes(connection) -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return cursor.fetchone()[0]
    return Path(connection.settings_dict["NAME"]).stat().st_size


def bench_demo_generation() -> None:
    configured = os.environ.get("DATABASE_URL", "")
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as directory:
        if not configured:
            source = ROOT / "var" / "db.sqlite3"
            if not source.exists():
                raise SystemExit("demo_generation: no var/db.sqlite3, run `make load` first")
            copy = Path(directory) / "db.sqlite3"
            copy.write_bytes(source.read_bytes())
            os.environ["DATABASE_URL"] = f"sqlite:///{copy}"
        _django_setup()
        from django.core.management import call_command
        from django.db import connection

        from territories.enums import Level
        from territories.models import IndicatorValue, Territory
        from territories.services.indicators import current_demo_source, generate_demo_data

        call_command("migrate", "--noinput", verbosity=0)
        communes = Territory.objects.filter(level=Level.COMMUNE).count()
        if communes < 30_000:
            raise SystemExit(f"demo_generation: {communes} communes in this database, load the reference first")
        vendor = connection.vendor
        IndicatorValue.objects.filter(is_demo=True)._raw_delete(IndicatorValue.objects.db)  # measure a first load
        if vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM")
        before = _database_bytes(connection)
        with connection.cursor() as cursor:
            server_before = _backend_cpu_s(cursor) if vendor == "postgresql" else None
        mark = {"wall": time.perf_counter(), "cpu": time.process_time()}
        started = dict(mark)

        def log(message: str) -> None:
            wall, cpu = time.perf_counter(), time.process_time()
            print(f"  {message} [cpu {cpu - mark['cpu']:.1f} s]", flush=True)
            mark.update(wall=wall, cpu=cpu)

        source = generate_demo_data(seed=42, log=log)
        wall, cpu = time.perf_counter() - started["wall"], time.process_time() - started["cpu"]
        server = ""
        if server_before is not None:
            with connection.cursor() as cursor:
                server = f" + server backend cpu {_backend_cpu_s(cursor) - server_before:.1f} s"
        if vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM")  # file size = pages in use
        growth = (_database_bytes(connection) - before) / 1e6
        rows = source.row_counts["valeurs_totales"]
        flag = "" if wall < DEMO_TARGET_S and growth < DEMO_TARGET_MB else "  (over target)"
        print(
            f"demo_generation [{vendor}]: {rows} rows ({source.row_counts['valeurs_communales']} commune rows), "
            f"wall {wall:.1f} s, cpu {cpu:.1f} s{server}, database +{growth:.0f} MB{flag}",
            flush=True,
        )
        from territories.services.signals import evaluate_signals, sync_signal_rules

        mark_wall, mark_cpu = time.perf_counter(), time.process_time()
        sync_signal_rules()
        report = evaluate_signals()
        print(
            f"demo_generation signals [{vendor}]: {report.signals} signals, wall {time.perf_counter() - mark_wall:.1f} s, "
            f"cpu {time.process_time() - mark_cpu:.1f} s",
            flush=True,
        )
        mark_wall, mark_cpu = time.perf_counter(), time.process_time()
        assert current_demo_source(seed=42) is not None
        print(
            f"demo_generation --if-empty check [{vendor}]: wall {time.perf_counter() - mark_wall:.3f} s, "
            f"cpu {time.process_time() - mark_cpu:.3f} s",
            flush=True,
        )
        connection.close()


BENCHMARKS: list[tuple[str, Callable[[], object]]] = [
    ("reference_load", bench_reference_load),
    ("fiche_largest_epci", bench_fiche_largest_epci),
    ("fiche_batch_throughput", bench_fiche_batch_throughput),
    ("map_region", bench_map_region),
    ("map_department", bench_map_department),
    ("map_memory", bench_map_memory),
    ("dashboard", bench_dashboard),
    ("demo_generation", bench_demo_generation),
    ("accessibility", bench_accessibility),
]


def main(argv: list[str]) -> None:
    selected = [(name, fn) for name, fn in BENCHMARKS if not argv or name in argv]
    if not selected:
        raise SystemExit(f"unknown benchmark; choose among: {', '.join(name for name, _ in BENCHMARKS)}")
    for _name, benchmark in selected:
        benchmark()


if __name__ == "__main__":
    main(sys.argv[1:])
