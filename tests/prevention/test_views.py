"""The prevention page, the territory page's panel, the map layers: access, content, constant queries."""

import html
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.maps import choropleth
from prevention.enums import AccessPointKind, Axis, CollectivityRole, Lever, SourceDocument
from prevention.models import Initiative
from prevention.selectors import ACTIONS_LAYER, POINTS_LAYER, map_layers
from territories.models import IndicatorValue
from territories.services.indicators import sync_indicator_catalogue
from tests.factories import AdminFactory, DepartmentFactory, TerritoryFactory, add_geometry, build_hierarchy

from .factories import AccessPointFactory, PreventionActionFactory

pytestmark = pytest.mark.django_db


def url(territory):
    return reverse("portal:territory_prevention", args=[territory.level, territory.code])


def initiative(slug, **kwargs):
    values = {
        "title": slug.title(),
        "summary": "Résumé",
        "place_label": "Ailleurs",
        "axis": Axis.C,
        "lever": Lever.C3,
        "role": CollectivityRole.FUNDER,
        "source_document": SourceDocument.VILLES_SANTE,
        "source_lines": "L5165-5184",
    }
    return Initiative.objects.create(slug=slug, **(values | kwargs))


def test_access_is_that_of_the_territory_pages(client, world):
    w = world
    client.force_login(w.elu_c)  # élu of another territory
    assert client.get(url(w.a)).status_code == 404
    assert client.get(url(w.e1)).status_code == 404
    client.force_login(w.referent_d2)  # referent of another département
    assert client.get(url(w.d1)).status_code == 404
    assert client.get(url(w.a)).status_code == 404
    assert client.get(url(w.c)).status_code == 200
    client.force_login(w.elu_e1)
    assert client.get(url(w.a)).status_code == 200  # a commune of the élu's EPCI
    client.logout()
    response = client.get(url(w.a))
    assert response.status_code == 302 and "/compte/" in response.url


def test_page_lists_points_current_actions_and_initiatives_with_sources(client, world):
    w = world
    here = initiative("pres-de-chez-vous", title="Mutuelle de l'Isère", department=w.d1, region=w.region, position=50)
    initiative("ailleurs", title="Mutuelle de Bretagne", department=w.d3, region=w.region2, position=1)
    client.force_login(w.elu_e1)
    body = client.get(url(w.e1)).content.decode()
    for text in (w.cpam.name, w.fs.name, w.vaccination.title, w.screening.title):
        assert text in body, text
    assert w.finished.title not in body and w.ccas.name not in body and w.savoie_action.title not in body
    assert "données de démonstration" in body  # the CPAM desk and the vaccination are demo rows
    # Initiatives: the département's first, with their source.
    assert body.index("Mutuelle de l&#x27;Isère") < body.index("Mutuelle de Bretagne")
    assert "dans votre département" in body
    assert here.get_source_document_display() in body.replace("&#x27;", "'").replace("&quot;", '"')
    assert "L5165-5184" in body


def test_filters_by_kind_theme_and_initiative_role(client, world):
    w = world
    initiative("financeur", title="Initiative financée", role=CollectivityRole.FUNDER)
    initiative("pilote", title="Initiative pilotée", role=CollectivityRole.PILOT, axis=Axis.D, lever=Lever.D3)
    client.force_login(w.elu_e1)
    body = client.get(url(w.e1), {"type": AccessPointKind.CPAM}).content.decode()
    assert w.cpam.name in body and w.fs.name not in body
    body = client.get(url(w.e1), {"theme": "depistage_cancers"}).content.decode()
    assert w.screening.title in body and w.vaccination.title not in body
    body = client.get(url(w.e1), {"role": CollectivityRole.PILOT}).content.decode()
    assert "Initiative pilotée" in body and "Initiative financée" not in body
    body = client.get(url(w.e1), {"axe": "C"}).content.decode()
    assert "Initiative financée" in body and "Initiative pilotée" not in body


