"""The task queue end to end: a real Celery worker process, Redis and PostgreSQL.

The worker runs as a subprocess on the test database that pytest-django created, so the rows the
tests commit (``transactional_db``) are the rows the worker reads. Without the services these tests
skip (``make test``); ``.ci/run`` sets PORTAL_REQUIRE_SERVICES=1 so that they fail instead.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from portal.core.models import WorkerCheck
from portal.core.services import request_worker_check
from portal.core.tasks import run_worker_check

BASE_DIR = Path(settings.BASE_DIR)
WAIT_SECONDS = 60


def _test_database_url() -> str:
    """The URL of the database this test session uses (``test_<name>``), for processes started by the tests."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s["HOST"] or ""
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgres://{auth}{'@' if auth else ''}{host}{port}/{quote(s['NAME'], safe='')}"


def _process_env(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_READ_DOT_ENV_FILE="false",
        DATABASE_URL=_test_database_url(),
        REDIS_URL=settings.REDIS_URL,
        CELERY_TASK_ALWAYS_EAGER="false",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def _stop(process: subprocess.Popen) -> None:
    """Stop the worker by its own pid: warm shutdown first, kill if it hangs."""
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def running_worker(tmp_path_factory, *, name: str, **env: str):
    """A real ``celery worker --pool=solo`` on the test database and the configured Redis, stopped by its pid.

    ``env``: settings for the worker process (e.g. its PRIVATE_MEDIA_ROOT); its log is at ``process.log_path``.
    """
    from config.celery import app

    app.control.purge()  # messages left by an earlier run point at rows that no longer exist
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-l", "info"]
            + [f"--hostname={name}-{os.getpid()}@%h", "--without-gossip", "--without-mingle"],
            cwd=BASE_DIR,
            env=_process_env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    process.log_path = log_path
    try:
        yield process
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory):
    with running_worker(tmp_path_factory, name="portal-test") as process:
        yield process


def _wait_until_done(check: WorkerCheck, worker: subprocess.Popen) -> WorkerCheck:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        check.refresh_from_db()
        if check.status == WorkerCheck.Status.DONE:
            return check
        if worker.poll() is not None:
            break
        time.sleep(0.2)
    log_tail = worker.log_path.read_text(errors="replace")[-3000:]
    pytest.fail(f"the worker did not complete check {check.pk} (exit code {worker.poll()}).\n{log_tail}")


@pytest.mark.services
@pytest.mark.worker
def test_a_real_worker_completes_a_requested_check(worker, transactional_db, real_broker):
    check = request_worker_check()
    assert check.status == WorkerCheck.Status.PENDING

    check = _wait_until_done(check, worker)

    assert check.worker_pid == worker.pid  # pool=solo: the task runs in the worker's main process
    assert check.worker_hostname == f"portal-test-{os.getpid()}@{socket.gethostname()}"
    assert check.done_at >= check.requested_at


@pytest.mark.services
@pytest.mark.worker
def test_check_worker_command_reports_the_answering_worker(worker, transactional_db, real_broker, capsys):
    call_command("check_worker", "--timeout", str(WAIT_SECONDS))

    out = capsys.readouterr().out
    assert f"(processus {worker.pid}) a répondu" in out
    assert WorkerCheck.objects.get().worker_pid == worker.pid


@pytest.mark.services
def test_request_with_redis_down_stores_the_row_and_the_command_fails(transactional_db):
    """The row is the source of truth: an unreachable broker is logged, never raised to the user."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check_worker", "--timeout", "1"],
        cwd=BASE_DIR,
        env=_process_env(REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0"),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "Aucun worker n'a répondu en 1 s" in result.stderr
    assert "broker unreachable" in result.stderr  # the enqueue failure is logged...
    check = WorkerCheck.objects.get()  # ...and the request itself was stored
    assert check.status == WorkerCheck.Status.PENDING
    assert check.worker_pid is None


# Without services: Celery runs tasks in-process (embedded default), the same code path minus the queue.


@pytest.mark.django_db(transaction=True)
def test_check_worker_runs_in_process_when_celery_is_eager(capsys):
    call_command("check_worker", "--timeout", "5")

    check = WorkerCheck.objects.get()
    assert check.status == WorkerCheck.Status.DONE
    assert check.worker_pid == os.getpid()
    assert "a répondu" in capsys.readouterr().out


@pytest.mark.django_db
def test_worker_check_task_is_idempotent():
    check = WorkerCheck.objects.create()

    assert run_worker_check.apply(args=[str(check.pk)]).get() is True
    check.refresh_from_db()
    first_done_at = check.done_at

    assert run_worker_check.apply(args=[str(check.pk)]).get() is False  # a redelivered message
    check.refresh_from_db()
    assert check.status == WorkerCheck.Status.DONE
    assert check.done_at == first_done_at


@pytest.mark.django_db
def test_worker_check_task_ignores_an_unknown_check():
    assert run_worker_check.apply(args=["00000000-0000-0000-0000-000000000000"]).get() is False
