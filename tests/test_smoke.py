import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_landing_is_public_and_in_french(client):
    response = client.get(reverse("portal:landing"))
    assert response.status_code == 200
    assert "Portail élus santé" in response.content.decode()


@pytest.mark.django_db
def test_home_requires_login(client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