def test_territory_page_panel_counts_and_links(client, world):
    w = world
    client.force_login(w.elu_e1)
    body = client.get(reverse("portal:territory", args=["epci", w.e1.code])).content.decode()
    body = re.sub(r"\s+", " ", body)
    assert "Prévention et accès aux droits" in body
    assert "2 points d'accès aux droits" in body and "1 accueil CPAM" in body and "1 France Services" in body
    assert "2 actions de prévention en cours ou prévues" in body
    assert url(w.e1) in body
    # After the structures panel, as the brief of the page wants.
    assert body.index("prevention-acces-droits") > body.index("Structures d")


def _populate(tree):
    for commune in tree.communes:
        AccessPointFactory(commune=commune)
        AccessPointFactory(commune=commune, kind=AccessPointKind.CCAS, demo=True)
        PreventionActionFactory(commune=commune)
    PreventionActionFactory(commune=None, territory=tree.epci)


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_the_territory(client):
    department = DepartmentFactory()
    small = build_hierarchy(department=department, communes=1, with_geometry=False)
    large = build_hierarchy(department=department, communes=12, with_geometry=False)
    _populate(small)
    _populate(large)
    for i in range(5):
        initiative(f"i{i}")
    client.force_login(AdminFactory())
    assert _count(client, url(small.epci)) == _count(client, url(large.epci))
    territory_page = reverse("portal:territory", args=["epci", small.epci.code])
    assert _count(client, territory_page) == _count(client, reverse("portal:territory", args=["epci", large.epci.code]))


def test_map_layers_and_choropleth_page(client, world):
    w = world
    layers = {layer["name"]: layer for layer in map_layers(w.e1, [])}
    assert set(layers) == {POINTS_LAYER, ACTIONS_LAYER}
    points = layers[POINTS_LAYER]["features"]
    assert {f["properties"]["name"] for f in points} == {w.cpam.name, w.fs.name}
    fs = next(f for f in points if f["properties"]["name"] == w.fs.name)
    assert fs["geometry"]["coordinates"] == [w.a2.centroid_lon, w.a2.centroid_lat]  # no coordinates: its commune's
    cpam = next(f for f in points if f["properties"]["name"] == w.cpam.name)
    assert "accueil CPAM" in cpam["properties"]["label"] and "données de démonstration" in cpam["properties"]["label"]
    actions = {f["properties"]["name"]: f for f in layers[ACTIONS_LAYER]["features"]}
    assert set(actions) == {w.vaccination.title, w.screening.title}  # current only
    assert actions[w.screening.title]["geometry"]["coordinates"] == [w.e1.centroid_lon, w.e1.centroid_lat]
    assert "du 01/10/2027 au 31/10/2027" in actions[w.screening.title]["properties"]["label"]
    assert (
        map_layers(TerritoryFactory(level="country", code="FR", name="France", with_geometry=False), []) == []
    )  # too many points

    for territory in (w.e1, w.a, w.a2):
        add_geometry(territory)

    assert "prevention.selectors.map_layers" in choropleth.layers.LAYER_PROVIDERS
    indicator = sync_indicator_catalogue()["gp_density"]
    IndicatorValue.objects.bulk_create(
        IndicatorValue(territory=t, indicator=indicator, year=2025, value=v, is_demo=True)
        for t, v in ((w.e1, 5.0), (w.a, 4.0), (w.a2, 6.0))
    )
    client.force_login(w.referent_d1)
    page = client.get(reverse("portal:choropleth", args=["epci", w.e1.code])).content.decode()
    for name in (POINTS_LAYER, ACTIONS_LAYER, w.cpam.name, w.vaccination.title):
        # Names are HTML-escaped by the choropleth, then JSON-encoded: ASCII with « & » as \u0026 in the layer
        # control (Folium), UTF-8 in the layer's data.
        escaped = html.escape(name)
        forms = (
            json.dumps(escaped).replace("&", "\\u0026"),
            json.dumps(escaped),
            json.dumps(escaped, ensure_ascii=False),
        )
        assert any(form in page for form in forms), name
