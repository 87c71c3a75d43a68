"""docker-compose.yml, the Dockerfile and .env.example stay in step with config/settings.py.

No Docker engine on the development and CI machines: the files are parsed, not run.
"""

import re
import tomllib
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
APP_SERVICES = ("web", "worker", "beat")
# Values a deployment's .env would give; what compose would substitute for ${NAME...}.
DEPLOYMENT_ENV = {
    "DJANGO_SECRET_KEY": "x" * 60,
    "DJANGO_ALLOWED_HOSTS": "portail-elus-sante.example.fr",
    "POSTGRES_PASSWORD": "mot-de-passe-base",
}


def settings_variables() -> set[str]:
    """Every variable config/settings.py reads through django-environ (``env.str("NAME", …)`` and the like)."""
    source = (BASE_DIR / "config" / "settings.py").read_text()
    names = set(re.findall(r"\benv\.\w+\(\s*\"([A-Z][A-Z0-9_]*)\"", source))
    assert {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "PRIVATE_MEDIA_ROOT"} <= names  # the parser works
    return names


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's variable substitution: $$, ${NAME}, ${NAME:-default}, ${NAME:?error}."""

    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.group("name"), match.group("op"), match.group("arg")
        if env.get(name):
            return env[name]
        if operator == ":?":
            raise KeyError(f"{name}: {argument}")
        return argument if operator == ":-" else ""

    return re.sub(r"\$\$|\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}", substitute, text)


def compose_interpolated_names() -> set[str]:
    return set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", (BASE_DIR / "docker-compose.yml").read_text()))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(interpolate((BASE_DIR / "docker-compose.yml").read_text(), DEPLOYMENT_ENV))


def env_example_names() -> set[str]:
    text = (BASE_DIR / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_compose_has_the_deployment_services(compose):
    assert {"web", "worker", "beat", "db", "redis"} <= set(compose["services"])
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in APP_SERVICES:
        assert services[name]["build"] == "."
    assert "gunicorn config.wsgi" in services["web"]["command"]
    assert "0.0.0.0:8000" in services["web"]["command"]
    assert "celery -A config worker" in services["worker"]["command"]
    assert "--max-tasks-per-child=20" in services["worker"]["command"]
    assert "celery -A config beat" in services["beat"]["command"]
    assert "django_celery_beat.schedulers:DatabaseScheduler" in services["beat"]["command"]
    for name in ("web", "worker", "db", "redis"):
        assert services[name]["healthcheck"]["test"], name


def test_compose_refuses_to_start_without_the_secrets():
    text = (BASE_DIR / "docker-compose.yml").read_text()
    for name in DEPLOYMENT_ENV:
        with pytest.raises(KeyError, match=name):
            interpolate(text, {k: v for k, v in DEPLOYMENT_ENV.items() if k != name})


def test_app_services_only_set_variables_that_settings_read(compose):
    known = settings_variables()
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        assert isinstance(environment, dict)
        assert set(environment) <= known, f"{name}: {set(environment) - known} are not read by config/settings.py"
        assert environment["DJANGO_ENV"] == "production"


def test_database_and_redis_urls_point_at_the_compose_services(compose):
    services = compose["services"]
    db_env = services["db"]["environment"]
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        database = urlsplit(environment["DATABASE_URL"])
        assert database.scheme in ("postgres", "postgresql")
        assert (database.hostname, database.port) == ("db", 5432)
        assert database.username == db_env["POSTGRES_USER"]
        assert database.password == db_env["POSTGRES_PASSWORD"] == DEPLOYMENT_ENV["POSTGRES_PASSWORD"]
        assert database.path == f"/{db_env['POSTGRES_DB']}"
        redis = urlsplit(environment["REDIS_URL"])
        assert (redis.scheme, redis.hostname, redis.port) == ("redis", "redis", 6379)
    # web migrates once db and redis answer; worker and beat wait for web.
    assert services["web"]["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    for name in ("worker", "beat"):
        assert services[name]["depends_on"] == {"web": {"condition": "service_healthy"}}


def test_web_and_worker_share_the_volume_of_generated_files(compose):
    def volume_holding(service: dict, path: str) -> str:
        for volume in service["volumes"]:
            source, target = volume.split(":")[:2]
            if PurePosixPath(path).is_relative_to(target):
                return source
        raise AssertionError(f"{path} is not on a volume")

    web, worker = compose["services"]["web"], compose["services"]["worker"]
    private_media_root = web["environment"]["PRIVATE_MEDIA_ROOT"]
    assert worker["environment"]["PRIVATE_MEDIA_ROOT"] == private_media_root
    volume = volume_holding(web, private_media_root)
    assert volume_holding(worker, private_media_root) == volume
    assert volume in compose["volumes"]  # a named volume, not a folder of one container


def test_env_example_documents_every_variable():
    documented = env_example_names()
    assert settings_variables() <= documented, settings_variables() - documented
    assert compose_interpolated_names() <= documented, compose_interpolated_names() - documented


def test_dockerfile_builds_from_the_lock_with_weasyprint_libraries():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    python = re.search(r"^FROM python:(\d+)\.(\d+)", dockerfile, flags=re.MULTILINE)
    requires = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]["requires-python"]
    low, high = (tuple(map(int, v.split("."))) for v in re.findall(r"[\d.]+", requires))
    assert low <= (int(python.group(1)), int(python.group(2))) < high
    assert "pip install -r requirements.lock" in dockerfile
    assert "libpango-1.0-0" in dockerfile and "libpangoft2-1.0-0" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    env_names = set(re.findall(r"^\s+([A-Z][A-Z0-9_]*)=", dockerfile, flags=re.MULTILINE))
    env_names -= {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK"}
    assert env_names - {"DJANGO_SETTINGS_MODULE"} <= settings_variables()
    assert ".env" in (BASE_DIR / ".dockerignore").read_text().split()  # no local secrets in the image
