"""Benchmark of the accessibility engine, part of ``make bench`` (``tests/bench.py``).

On the database of ``DATABASE_URL`` (all of France with demo data: ``make prepare``):

- france: ``compute_france`` (read communes and supply, catchments of every commune, 2SFCA now and in 5 years)
  in a child process (wall time, peak resident memory of that process), then ``store_france`` (the same plus the
  writing of the indicator rows). Floor: reading the inputs alone, right after, in the same child (the part no
  engine can avoid). Targets: < 30 s, < 1.5 GB.
- scenario_epci: « add 3 GPs » at the most populous commune of the EPCI with the most communes (validation +
  computation, median of 5 after a warm-up). Floor: one query reading the GP counts of that EPCI's communes.
  Target: < 1 s.
- scenario_department: 50 retirements (the GPs aged 60 or more of the 50 communes with the most GPs) in the
  département with the most communes. Floor: one query reading the GP counts of the département. Target: < 3 s.

Run alone: ``.venv/bin/python -m tests.bench_accessibility``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRANCE_TARGET_S = 30
FRANCE_TARGET_MB = 1536
EPCI_TARGET_S = 1.0
DEPARTMENT_TARGET_S = 3.0

CHILD = """
import os, sys, time, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from accessibility.inputs import load_window
from accessibility.services import compute_france, store_france
mark = time.perf_counter(); result = compute_france(); compute = time.perf_counter() - mark
mark = time.perf_counter(); load_window(); floor = time.perf_counter() - mark  # after: same warm caches
parts = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
print(f"FLOOR {floor:.2f}")
print(f"COMPUTE {compute:.2f} {len(result.communes)} {result.result.distributed:.0f} [{parts}]")
if sys.argv[-1] == "store":
    mark = time.perf_counter(); store_france(); print(f"STORE {time.perf_counter() - mark:.2f}")
"""


def _child(mode: str) -> tuple[dict[str, str], float, float]:
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, mode], cwd=ROOT, stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"accessibility bench child failed:\n{output}")
    lines = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in output.splitlines() if " " in line}
    return lines, time.monotonic() - started, usage.ru_maxrss / 1024


def bench_france() -> None:
    for mode in ("compute", "store"):
        lines, wall, peak = _child(mode)
        floor = float(lines["FLOOR"])
        seconds, communes, distributed, parts = lines["COMPUTE"].split(" ", 3)
        flag = "" if float(seconds) < FRANCE_TARGET_S and peak < FRANCE_TARGET_MB else "  (over target)"
        print(
            f"accessibility france compute: {float(seconds):.1f} s for {communes} communes {parts}, "
            f"floor (reading inputs only) {floor:.1f} s; child peak {peak:.0f} MB (process wall {wall:.1f} s){flag}",
            flush=True,
        )
        if "STORE" in lines:
            print(
                f"accessibility france store (compute + write + aggregate): {float(lines['STORE']):.1f} s", flush=True
            )


def _admin():
    from portal.accounts.enums import Role
    from portal.accounts.models import User

    return User(email="bench@portail.invalid", role=Role.ADMIN, is_superuser=True)


def _timed(function, runs: int = 5) -> float:
    function()  # warm-up
    samples = []
    for _ in range(runs):
        mark = time.perf_counter()
        function()
        samples.append(time.perf_counter() - mark)
    return statistics.median(samples)


def bench_scenarios() -> None:
    from django.db.models import Count

    from accessibility.inputs import GP_COUNT
    from accessibility.scenarios import read_changes, simulate
    from territories.enums import Level
    from territories.models import IndicatorValue, Territory

    communes = Territory.objects.filter(level=Level.COMMUNE, centroid_lat__isnull=False)
    year = IndicatorValue.objects.filter(indicator__code=GP_COUNT).order_by("-year").values_list("year", flat=True)[0]
    admin = _admin()

    def floor_for(**filters) -> float:
        return _timed(
            lambda: list(
                IndicatorValue.objects.filter(
                    indicator__code=GP_COUNT,
                    year=year,
                    territory__level=Level.COMMUNE,
                    **{f"territory__{k}": v for k, v in filters.items()},
                ).values_list("territory_id", "numerator")
            )
        )

    epci_id = communes.exclude(epci=None).values("epci").annotate(n=Count("pk")).order_by("-n", "epci")[0]["epci"]
    epci = Territory.objects.get(pk=epci_id)
    target = communes.filter(epci=epci).order_by("-population", "code").first()
    body = [{"action": "addition", "commune": target.code, "fte": 3}]
    result = simulate(read_changes(user=admin, changes=body))
    seconds = _timed(lambda: simulate(read_changes(user=admin, changes=body)))
    floor = floor_for(epci=epci)
    flag = "" if seconds < EPCI_TARGET_S else "  (over target)"
    print(
        f"accessibility scenario EPCI {epci.name} (+3 GPs at {target.name}): median {seconds * 1000:.0f} ms, "
        f"{len(result.rows)} communes affected, window {result.window} communes; floor (GP counts of the EPCI, "
        f"one query) {floor * 1000:.0f} ms{flag}",
        flush=True,
    )

    department_id = communes.values("department").annotate(n=Count("pk")).order_by("-n", "department")[0]["department"]
    department = Territory.objects.get(pk=department_id)
    busiest = (
        IndicatorValue.objects.filter(
            indicator__code="gp_60_plus_share",
            year=year,
            territory__department=department,
            territory__level=Level.COMMUNE,
            numerator__gt=0,
        )
        .order_by("-denominator", "territory__code")
        .values_list("territory__code", flat=True)[:50]
    )
    body = [{"action": "retirement", "commune": code} for code in busiest]
    result = simulate(read_changes(user=admin, changes=body))
    seconds = _timed(lambda: simulate(read_changes(user=admin, changes=body)), runs=3)
    floor = floor_for(department=department)
    flag = "" if seconds < DEPARTMENT_TARGET_S else "  (over target)"
    print(
        f"accessibility scenario département {department.name} ({len(body)} retirements of the GPs aged 60+): "
        f"median {seconds * 1000:.0f} ms, {len(result.rows)} communes affected, window {result.window} communes; "
        f"floor (GP counts of the département, one query) {floor * 1000:.0f} ms{flag}",
        flush=True,
    )


def bench_accessibility() -> None:
    bench_france()
    bench_scenarios()


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    bench_accessibility()
