import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from portal.maps import territory_map as maps
from territories.models import DataSource
from tests.factories import AdminFactory, build_hierarchy

pytestmark = pytest.mark.django_db


def get_map(client, territory):
    return client.get(reverse("portal:territory_map", args=[territory.level, territory.code]))


@pytest.fixture
def epci_map(client):
    tree = build_hierarchy(communes=3)
    tree.communes[0].name = "Saint-Martin <b>d'Hères</b>"  # names end up in tooltips: must be escaped
    tree.communes[0].save()
    client.force_login(AdminFactory())
    return tree, get_map(client, tree.epci)


def csp_nonce(response):
    return re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)


def test_map_page_uses_only_our_static_files(epci_map):
    _, response = epci_map
    html = response.content.decode()
    assert response.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sorted(urls) == ["/static/vendor/leaflet/leaflet.css", "/static/vendor/leaflet/leaflet.js"]
    for dropped in ("jquery", "bootstrap", "font-awesome", "fontawesome", "awesome-markers", "cdn", "http://"):
        assert dropped not in html.lower()
    assert "https://" not in html.replace("https://leafletjs.com", "")
    assert "L.tileLayer" not in html  # no base map by default: works offline


def test_leaflet_is_served_from_the_xstatic_package():
    for name in ("leaflet.js", "leaflet.css", "images/layers.png", "images/marker-icon.png"):
        found = finders.find(f"vendor/leaflet/{name}")
        assert found and Path(found).is_file(), name
    assert not (Path(settings.BASE_DIR) / "static" / "vendor").exists()  # served from the package, not copied


def test_every_inline_script_carries_the_csp_nonce(epci_map):
    _, response = epci_map
    html = response.content.decode()
    nonce = csp_nonce(response)
    scripts = re.findall(r"<script\b[^>]*>", html)
    inline = [tag for tag in scripts if "src=" not in tag]
    assert inline and all(f'nonce="{nonce}"' in tag for tag in inline)
    assert maps.NONCE_PLACEHOLDER not in html
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html)  # no inline event handler attributes
    assert '<html lang="fr">' in html


def test_map_draws_the_contour_and_the_communes_of_an_epci(epci_map):
    tree, response = epci_map
    html = response.content.decode()
    names = {json.loads(m) for m in re.findall(r'"name": ("(?:[^"\\]|\\.)*")', html)}
    codes = {json.loads(m) for m in re.findall(r'"code": ("(?:[^"\\]|\\.)*")', html)}
    assert codes == {tree.epci.code} | {c.code for c in tree.communes}
    assert {c.name for c in tree.communes[1:]} < names
    assert "Saint-Martin &lt;b&gt;d&#x27;Hères&lt;/b&gt;" in names  # escaped: Leaflet tooltips are HTML
    assert "<b>" not in html
    assert "fitBounds" in html
    assert f"<title>Carte : {tree.epci.name}</title>" in html


def test_bounds_of_the_stored_contour():
    feature = maps.as_feature(
        json.dumps(
            {
                "type": "MultiPolygon",
                "coordinates": [[[[5, 45], [6, 45], [6, 46], [5, 45]]], [[[7, 44], [7.5, 44], [7, 44.5], [7, 44]]]],
            }
        ),
        name="X",
        code="1",
    )
    assert maps.bounds(feature) == ((44.0, 5.0), (46.0, 7.5))
    wrapped = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": feature["geometry"]}]}
    assert maps.as_feature(wrapped, name="X", code="1")["geometry"] == feature["geometry"]


def test_map_is_cached_per_data_version_with_a_fresh_nonce(client, django_assert_num_queries):
    tree = build_hierarchy(communes=2)
    client.force_login(AdminFactory())
    first = get_map(client, tree.epci)
    # Cached: session, user, territory, data version; no geometry query.
    with django_assert_num_queries(4):
        second = get_map(client, tree.epci)
    assert csp_nonce(first) != csp_nonce(second)
    assert csp_nonce(second) in second.content.decode()
    assert first.content.decode().replace(csp_nonce(first), "N") == second.content.decode().replace(
        csp_nonce(second), "N"
    )
    # A reference data load changes the version: the map is rendered again from the new contours.
    tree.epci.geometries.filter(use="detail").update(
        geojson=json.dumps({"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 1]]]})
    )
    DataSource.objects.create(name="contours", version="test")
    assert "[[1.0, 1.0], [2.0, 2.0]]" in get_map(client, tree.epci).content.decode()


def test_base_map_tiles_when_configured(client, settings):
    settings.MAP_TILES_URL = "https://tiles.example.fr/{z}/{x}/{y}.png"
    settings.MAP_TILES_ATTRIBUTION = "© contributeurs OpenStreetMap"
    tree = build_hierarchy(communes=1)
    client.force_login(AdminFactory())
    response = get_map(client, tree.communes[0])
    html = response.content.decode()
    assert "https://tiles.example.fr/{z}/{x}/{y}.png" in html
    assert "contributeurs OpenStreetMap" in html
    img_src = response["Content-Security-Policy"].split("img-src")[1].split(";")[0].split()
    assert img_src == ["'self'", "data:", "https://tiles.example.fr"]  # the tile server only, not any https: host


def test_csp_img_src_follows_the_tiles_setting(client, settings):
    from portal.core.middleware import tiles_origin

    assert tiles_origin(settings.IGN_PLAN_URL) == "https://data.geopf.fr"
    assert tiles_origin("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png") == "https://*.tile.openstreetmap.org"
    assert tiles_origin("") == ""
    settings.MAP_TILES_URL = ""
    response = client.get("/")
    assert response["Content-Security-Policy"].split("img-src")[1].split(";")[0].split() == ["'self'", "data:"]


@pytest.mark.parametrize(
    ("variables", "url", "attribution"),
    [
        ({"DJANGO_ENV": "production"}, "IGN", "© IGN – Plan IGN"),
        ({"DJANGO_ENV": "production", "MAP_TILES_URL": ""}, "", ""),
        ({}, "", ""),
    ],
)
def test_production_default_base_map_is_plan_ign(tmp_path, variables, url, attribution):
    """Production shows IGN's Plan IGN (Géoplateforme WMTS, no key) unless told otherwise; development none."""
    env = {name: value for name, value in os.environ.items() if name in ("PATH", "HOME", "LANG")}
    env |= {
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE") or settings.SETTINGS_MODULE,
        "DJANGO_READ_DOT_ENV_FILE": "false",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "portail.example.fr",
        "PORTAL_VAR_DIR": str(tmp_path),
        **variables,
    }
    code = "import django; django.setup(); from django.conf import settings as s; print(s.MAP_TILES_URL); print(s.MAP_TILES_ATTRIBUTION)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    tiles, credit = result.stdout.splitlines()[-2:]
    assert tiles == (settings.IGN_PLAN_URL if url == "IGN" else "")
    assert "data.geopf.fr/wmts" in tiles if url else tiles == ""
    assert credit == attribution


def test_views_do_not_import_folium():
    """Folium is heavy: loaded by the map service on first use, not when the web layer is imported."""
    code = (
        "import sys, django; django.setup(); import config.urls, portal.territory.views, portal.maps.territory_map; "
        "sys.exit(1 if 'folium' in sys.modules else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr.decode()
