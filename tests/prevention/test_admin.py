"""The admin lists, edits and keeps the history of the three prevention models."""

import pytest
from django.urls import reverse

from prevention.services.initiatives import load_initiatives
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


def test_admin_pages_and_history(client, world):
    w = world
    load_initiatives()
    client.force_login(AdminFactory())
    for model in ("accesspoint", "preventionaction", "initiative"):
        assert client.get(reverse(f"admin:prevention_{model}_changelist")).status_code == 200, model
    change = reverse("admin:prevention_accesspoint_change", args=[w.fs.pk])
    assert client.get(change).status_code == 200
    data = {
        "kind": "france_services",
        "name": "France Services du Trièves (Mens)",
        "address": w.fs.address,
        "commune": w.a2.pk,
        "latitude": "",
        "longitude": "",
        "opening_hours": "Mardi 9 h - 12 h",
        "services": ["css", "demarches"],
    }
    response = client.post(change, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    w.fs.refresh_from_db()
    assert w.fs.name == "France Services du Trièves (Mens)" and w.fs.history.count() == 2
    history = client.get(reverse("admin:prevention_accesspoint_history", args=[w.fs.pk]))
    assert history.status_code == 200 and "Mardi 9 h - 12 h" in history.content.decode()
    data["latitude"] = "45.1"  # a latitude without a longitude is refused, in French
    response = client.post(change, data)
    assert response.status_code == 200 and "Renseignez la latitude et la longitude" in response.content.decode()
