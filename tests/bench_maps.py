"""Benchmarks of the indicator maps (choropleth), part of ``make bench`` (``tests/bench.py``).

Through Django's test ``Client`` (no browser, no network), logged in as an administrator, default indicator
and latest year, on the database of ``DATABASE_URL`` (all of France with the demonstration indicators):

- ``map_region``: the région with the most communes. Weight = the map page + its geometry (``contours.geojson``,
  fetched once by the browser), uncompressed. Time = page + geometry with both caches emptied (cold: the
  geometry is built once per data version), and the page of another indicator with the geometry cached
  (what an élu changing indicator waits for). Targets: < 1.5 MB and < 1 s. Floor: the login page in the
  same run.
- ``map_department``: the same for the département with the most communes (target < 1.5 MB, < 2 s).
- ``map_memory``: a fresh process standing for a web worker renders the map of every région (page and
  geometry); its resident memory (VmRSS) before and after, and after the login page only (the floor).
  Target: a worker under 250 MB.

Run alone: ``.venv/bin/python -m tests.bench_maps [region|department|memory]``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_MB = 1.5
TARGET_REGION_S = 1.0
TARGET_DEPARTMENT_S = 2.0
TARGET_RSS_MB = 250
BENCH_EMAIL = "bench-maps@portail.invalid"
ROOT = Path(__file__).resolve().parent.parent


def _client():
    from django.test import Client

    from portal.accounts.enums import Role
    from portal.accounts.models import User

    admin, _ = User.objects.get_or_create(
        email=BENCH_EMAIL, defaults={"role": Role.ADMIN, "is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(admin)
    return client, admin


def _largest(level: str):
    from django.db.models import Count

    from territories.enums import Level
    from territories.models import IndicatorValue, Territory

    largest = (
        Territory.objects.filter(level=Level.COMMUNE)
        .values(level)
        .annotate(n=Count("pk"))
        .order_by("-n", level)
        .first()
    )
    territory = Territory.objects.get(pk=largest[level]) if largest else None
    if territory is None or not IndicatorValue.objects.filter(territory=territory).exists():
        return None, 0
    return territory, largest["n"]


def _timed(client, url: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(response.content)


def _bench_map(level: str, label: str, target_s: float, *, runs: int = 3) -> dict[str, float] | None:
    from django.core.cache import cache
    from django.urls import reverse

    from portal.maps import choropleth
    from portal.maps import geometry as map_geometry
    from portal.maps import territory_map as maps

    territory, count = _largest(level)
    if territory is None:
        print(f"map {label}: skipped, no {label} with indicator values (load_reference + generate_demo_data)")
        return None
    client, admin = _client()
    page_url = reverse("portal:choropleth", args=[territory.level, territory.code])
    version = maps.data_version()
    geometry_url = choropleth.geometry_url(territory, version=version)
    spec = choropleth.resolve(territory=territory, user=admin)
    other = next(
        (code for code, _ in choropleth.map_choices(territory).indicators if code != spec.indicator.code),
        spec.indicator.code,
    )
    other_spec = choropleth.resolve(territory=territory, user=admin, indicator_code=other)
    keys = [choropleth.cache_key(s, version=version) for s in (spec, other_spec)]
    geometry_key = map_geometry.cache_key(territory, version=version)
    login = reverse("accounts:login")

    def cold() -> tuple[float, int, int]:
        cache.delete_many([*keys, geometry_key])
        page_s, page_bytes = _timed(client, page_url)
        geometry_s, geometry_bytes = _timed(client, geometry_url)
        return page_s + geometry_s, page_bytes, geometry_bytes

    def warm() -> float:
        cache.delete_many(keys)  # the geometry stays cached: another indicator on the same territory
        return _timed(client, f"{page_url}?indicateur={other}")[0]

    cold()  # warm-up: imports
    colds = [cold() for _ in range(runs)]
    warms = [warm() for _ in range(runs)]
    floor = statistics.median(_timed(client, login)[0] for _ in range(runs * 3))
    cold_s = statistics.median(c[0] for c in colds)
    warm_s = statistics.median(warms)
    _, page_bytes, geometry_bytes = colds[-1]
    megabytes = (page_bytes + geometry_bytes) / 1_000_000
    flag = "" if megabytes < TARGET_MB and cold_s < target_s else "  (over target)"
    print(
        f"map {label} {territory.code} ({count} communes, {spec.indicator.code} {spec.year}): "
        f"{megabytes:.2f} MB (page {page_bytes / 1e6:.2f} + geometry {geometry_bytes / 1e6:.2f}), "
        f"cold {cold_s:.2f} s, other indicator {warm_s:.2f} s; floor (login page) {floor * 1000:.0f} ms"
        f"; targets < {TARGET_MB} MB, < {target_s} s{flag}",
        flush=True,
    )
    return {"megabytes": megabytes, "cold_s": cold_s, "warm_s": warm_s, "floor_s": floor}


def bench_map_region() -> dict[str, float] | None:
    return _bench_map("region", "région", TARGET_REGION_S)


def bench_map_department() -> dict[str, float] | None:
    return _bench_map("department", "département", TARGET_DEPARTMENT_S)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _memory_child() -> None:
    """In a fresh process: RSS after the login page (floor), then after the map of every région."""
    from django.core.cache import cache
    from django.urls import reverse

    from portal.maps import choropleth
    from portal.maps import territory_map as maps
    from territories.enums import Level
    from territories.models import IndicatorValue, Territory

    client, _ = _client()
    _timed(client, reverse("accounts:login"))
    floor = _rss_mb()
    version = maps.data_version()
    regions = list(
        Territory.objects.filter(level=Level.REGION, has_geometry=True)
        .filter(pk__in=IndicatorValue.objects.values("territory"))
        .order_by("code")
    )
    cache.clear()
    peak = floor
    for region in regions:
        _timed(client, reverse("portal:choropleth", args=[region.level, region.code]))
        _timed(client, choropleth.geometry_url(region, version=version))
        peak = max(peak, _rss_mb())
    print(f"{floor:.0f} {_rss_mb():.0f} {peak:.0f} {len(regions)}")


def bench_map_memory() -> dict[str, float] | None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.bench_maps", "memory-child"],
        cwd=ROOT,
        env=os.environ | {"DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings")},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if result.returncode:
        print(f"map memory: failed\n{result.stderr[-2000:]}")
        return None
    floor, after, peak, count = (float(x) for x in result.stdout.split()[-4:])
    flag = "" if peak < TARGET_RSS_MB else "  (over target)"
    print(
        f"map memory (a fresh web process, locmem cache): {floor:.0f} MB after the login page (floor), "
        f"{after:.0f} MB after the maps of {count:.0f} régions (peak {peak:.0f} MB); target < {TARGET_RSS_MB} MB{flag}",
        flush=True,
    )
    return {"floor_mb": floor, "after_mb": after, "peak_mb": peak}


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    choice = sys.argv[1] if len(sys.argv) > 1 else "all"
    if choice == "memory-child":
        _memory_child()
    else:
        for name, bench in (
            ("region", bench_map_region),
            ("department", bench_map_department),
            ("memory", bench_map_memory),
        ):
            if choice in ("all", name):
                bench()
