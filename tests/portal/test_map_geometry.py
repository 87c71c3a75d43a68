"""The indicator map's geometry endpoint: units, offline context layer, scale, cache, access (portal/maps/geometry.py)."""

import json

import pytest
from django.urls import reverse

from portal.maps import geometry as map_geometry
from portal.maps import territory_map as maps
from territories.enums import Level
from tests.factories import add_geometry

pytestmark = pytest.mark.django_db


def geometry_url(territory, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    path = reverse("portal:choropleth_geometry", args=[territory.level, territory.code])
    return path + (f"?{query}" if query else "")


def layers(response) -> dict[str, list[dict]]:
    by_layer = {}
    for feature in json.loads(response.content)["features"]:
        by_layer.setdefault(feature["properties"]["layer"], []).append(feature)
    return by_layer


@pytest.fixture
def around(world):
    """A and A2 (E1) west of E1's centre, B (another EPCI of D1) just east of it, C (another département) far away."""
    lon, lat = world.e1.centroid_lon, world.e1.centroid_lat
    placed = {world.a: (lon - 0.1, lat), world.a2: (lon - 0.1, lat + 0.1), world.b: (lon + 0.12, lat)}
    placed[world.c] = (lon + 6, lat + 3)
    for commune, (x, y) in placed.items():
        commune.centroid_lon, commune.centroid_lat = x, y
        commune.save()
        add_geometry(commune)
    world.b.population = 900_000
    world.b.name = "Saint-<b>Bé</b>"
    world.b.save()
    return world


def test_epci_geometry_has_units_neighbours_boundary_and_towns(client, around):
    w = around
    client.force_login(w.elu_e1)
    response = client.get(geometry_url(w.e1))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    got = layers(response)
    assert {f["id"] for f in got["unit"]} == {w.a.code, w.a2.code}
    assert {f["id"] for f in got["neighbour"]} == {w.b.code}  # near, outside the EPCI; not C (far)
    assert [f["id"] for f in got["boundary"]] == [w.d1.code]  # the département's boundary
    towns = {f["id"]: f for f in got["town"]}
    assert w.b.code in towns and towns[w.b.code]["geometry"]["type"] == "Point"
    assert towns[w.b.code]["properties"]["name"] == "Saint-&lt;b&gt;Bé&lt;/b&gt;"  # Leaflet labels are HTML
    assert w.c.code not in towns
    assert "<b>" not in response.content.decode()


def test_region_geometry_has_its_departments_as_boundaries(client, world):
    client.force_login(world.admin)
    got = layers(client.get(geometry_url(world.region)))
    assert {f["id"] for f in got["unit"]} == {world.a.code, world.a2.code, world.b.code, world.c.code}
    assert {f["id"] for f in got["boundary"]} == {world.d1.code, world.d2.code}


def test_geometry_is_cacheable_per_data_version(client, world, django_assert_num_queries):
    client.force_login(world.admin)
    version = maps.data_version()
    response = client.get(geometry_url(world.e1, v=version))
    assert "immutable" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "max-age=0" in client.get(geometry_url(world.e1, v="ancienne"))["Cache-Control"]
    # Built once per data version: later requests only read the session, the user, the territory, the version.
    with django_assert_num_queries(4):
        assert client.get(geometry_url(world.e1, v=version)).content == response.content


def test_geometry_queries_do_not_grow_with_the_units(client, world, django_assert_num_queries):
    from tests.factories import build_hierarchy

    big = build_hierarchy(department=world.d1, communes=25)
    client.force_login(world.admin)
    with django_assert_num_queries(
        9
    ):  # session, user, territory, version; contour, units, neighbours, boundaries, towns
        client.get(geometry_url(world.e1))
    with django_assert_num_queries(9):
        client.get(geometry_url(big.epci))


def test_geometry_access_follows_territory_visibility(client, world):
    client.force_login(world.elu_a)
    assert client.get(geometry_url(world.e1)).status_code == 200  # above the élu's commune
    assert client.get(geometry_url(world.e2)).status_code == 404
    assert client.get(geometry_url(world.iris_a)).status_code == 404  # no indicator map at IRIS level
    client.logout()
    assert client.get(geometry_url(world.a)).status_code == 302


def test_scale_fits_precision_and_simplification_to_the_territory():
    region = map_geometry.Scale((2.0, 44.0, 7.2, 46.8))  # Auvergne-Rhône-Alpes: ~0.0095° a pixel
    assert region.decimals == 3 and region.tolerance_for("light") > 0.003
    commune = map_geometry.Scale((5.70, 45.15, 5.76, 45.20))
    assert commune.decimals == 5 and commune.tolerance_for("light") == 0
    assert map_geometry.UNITS[Level.REGION][0] == Level.COMMUNE
