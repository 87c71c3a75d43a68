"""``/api/prevention/points/`` and ``/api/prevention/initiatives/``: scoped, paginated, read-only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from prevention.enums import Axis, CollectivityRole, Lever, SourceDocument
from prevention.models import Initiative
from tests.factories import AdminFactory

from .factories import AccessPointFactory

pytestmark = pytest.mark.django_db

POINTS = "/api/prevention/points/"
INITIATIVES = "/api/prevention/initiatives/"


def names(response):
    return [row["name"] for row in response.json()["results"]]


def test_points_are_scoped_to_what_the_user_may_see(client, world):
    w = world
    assert client.get(POINTS).status_code == 403  # login required
    client.force_login(w.elu_e1)
    assert sorted(names(client.get(POINTS))) == sorted([w.cpam.name, w.fs.name])  # default: the élu's EPCI
    response = client.get(POINTS, {"territoire": f"commune:{w.a.code}"})
    assert names(response) == [w.cpam.name]
    row = response.json()["results"][0]
    assert row["is_demo"] is True and row["kind_label"] == "accueil CPAM" and row["commune"]["code"] == w.a.code
    assert client.get(POINTS, {"territoire": f"commune:{w.c.code}"}).status_code == 404
    client.force_login(w.referent_d2)
    assert client.get(POINTS, {"territoire": f"department:{w.d1.code}"}).status_code == 404
    assert names(client.get(POINTS)) == [w.ccas.name]
    response = client.get(POINTS, {"kind": "mairie"})
    assert response.status_code == 400 and "Type de point d'accès inconnu" in response.content.decode()
    assert client.post(POINTS, {}).status_code == 405


def test_points_are_paginated_with_constant_queries(client, world):
    w = world
    AccessPointFactory.create_batch(30, commune=w.a2)
    client.force_login(AdminFactory())
    with CaptureQueriesContext(connection) as small:
        client.get(POINTS, {"territoire": f"commune:{w.a.code}"})
    with CaptureQueriesContext(connection) as large:
        response = client.get(POINTS, {"territoire": f"epci:{w.e1.code}", "limit": 10})
    assert len(small) == len(large)
    data = response.json()
    assert data["count"] == 32 and len(data["results"]) == 10 and data["next"]


def test_initiatives_filter_and_put_the_departement_first(client, world):
    w = world
    common = {"summary": "x", "place_label": "x", "source_document": SourceDocument.VILLES_SANTE, "source_lines": "L1"}
    Initiative.objects.create(
        slug="b",
        title="Bretagne",
        axis=Axis.C,
        lever=Lever.C3,
        role=CollectivityRole.FUNDER,
        department=w.d3,
        position=1,
        **common,
    )
    Initiative.objects.create(
        slug="i",
        title="Isère",
        axis=Axis.D,
        lever=Lever.D3,
        role=CollectivityRole.PILOT,
        department=w.d1,
        position=2,
        **common,
    )
    client.force_login(w.elu_a)
    titles = [r["title"] for r in client.get(INITIATIVES).json()["results"]]
    assert titles == ["Bretagne", "Isère"]  # no territory: catalogue order
    titles = [r["title"] for r in client.get(INITIATIVES, {"territoire": f"commune:{w.a.code}"}).json()["results"]]
    assert titles == ["Isère", "Bretagne"]
    rows = client.get(INITIATIVES, {"role": "pilote"}).json()["results"]
    assert [r["title"] for r in rows] == ["Isère"] and rows[0]["source"].endswith(", L1")
    assert client.get(INITIATIVES, {"axis": "E"}).status_code == 400
    assert client.get(INITIATIVES, {"territoire": f"commune:{w.c.code}"}).status_code == 404
