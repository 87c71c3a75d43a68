"""Database invariants and querysets of prevention: constraints, in_territory, current, nearest_first."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from prevention.enums import Axis, CollectivityRole, Lever, SourceDocument
from prevention.models import AccessPoint, Initiative, PreventionAction
from tests.factories import CommuneFactory

from .conftest import TODAY
from .factories import AccessPointFactory, PreventionActionFactory

pytestmark = pytest.mark.django_db


def _integrity_error(factory, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)


def test_constraints_reject_bad_rows():
    commune = CommuneFactory()
    _integrity_error(PreventionActionFactory, commune=commune, start_date=date(2026, 5, 2), end_date=date(2026, 5, 1))
    _integrity_error(PreventionActionFactory, commune=None, territory=None)
    _integrity_error(PreventionActionFactory, commune=commune, theme="astrologie")
    _integrity_error(AccessPointFactory, commune=commune, latitude=91.0, longitude=2.0)
    _integrity_error(AccessPointFactory, commune=commune, latitude=45.0, longitude=None)
    _integrity_error(AccessPointFactory, commune=commune, kind="mairie")
    # A one-day action (end = start) and an open-ended one are fine.
    PreventionActionFactory(commune=commune, start_date=date(2026, 5, 2), end_date=date(2026, 5, 2))
    PreventionActionFactory(commune=commune, end_date=None)


def test_clean_explains_in_french():
    commune = CommuneFactory()
    action = PreventionAction(
        title="x",
        theme="vaccination",
        commune=commune,
        start_date=date(2026, 5, 2),
        end_date=date(2026, 5, 1),
        publics=["martiens"],
    )
    with pytest.raises(ValidationError) as error:
        action.full_clean()
    assert "La date de fin précède la date de début." in error.value.message_dict["end_date"]
    assert "martiens" in error.value.message_dict["publics"][0]
    initiative = Initiative(
        slug="x",
        title="x",
        summary="x",
        place_label="x",
        axis=Axis.A,
        lever=Lever.C3,
        role=CollectivityRole.PILOT,
        source_document=SourceDocument.VILLES_SANTE,
        source_lines="L1",
    )
    with pytest.raises(ValidationError) as error:
        initiative.full_clean()
    assert "n'appartient pas à l'axe A" in error.value.message_dict["lever"][0]


def test_in_territory_follows_the_hierarchy(world):
    w = world

    def points(t):
        return set(AccessPoint.objects.in_territory(t).values_list("name", flat=True))

    def actions(t):
        return set(PreventionAction.objects.in_territory(t).values_list("title", flat=True))

    assert points(w.a) == {w.cpam.name}
    assert points(w.e1) == {w.cpam.name, w.fs.name}
    assert points(w.d1) == {w.cpam.name, w.fs.name}
    assert points(w.region) == {w.cpam.name, w.fs.name, w.ccas.name}
    assert points(w.b) == set() and points(w.region2) == set()
    # The EPCI-wide campaign concerns the EPCI, its communes, its département and région; not the neighbour EPCI.
    assert actions(w.a) == {w.vaccination.title, w.screening.title}
    assert actions(w.a2) == {w.finished.title, w.screening.title}
    assert actions(w.e1) == {w.vaccination.title, w.screening.title, w.finished.title}
    assert w.screening.title in actions(w.d1) and w.screening.title in actions(w.region)
    assert actions(w.b) == set() and actions(w.e2) == set() and actions(w.d3) == set()
    assert actions(w.d2) == {w.savoie_action.title}


def test_current_keeps_ongoing_and_planned_actions(world):
    w = world
    current = set(PreventionAction.objects.in_territory(w.e1).current(on=TODAY).values_list("title", flat=True))
    assert current == {w.vaccination.title, w.screening.title}  # the finished one is left out
    after = set(PreventionAction.objects.current(on=date(2027, 4, 1)).values_list("title", flat=True))
    assert after == {w.screening.title, w.savoie_action.title}  # open-ended: still current
    w.savoie_action.status = "done"
    w.savoie_action.save()
    assert not PreventionAction.objects.filter(pk=w.savoie_action.pk).current(on=TODAY).exists()


def test_nearest_first_puts_the_departement_then_the_region_first(world):
    w = world
    common = {
        "summary": "x",
        "axis": Axis.C,
        "lever": Lever.C1,
        "role": CollectivityRole.PILOT,
        "source_document": SourceDocument.VILLES_SANTE,
        "source_lines": "L1-2",
    }
    far = Initiative.objects.create(
        slug="far",
        title="Loin",
        place_label="Brest",
        position=1,
        commune=w.f,
        department=w.d3,
        region=w.region2,
        **common,
    )
    region = Initiative.objects.create(
        slug="region",
        title="Région",
        place_label="Savoie",
        position=2,
        commune=w.c,
        department=w.d2,
        region=w.region,
        **common,
    )
    near = Initiative.objects.create(
        slug="near", title="Isère", place_label="Isère", position=3, department=w.d1, region=w.region, **common
    )
    assert list(Initiative.objects.nearest_first(w.a)) == [near, region, far]
    assert list(Initiative.objects.nearest_first(w.d2)) == [region, near, far]
    assert list(Initiative.objects.nearest_first(w.region2)) == [far, region, near]
    assert list(Initiative.objects.nearest_first(None)) == [far, region, near]
