"""Benchmark of the indicator map (choropleth) of a whole département, part of ``make bench`` (``tests/bench.py``).

The département with the most communes loaded, at commune level, default indicator and latest year:
HTML size and server time of the map page through Django's test ``Client`` (no browser), logged in as an
administrator, median of ``runs`` requests with that map's cache entry deleted before each (so each one
renders), after one warm-up (imports of folium and mapclassify). Targets: < 1.5 MB and < 2 s.

Run alone: ``.venv/bin/python -m tests.bench_maps`` on the database in ``DATABASE_URL`` (all of France with
the demonstration indicators).
"""

from __future__ import annotations

import os
import statistics
import time

TARGET_MB = 1.5
TARGET_S = 2.0
BENCH_EMAIL = "bench-maps@portail.invalid"


def bench_map_department(*, runs: int = 5) -> dict[str, float] | None:
    from django.core.cache import cache
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from portal.accounts.enums import Role
    from portal.accounts.models import User
    from portal.maps import choropleth
    from portal.maps import territory_map as maps
    from territories.enums import Level
    from territories.models import IndicatorValue, Territory

    largest = (
        Territory.objects.filter(level=Level.COMMUNE)
        .values("department")
        .annotate(n=Count("pk"))
        .order_by("-n", "department")
        .first()
    )
    department = Territory.objects.get(pk=largest["department"]) if largest else None
    if department is None or not IndicatorValue.objects.filter(territory=department).exists():
        print("map department: skipped, no département with indicator values (load_reference + generate_demo_data)")
        return None
    admin, _ = User.objects.get_or_create(
        email=BENCH_EMAIL, defaults={"role": Role.ADMIN, "is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(admin)
    url = reverse("portal:choropleth", args=[department.level, department.code])
    spec = choropleth.resolve(territory=department, user=admin)
    key = choropleth.cache_key(spec, version=maps.data_version())

    def render() -> tuple[float, int]:
        cache.delete(key)
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        return elapsed, len(response.content)

    render()  # warm-up: imports
    timings, size = [], 0
    for _ in range(runs):
        elapsed, size = render()
        timings.append(elapsed)
    median = statistics.median(timings)
    megabytes = size / 1_000_000
    flag = "" if megabytes < TARGET_MB and median < TARGET_S else "  (over target)"
    print(
        f"map department {department.code} communes: {megabytes:.2f} MB, median {median:.2f} s "
        f"({largest['n']} communes, {spec.indicator.code} {spec.year}){flag}",
        flush=True,
    )
    return {"megabytes": megabytes, "median_s": median}


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    bench_map_department()
