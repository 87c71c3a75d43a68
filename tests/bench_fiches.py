"""Benchmarks of the fiche territoire (PDF), part of ``make bench`` (``tests/bench.py``).

- :func:`bench_fiche_largest_epci`: render time of one fiche (context + HTML + WeasyPrint) for the EPCI with
  the most communes, median of ``runs`` renders after one warm-up (fonts, imports). Target: < 3 s.
- :func:`bench_fiche_batch_throughput`: fiches per minute for all EPCI of one département, through Redis and
  ``celery worker --concurrency=1`` then ``2`` subprocesses. Needs ``REDIS_URL`` and a PostgreSQL
  ``DATABASE_URL`` (the workers and this process share the database); prints why it is skipped otherwise.

Both run on the database in ``DATABASE_URL`` (target: all of France with the demonstration indicators) and
write their PDF under a temporary PRIVATE_MEDIA_ROOT. Run alone: ``.venv/bin/python -m tests.bench_fiches``.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 3.0
BENCH_EMAIL = "bench-fiches@portail.invalid"
BASE_DIR = Path(__file__).resolve().parent.parent


def _admin():
    from portal.accounts.enums import Role
    from portal.accounts.models import User

    user, _ = User.objects.get_or_create(
        email=BENCH_EMAIL, defaults={"role": Role.ADMIN, "is_staff": True, "is_superuser": True}
    )
    return user


def _largest_epci():
    from django.db.models import Count

    from territories.enums import Level
    from territories.models import IndicatorValue, Territory

    row = (
        Territory.objects.filter(level=Level.COMMUNE)
        .exclude(epci=None)
        .values("epci")
        .annotate(n=Count("pk"))
        .order_by("-n", "epci")
        .first()
    )
    if not row:
        return None, 0
    epci = Territory.objects.get(pk=row["epci"])
    if not IndicatorValue.objects.filter(territory=epci).exists():
        return None, 0
    return epci, row["n"]


def bench_fiche_largest_epci(*, runs: int = 3) -> float | None:
    """Median render time (s) of the fiche of the EPCI with the most communes; None without data."""
    from django.conf import settings

    from portal.documents.fiche import build_fiche_context
    from portal.documents.models import GeneratedDocument
    from portal.documents.rendering import html_to_pdf, render_fiche_html

    epci, n = _largest_epci()
    if epci is None:
        print("fiche, largest EPCI: no EPCI with indicator values in this database (load France + demo data)")
        return None
    settings.PRIVATE_MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="bench-fiches-"))
    document = GeneratedDocument(kind="fiche_pdf", territory=epci, requested_by=_admin(), cache_key="bench")
    times, pages = [], 0
    for i in range(runs + 1):
        started = time.perf_counter()
        html = render_fiche_html(build_fiche_context(document))
        pages = html_to_pdf(html, settings.PRIVATE_MEDIA_ROOT / f"bench-{i}.pdf")
        if i:  # the first render warms imports and fonts up
            times.append(time.perf_counter() - started)
    median = statistics.median(times)
    verdict = "OK" if median < TARGET_SECONDS else "ABOVE TARGET"
    print(
        f"fiche, largest EPCI {epci.name} ({epci.code}, {n} communes, {pages} pages): median {median:.2f} s "
        f"over {runs} renders (min {min(times):.2f}, max {max(times):.2f}); target < {TARGET_SECONDS:g} s: {verdict}"
    )
    return median


def _department_with_most_epci():
    from django.db.models import Count

    from territories.enums import Level
    from territories.models import Territory

    row = (
        Territory.objects.filter(level=Level.COMMUNE)
        .exclude(epci=None)
        .values("department")
        .annotate(n=Count("epci", distinct=True))
        .order_by("-n", "department")
        .first()
    )
    return Territory.objects.get(pk=row["department"]) if row else None


def bench_fiche_batch_throughput(*, department_code: str | None = None, concurrencies=(1, 2)) -> dict | None:
    """Fiches per minute for all EPCI of one département with 1 and 2 worker processes (needs the services)."""
    from django.conf import settings
    from django.db import connection

    if not settings.REDIS_URL or connection.vendor != "postgresql":
        print("fiche batch throughput: needs REDIS_URL and a PostgreSQL DATABASE_URL (workers share them); skipped")
        return None
    from config.celery import app
    from portal.documents import services
    from portal.documents.models import GeneratedDocument
    from territories.enums import Level
    from territories.models import DataSource, Territory

    department = (
        Territory.objects.get(level=Level.DEPARTMENT, code=department_code)
        if department_code
        else _department_with_most_epci()
    )
    if department is None:
        print("fiche batch throughput: no département with EPCI in this database; skipped")
        return None
    app.conf.task_always_eager = False
    user = _admin()
    results = {}
    for concurrency in concurrencies:
        # A fresh data vintage so that no ready fiche is reused between runs.
        DataSource.objects.create(name="bench fiches", version=f"run {time.time():.0f}-{concurrency}")
        media = Path(tempfile.mkdtemp(prefix="bench-fiches-"))
        settings.PRIVATE_MEDIA_ROOT = media
        env = dict(os.environ, PRIVATE_MEDIA_ROOT=str(media), CELERY_TASK_ALWAYS_EAGER="false")
        app.control.purge()
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", f"--concurrency={concurrency}", "-l", "warning"]
            + [f"--hostname=bench-fiches-{concurrency}@%h", "--without-gossip", "--without-mingle"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(3)  # let the worker connect (its start-up is not what is measured)
            started = time.perf_counter()
            batch = services.request_batch(user=user, department=department, level=Level.EPCI)
            ids = list(batch.documents.values_list("pk", flat=True))
            while True:
                progress = services.batch_progress(batch)
                if progress["finished"] or worker.poll() is not None or time.perf_counter() - started > 1800:
                    break
                time.sleep(0.5)
            elapsed = time.perf_counter() - started
        finally:
            if worker.poll() is None:
                os.kill(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.kill(worker.pid, signal.SIGKILL)
        ready = GeneratedDocument.objects.filter(pk__in=ids, status="pret").count()
        per_minute = ready / elapsed * 60 if elapsed else 0
        results[concurrency] = per_minute
        print(
            f"fiche batch, {department.name} ({department.code}), {len(ids)} EPCI, concurrency {concurrency}: "
            f"{ready} ready in {elapsed:.1f} s = {per_minute:.1f} fiches/min"
        )
    return results


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    bench_fiche_largest_epci()
    bench_fiche_batch_throughput()


if __name__ == "__main__":
    main()
