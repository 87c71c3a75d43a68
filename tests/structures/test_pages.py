"""Structures in the web layer: list page, territory panel, map layers, API, admin (access and query counts)."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.maps import choropleth
from structures.enums import Stage, StructureKind
from structures.models import Structure
from structures.selectors import PERIMETERS_LAYER, map_layers, structures_summary
from structures.services.changes import MANUAL_SOURCE_NAME
from structures.services.perimeters import dissolve_perimeters
from territories.enums import Level, Profession
from territories.models import DataSource, IndicatorValue, Territory
from territories.services.indicators import sync_indicator_catalogue
from tests.factories import AdminFactory, DepartmentFactory, EluFactory, ReferentFactory, build_hierarchy

from .factories import StructureFactory

pytestmark = pytest.mark.django_db


class World:
    """D1: EPCI E1 (communes A, A2) and E2 (commune B); D2: commune C. Structures of E1 and a CPTS over E1 and B."""

    def __init__(self):
        self.d1, self.d2 = DepartmentFactory(), DepartmentFactory()
        e1 = build_hierarchy(department=self.d1, communes=2)
        e2 = build_hierarchy(department=self.d1, communes=1)
        e3 = build_hierarchy(department=self.d2, communes=1)
        self.e1, self.e2 = e1.epci, e2.epci
        (self.a, self.a2), self.b, self.c = e1.communes, e2.communes[0], e3.communes[0]
        self.msp = StructureFactory(
            commune=self.a, name="Maison de santé du Trièves", demo=True, team={Profession.GP: 3, Profession.NURSE: 2}
        )
        self.cds = StructureFactory(
            commune=self.a2,
            kind=StructureKind.CDS,
            name="Centre de santé municipal",
            france_sante=True,
            france_sante_on="2025-11-03",
            team={Profession.DENTIST: 4},
        )
        self.closed = StructureFactory(commune=self.a2, name="Ancienne maison de santé", stage=Stage.CLOSED)
        self.project = StructureFactory(
            commune=self.a, kind=StructureKind.ESP, name="Équipe en projet", stage="project"
        )
        self.cpts = StructureFactory(
            cpts=True, commune=self.b, name="CPTS du Sud", covers=[self.a, self.a2, self.b], population_covered=52_000
        )
        self.cpts.perimeter_geojson = dissolve_perimeters([(self.a.pk, self.a2.pk, self.b.pk)])[0]
        self.cpts.save()
        self.elsewhere = StructureFactory(commune=self.c, name="Maison de santé lointaine")
        self.elu_a = EluFactory(territory=self.a)
        self.elu_c = EluFactory(territory=self.c)
        self.referent = ReferentFactory(department=self.d1)


@pytest.fixture
def world():
    return World()


def list_url(territory, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    url = reverse("portal:territory_structures", args=[territory.level, territory.code])
    return url + (f"?{query}" if query else "")


def test_list_page_of_an_epci(client, world):
    client.force_login(world.referent)
    response = client.get(list_url(world.e1))
    assert response.status_code == 200
    html = response.content.decode()
    for s in (world.msp, world.cds, world.cpts, world.project):
        assert s.name in html
    assert world.closed.name not in html and world.elsewhere.name not in html
    assert "3 médecins généralistes, 2 infirmiers" in html and "4 chirurgiens-dentistes" in html
    assert "3 communes, 52\xa0000 habitants couverts" in html
    assert world.b.name in html  # covered by the CPTS
    assert "depuis le 3 novembre 2025" in html  # France Santé label
    assert "données de démonstration" in html and "Une partie de ces structures est fictive" in html
    assert "MSP : 1" in html and "ESP : 0 (+ 1 en projet)" in html


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ({"type": "cds"}, ["cds"]),
        ({"type": "cpts"}, ["cpts"]),
        ({"label": "oui"}, ["cds"]),
        ({"label": "non"}, ["msp", "project", "cpts"]),
        ({"etat": "closed"}, ["closed"]),
        ({"etat": "project"}, ["project"]),
        ({"etat": "operating"}, ["msp", "cds", "cpts"]),
        ({"type": "nimporte"}, ["msp", "cds", "project", "cpts"]),  # invalid value: ignored, form error
    ],
)
def test_filters(client, world, params, shown):
    client.force_login(world.referent)
    response = client.get(list_url(world.e1, **params))
    assert response.status_code == 200
    assert {s.pk for s in response.context["page"]} == {getattr(world, name).pk for name in shown}


def test_access_follows_territory_visibility(client, world):
    client.force_login(world.elu_a)
    assert client.get(list_url(world.a)).status_code == 200
    assert client.get(list_url(world.e1)).status_code == 200  # the élu's EPCI (above their commune)
    for other in (world.a2, world.b, world.c, world.d2):
        assert client.get(list_url(other)).status_code == 404
    client.force_login(world.elu_c)
    assert client.get(list_url(world.a)).status_code == 404
    assert client.get(list_url(world.c)).status_code == 200
    assert client.get("/territoires/canton/01/structures/").status_code == 404
    client.logout()
    response = client.get(list_url(world.a))
    assert response.status_code == 302 and "/compte/" in response.url


def test_commune_page_lists_the_cpts_covering_it(client, world):
    client.force_login(world.elu_a)
    html = client.get(list_url(world.a)).content.decode()
    assert world.msp.name in html and world.cpts.name in html and world.project.name in html
    assert world.cds.name not in html


def page_queries(client, territory) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(list_url(territory)).status_code == 200
    return len(queries)


def test_list_query_count_does_not_depend_on_size(client, django_assert_num_queries):
    department = DepartmentFactory()
    small = build_hierarchy(department=department, communes=1)
    large = build_hierarchy(department=department, communes=25)
    for tree in (small, large):
        for i, commune in enumerate(tree.communes):
            StructureFactory(commune=commune, team={Profession.GP: 2, Profession.NURSE: 1})
            if i % 3 == 0:
                StructureFactory(commune=commune, kind=StructureKind.CDS, team={Profession.NURSE: 5})
        StructureFactory(cpts=True, commune=tree.communes[0], covers=tree.communes)
    client.force_login(AdminFactory())
    page_queries(client, small.epci)  # warm-up (session)
    expected = page_queries(client, small.epci)
    assert expected <= 8  # session, user, territory, counts, paginator count, page, teams, CPTS communes
    with django_assert_num_queries(expected):
        response = client.get(list_url(large.epci))
    assert response.context["page"].paginator.count == 25 + 9 + 1


def test_territory_page_panel(client, world, django_assert_num_queries):
    client.force_login(world.elu_a)
    html = client.get(reverse("portal:territory", args=["commune", world.a.code])).content.decode()
    assert "Structures d'exercice coordonné" in html
    assert list_url(world.a) in html
    assert "Territoire couvert par" in html and "CPTS du Sud (ACI signé, 52" in html
    with django_assert_num_queries(2):
        summary = structures_summary(world.e1)
    assert [(k.kind, k.operating, k.projects) for k in summary.counts.kinds] == [
        (StructureKind.CPTS, 1, 0),
        (StructureKind.MSP, 1, 0),
        (StructureKind.CDS, 1, 0),
        (StructureKind.ESP, 0, 1),
    ]
    assert summary.counts.is_demo and summary.cpts == [world.cpts]
    assert structures_summary(world.d1).counts.total == 4  # the closed one is left out
    covered_only = structures_summary(world.e2)  # no structure located there, but covered by the CPTS
    assert [k.kind for k in covered_only.counts.kinds] == [StructureKind.CPTS]


def test_map_layers(world, django_assert_num_queries):
    with django_assert_num_queries(3):
        layers = {layer["name"]: layer for layer in map_layers(world.e1, [world.a.code, world.a2.code])}
    msp = layers["Maisons de santé (MSP)"]
    assert msp["show"] and msp["color"].startswith("#")
    (feature,) = msp["features"]
    assert feature["geometry"]["coordinates"] == [world.msp.longitude, world.msp.latitude]
    assert feature["properties"]["name"] == world.msp.name
    assert "3 médecins généralistes, 2 infirmiers" in feature["properties"]["label"]
    assert "données de démonstration" in feature["properties"]["label"]
    assert [f["properties"]["name"] for f in layers["Centres de santé"]["features"]] == [world.cds.name]
    assert "label France Santé" in layers["Centres de santé"]["features"][0]["properties"]["label"]
    assert "en projet" in layers["Équipes de soins primaires"]["features"][0]["properties"]["label"]
    perimeters = layers[PERIMETERS_LAYER]
    (cpts,) = perimeters["features"]
    assert cpts["geometry"]["type"] in ("Polygon", "MultiPolygon") and not perimeters["show"]
    assert cpts["properties"]["name"] == "CPTS du Sud" and "habitants couverts" in cpts["properties"]["label"]
    all_names = [f["properties"]["name"] for layer in layers.values() for f in layer["features"]]
    assert world.closed.name not in all_names and world.elsewhere.name not in all_names
    # The commune B: no point of E1, but the CPTS covering it.
    layers_b = {layer["name"]: layer for layer in map_layers(world.b, [])}
    assert len(layers_b[PERIMETERS_LAYER]["features"]) == 1 and not layers_b["Maisons de santé (MSP)"]["features"]
    france = Territory.objects.create(level=Level.COUNTRY, code="FR", name="France")
    assert map_layers(france, []) == []  # too many for one page: the régions' maps draw them


def test_choropleth_page_shows_the_structure_layers(client, world):
    assert "structures.selectors.map_layers" in choropleth.layers.LAYER_PROVIDERS
    indicator = sync_indicator_catalogue()["gp_density"]
    IndicatorValue.objects.bulk_create(
        IndicatorValue(territory=t, indicator=indicator, year=2025, value=v, is_demo=True)
        for t, v in ((world.e1, 5.0), (world.a, 4.0), (world.a2, 6.0))
    )
    client.force_login(world.referent)
    url = reverse("portal:choropleth", args=["epci", world.e1.code])
    page = client.get(url).content.decode()
    for name in ("Maisons de santé (MSP)", "Centres de santé", PERIMETERS_LAYER):
        assert json.dumps(name) in page, name
    # The layers' data is UTF-8 JSON (the layer control's names above are Folium's ASCII JSON).
    assert json.dumps(world.msp.name, ensure_ascii=False) in page and json.dumps("CPTS du Sud") in page
    assert json.dumps(world.elsewhere.name, ensure_ascii=False) not in page


def test_api_lists_the_structures_of_a_visible_territory(client, world, django_assert_num_queries):
    client.force_login(world.elu_a)
    url = reverse("structure-list")
    client.get(url)  # warm-up (session)
    with django_assert_num_queries(8):  # session, user, user's territory, territory, count, page, teams, communes
        response = client.get(url, {"territoire": f"epci:{world.e1.code}"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    by_name = {r["name"]: r for r in body["results"]}
    assert by_name["CPTS du Sud"]["covered_communes"] == sorted([world.a.code, world.a2.code, world.b.code])
    assert by_name["CPTS du Sud"]["population_covered"] == 52_000
    msp = by_name[world.msp.name]
    assert msp["kind"] == "msp" and msp["is_demo"] and msp["commune"] == {"code": world.a.code, "name": world.a.name}
    assert {(m["profession"], m["headcount"]) for m in msp["team"]} == {("gp", 3), ("nurse", 2)}
    assert "perimeter_geojson" not in msp
    # Default territory: the élu's commune.
    assert {r["name"] for r in client.get(url).json()["results"]} == {world.msp.name, world.project.name, "CPTS du Sud"}
    assert [
        r["name"] for r in client.get(url, {"territoire": f"epci:{world.e1.code}", "kind": "cds"}).json()["results"]
    ] == [world.cds.name]
    assert client.get(url, {"territoire": f"commune:{world.c.code}"}).status_code == 404
    assert client.get(url, {"territoire": "commune:99999"}).status_code == 404
    bad = client.get(url, {"kind": "clinique"})
    assert bad.status_code == 400 and "Type de structure inconnu" in json.dumps(bad.json(), ensure_ascii=False)
    assert client.get(url, {"territoire": "n'importe quoi"}).status_code == 400
    client.logout()
    assert client.get(url).status_code in (401, 403)


def test_api_is_in_the_schema(client, world):
    client.force_login(world.referent)
    schema = client.get(reverse("api-schema")).content.decode()
    assert "/api/structures/" in schema and "structures_list" in schema


def test_admin_pages_and_perimeter_refresh(client, world):
    client.force_login(AdminFactory())
    changelist = client.get(reverse("admin:structures_structure_changelist"), {"q": "Trièves"})
    assert changelist.status_code == 200 and world.msp.name in changelist.content.decode()
    change_url = reverse("admin:structures_structure_change", args=[world.cpts.pk])
    assert client.get(change_url).status_code == 200
    assert client.get(reverse("admin:structures_structure_history", args=[world.cpts.pk])).status_code == 200
    before = world.cpts.perimeter_geojson
    data = {
        "kind": "cpts", "name": "CPTS du Sud", "stage": "signed", "finess": "", "opened_on": "", "address": "",
        "postal_code": "", "commune": world.b.pk, "latitude": "", "longitude": "", "population_covered": "",
        "opening_days": "[]", "cpts_missions": '["access", "prevention"]', "sector": "",
        "team-TOTAL_FORMS": "0", "team-INITIAL_FORMS": "0",
        "team_roles-TOTAL_FORMS": "0", "team_roles-INITIAL_FORMS": "0",
        "france_sante_checks-TOTAL_FORMS": "0", "france_sante_checks-INITIAL_FORMS": "0",
        "coverage-TOTAL_FORMS": "3", "coverage-INITIAL_FORMS": "3",
    }  # fmt: skip
    for i, link in enumerate(world.cpts.coverage.order_by("pk")):
        data |= {
            f"coverage-{i}-id": link.pk,
            f"coverage-{i}-structure": world.cpts.pk,
            f"coverage-{i}-commune": link.commune_id,
        }
    data["coverage-2-DELETE"] = "on"  # drop commune B
    response = client.post(change_url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    cpts = Structure.objects.get(pk=world.cpts.pk)
    assert cpts.coverage.count() == 2 and cpts.perimeter_geojson and cpts.perimeter_geojson != before
    assert cpts.cpts_missions == ["access", "prevention"]
    assert cpts.population_covered == world.a.population + world.a2.population
    assert cpts.history.count() >= 1
    # Logged as a data load: cached maps and fiches follow the correction at once.
    log = DataSource.objects.get(name=MANUAL_SOURCE_NAME)
    assert log.row_counts == {"structure": cpts.pk, "action": "modification"}
    response = client.post(reverse("admin:structures_structure_delete", args=[world.msp.pk]), {"post": "yes"})
    assert response.status_code == 302 and not Structure.objects.filter(pk=world.msp.pk).exists()
    assert DataSource.objects.filter(name=MANUAL_SOURCE_NAME, row_counts__action="suppression").exists()
