"""Settings are read once at start-up, so each case runs in a fresh process with a controlled environment."""

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)

PRINT_SETTINGS = """
import json
import django
from django.conf import settings as s

django.setup()
print(json.dumps({
    "DEBUG": s.DEBUG,
    "ENGINE": s.DATABASES["default"]["ENGINE"],
    "DB_NAME": str(s.DATABASES["default"]["NAME"]),
    "DB_HOST": s.DATABASES["default"].get("HOST", ""),
    "CELERY_BROKER_URL": s.CELERY_BROKER_URL,
    "CELERY_TASK_ALWAYS_EAGER": s.CELERY_TASK_ALWAYS_EAGER,
    "EMAIL_BACKEND": s.EMAIL_BACKEND,
    "CACHE_BACKEND": s.CACHES["default"]["BACKEND"],
    "SECURE_SSL_REDIRECT": s.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
}))
"""


def _clean_env(**variables: str) -> dict[str, str]:
    """Only what a process needs to run, plus the given variables: no DATABASE_URL or REDIS_URL leaks in."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "SYSTEMROOT") if name in os.environ}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_READ_DOT_ENV_FILE="false", **variables)
    return env


def _run(args: list[str], **variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=_clean_env(**variables), capture_output=True, text=True, timeout=120
    )


def _settings(**variables: str) -> dict:
    result = _run(["-c", PRINT_SETTINGS], **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "portail-elus-sante.example.fr",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://portail-elus-sante.example.fr",
        "DATABASE_URL": "postgres://portail:secret@db:5432/portail",
        "REDIS_URL": "redis://redis:6379/0",
        "PORTAL_VAR_DIR": str(tmp_path / "var"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
    }


def test_no_variable_gives_the_embedded_default():
    s = _settings()

    assert s["ENGINE"] == "django.db.backends.sqlite3"
    assert s["DB_NAME"] == str(BASE_DIR / "var" / "db.sqlite3")
    assert s["CELERY_TASK_ALWAYS_EAGER"] is True
    assert s["CELERY_BROKER_URL"] == "memory://"
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert s["CACHE_BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert s["DEBUG"] is False  # only `make run` turns it on


def test_database_and_redis_urls_switch_to_the_services():
    s = _settings(DATABASE_URL="postgres://portail:secret@db.example:5433/portail", REDIS_URL="redis://cache:6379/2")

    assert s["ENGINE"] == "django.db.backends.postgresql"
    assert (s["DB_HOST"], s["DB_NAME"]) == ("db.example", "portail")
    assert s["CELERY_BROKER_URL"] == "redis://cache:6379/2"
    assert s["CELERY_TASK_ALWAYS_EAGER"] is False
    assert s["CACHE_BACKEND"] == "django.core.cache.backends.redis.RedisCache"


@pytest.mark.parametrize("secret_key", [None, "too-short"])
def test_production_refuses_to_start_without_a_secret_key(tmp_path, secret_key):
    env = _production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"]
    if secret_key:
        env["DJANGO_SECRET_KEY"] = secret_key

    result = _run(["manage.py", "check"], **env)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY (50 characters or more) is required in production." in result.stderr


def test_production_refuses_debug(tmp_path):
    result = _run(["manage.py", "check"], **_production_env(tmp_path), DJANGO_DEBUG="true")

    assert result.returncode != 0
    assert "DJANGO_DEBUG must be off in production." in result.stderr


def test_production_passes_the_deployment_checklist_without_warning(tmp_path):
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **_production_env(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (1 silenced)." in result.stdout  # security.W019, see settings
    s = _settings(**_production_env(tmp_path))
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert s["SECURE_SSL_REDIRECT"] is True and s["SESSION_COOKIE_SECURE"] is True


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_debug_is_turned_on_by_make_run_only():
    def commands(target: str) -> str:
        # -n prints the recipes without running them.
        result = subprocess.run(
            ["make", "-n", target], cwd=BASE_DIR, capture_output=True, text=True, timeout=60, check=True
        )
        return result.stdout

    assert "DJANGO_DEBUG=true" in commands("run")
    for target in ("test", "lint", "worker", "install"):
        assert "DJANGO_DEBUG" not in commands(target)


def test_env_example_as_is_keeps_the_embedded_default():
    """Copying .env.example to .env must not change anything until a line is uncommented."""
    lines = (BASE_DIR / ".env.example").read_text().splitlines()
    active = dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))
    assert active  # the file has active lines, which this test applies

    s = _settings(**active)

    assert s["ENGINE"] == "django.db.backends.sqlite3"
    assert s["CELERY_TASK_ALWAYS_EAGER"] is True
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert s["DEBUG"] is False
