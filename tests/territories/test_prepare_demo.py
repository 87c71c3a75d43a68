"""``manage.py prepare_demo`` (what ``make run`` runs before runserver): every step once, then nothing."""

import io

import pytest
from django.core.management import call_command

from portal.accounts.models import User
from structures.models import Structure
from structures.services.demo import DEMO_SOURCE_NAME as STRUCTURES_SOURCE_NAME
from territories.enums import Level
from territories.models import DataSource, IndicatorValue, Signal, Territory
from territories.services.indicators import DEMO_SOURCE_NAME

from .indicator_tree import build_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(settings):
    settings.DEMO_MODE = True
    t = build_tree()
    # The territories of the demo accounts: Mens in the CC du Trièves (Isère).
    t["200030658"] = Territory.objects.create(
        level=Level.EPCI, code="200030658", name="CC du Trièves", department=t["38"], region=t["84"]
    )
    t["38226"] = Territory.objects.create(
        level=Level.COMMUNE,
        code="38226",
        name="Mens",
        population=1_400,
        department=t["38"],
        region=t["84"],
        epci=t["200030658"],
        area_km2=26.0,
    )
    return t


def test_prepare_demo_runs_every_step_once_then_does_nothing(tree):
    out = io.StringIO()
    call_command("prepare_demo", stdout=out)
    first = out.getvalue()
    for label in ("migrations", "référentiel géographique", "données de démonstration et signaux"):
        assert f"==> {label}" in first
    assert "simulation :" in first and "signaux d'alerte :" in first
    assert "Comptes de démonstration créés" in first
    values, signals, users = IndicatorValue.objects.count(), Signal.objects.count(), User.objects.count()
    structures = Structure.objects.count()
    assert values and signals and users >= 4

    out = io.StringIO()
    call_command("prepare_demo", stdout=out)
    second = out.getvalue()
    assert "simulation :" not in second and "rien à générer" in second and "déjà présent" in second
    assert (IndicatorValue.objects.count(), Signal.objects.count(), User.objects.count()) == (values, signals, users)
    assert DataSource.objects.filter(is_demo=True, name=DEMO_SOURCE_NAME).count() == 1
    # Demonstration care structures: generated once, left alone the second time.
    assert "Structures de démonstration déjà en base" in second
    assert DataSource.objects.filter(is_demo=True, name=STRUCTURES_SOURCE_NAME).count() == 1
    assert Structure.objects.filter(is_demo=True).count() == structures > 0
