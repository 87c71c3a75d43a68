import pytest
from django.urls import reverse

from territories.models import DataSource, Territory
from territories.services import load_reference

from .builders import mini_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(tmp_path):
    load_reference(**mini_files(tmp_path))


def test_territory_changelist_searches_like_the_portal(admin_client, loaded):
    url = reverse("admin:territories_territory_changelist")
    response = admin_client.get(url, {"q": "MARTIN heres"})
    assert response.status_code == 200
    found = {(t.level, t.code) for t in response.context["cl"].result_list}
    assert found == {("commune", "38421"), ("iris", "384210000")}
    response = admin_client.get(url, {"q": "grenoble", "level__exact": "epci"})
    assert [t.code for t in response.context["cl"].result_list] == ["200040715"]


def test_territory_and_sources_are_read_only(admin_client, loaded):
    grenoble = Territory.objects.get(level="commune", code="38185")
    response = admin_client.get(reverse("admin:territories_territory_change", args=[grenoble.pk]))
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    assert admin_client.get(reverse("admin:territories_territory_add")).status_code == 403
    response = admin_client.post(reverse("admin:territories_territory_delete", args=[grenoble.pk]), {"post": "yes"})
    assert response.status_code == 403 and Territory.objects.filter(pk=grenoble.pk).exists()
    source = DataSource.objects.first()
    assert admin_client.get(reverse("admin:territories_datasource_change", args=[source.pk])).status_code == 200
    assert admin_client.get(reverse("admin:territories_datasource_add")).status_code == 403
