"""Benchmark of the territorial dashboard (the territory page), part of ``make bench`` (``tests/bench.py``).

Server time of the page through Django's test ``Client`` (no network, no browser), logged in as an
administrator; the structures / aids / prevention panels are cached per data version (``portal.territory.panels``), so
the first request's time (panels computed) is printed too, on the database in ``DATABASE_URL`` (target: PostgreSQL with all of France and the demo
indicators loaded). Three territories: a small commune (population nearest 100), the largest EPCI by
number of communes, the largest région by number of communes. Median of ``runs`` requests after
``warmup`` requests. Targets: median < 150 ms each, largest / smallest median < 2.

Run alone: ``.venv/bin/python -m tests.bench_dashboard``.
"""

from __future__ import annotations

import os
import statistics
import time

TARGET_MS = 150
TARGET_RATIO = 2
BENCH_EMAIL = "bench-dashboard@portail.invalid"


def _targets():
    from django.db.models import Count, F, Func, IntegerField

    from territories.enums import Level
    from territories.models import IndicatorValue, Territory

    communes = Territory.objects.filter(level=Level.COMMUNE)
    small = (
        communes.filter(population__gt=0)
        .annotate(gap=Func(F("population") - 100, function="ABS", output_field=IntegerField()))
        .order_by("gap", "code")
        .first()
    )
    epci_id = (
        communes.exclude(epci=None).values("epci").annotate(n=Count("pk")).order_by("-n", "epci").first() or {}
    ).get("epci")
    region_id = (communes.values("region").annotate(n=Count("pk")).order_by("-n", "region").first() or {}).get("region")
    if not (small and epci_id and region_id) or not IndicatorValue.objects.filter(territory=small).exists():
        return None
    epci = Territory.objects.get(pk=epci_id)
    region = Territory.objects.get(pk=region_id)
    n_epci = communes.filter(epci=epci).count()
    n_region = communes.filter(region=region).count()
    return [
        (f"small commune {small.name} ({small.code}, {small.population} inhabitants)", small),
        (f"largest EPCI by communes {epci.name} ({epci.code}, {n_epci} communes)", epci),
        (f"largest région by communes {region.name} ({region.code}, {n_region} communes)", region),
    ]


def bench_dashboard(*, runs: int = 20, warmup: int = 3) -> dict[str, float] | None:
    """Print one line per territory and the largest/smallest ratio; return the medians (None: no data)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from portal.accounts.enums import Role
    from portal.accounts.models import User
    from portal.territory.panels import bump_generation

    try:
        setup_test_environment()  # lets the test Client use the « testserver » host
    except RuntimeError:
        pass  # already set up (run from the test suite)
    targets = _targets()
    if targets is None:
        print(
            "dashboard: skipped, no territories with indicator values in this database (load_reference + generate_demo_data)"
        )
        return None
    admin, created = User.objects.get_or_create(
        email=BENCH_EMAIL, defaults={"role": Role.ADMIN, "is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(admin)
    medians = {}
    try:
        for label, territory in targets:
            url = reverse("portal:territory", args=[territory.level, territory.code])
            bump_generation()  # the first request computes the cached panels (portal.territory.panels)
            started = time.perf_counter()
            assert client.get(url).status_code == 200
            cold_ms = (time.perf_counter() - started) * 1000
            for _ in range(warmup):
                assert client.get(url).status_code == 200
            queries: list[str] = []

            def count(execute, sql, params, many, context, queries=queries):
                queries.append(sql)
                return execute(sql, params, many, context)

            with connection.execute_wrapper(count):
                client.get(url)
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            medians[label] = statistics.median(times)
            flag = "" if medians[label] < TARGET_MS else f"  (above the {TARGET_MS} ms target)"
            print(
                f"dashboard {label}: median {medians[label]:.0f} ms (n={runs}, queries={len(queries)}){flag}; "
                f"first request, panels not cached yet: {cold_ms:.0f} ms"
            )
    finally:
        client.logout()
        if created:
            admin.delete()
    ratio = max(medians.values()) / min(medians.values())
    flag = "" if ratio < TARGET_RATIO else f"  (above the {TARGET_RATIO} target)"
    print(f"dashboard largest/smallest median ratio: {ratio:.2f}{flag}")
    return medians


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    bench_dashboard()
