"""The indicator map in a real browser: offline, under the strict CSP, legend and layer control visible."""

import re
from urllib.parse import urlsplit

import pytest

from territories.services.indicators import sync_indicator_catalogue
from tests.factories import DEFAULT_PASSWORD, EluFactory, build_hierarchy
from tests.portal.test_browser_map import CHROMIUM, browser  # noqa: F401 (fixture)
from tests.portal.test_choropleth import set_values

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium (apt-get install chromium)"),
]


def test_indicator_map_in_the_territory_page(live_server, transactional_db, browser, tmp_path):  # noqa: F811
    tree = build_hierarchy(communes=4)
    catalogue = sync_indicator_catalogue()
    a, b, c, hidden = tree.communes
    set_values(catalogue["gp_density"], {tree.epci: 5.0, a: 3.0, b: 6.0, c: 9.0}, masked=[hidden])
    elu = EluFactory(territory=tree.epci)
    requests, console = [], []

    page = browser.new_context(locale="fr-FR").new_page()
    page.context.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))

    page.goto(f"{live_server.url}/compte/connexion/")
    page.fill("input[name=username]", elu.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accueil/")

    iframe = page.locator("iframe.portal-choropleth-frame")
    iframe.scroll_into_view_if_needed()
    assert iframe.get_attribute("title") == f"Carte d'un indicateur : {tree.epci.name}"
    frame = page.frame_locator("iframe.portal-choropleth-frame")
    frame.locator(".leaflet-container").wait_for()
    # Four communes are interactive (the contour is drawn on top but lets the pointer through).
    frame.locator("path.leaflet-interactive").nth(3).wait_for()
    assert frame.locator("path.leaflet-interactive").count() == 4
    legend = frame.locator(".portal-legend")
    assert legend.is_visible()
    assert "secret statistique (1)" in legend.inner_text()
    assert "pas de donnée (0)" in legend.inner_text()
    assert frame.locator(".leaflet-control-layers").is_visible()
    # Hovering a commune shows its tooltip with the value and the source.
    frame.locator("path.leaflet-interactive").first.hover(force=True)
    tooltip = frame.locator(".leaflet-tooltip.portal-tooltip")
    tooltip.wait_for()
    assert "pour 10 000 habitants" in tooltip.inner_text() or "secret statistique" in tooltip.inner_text()

    # The form reloads the map in the iframe, with another year or indicator.
    page.select_option("#carte-indicateur-choix", "gp_density")
    page.click("text=Afficher la carte")
    frame.locator(".portal-legend").wait_for()

    # « Télécharger la carte (HTML) » asks the documents job for the selected map (a POST with the CSRF token),
    # then shows the document's page; Celery is eager in tests, so the map is ready at once.
    page.select_option("#carte-annee-choix", "2025")
    page.click("#carte-telecharger")
    page.wait_for_url(re.compile(r"/documents/[0-9a-f-]{36}/$"))
    assert "La carte est prête" in page.inner_text("main")
    link = page.locator("a", has_text="Télécharger la carte (HTML")

    hosts = {urlsplit(url).hostname for url in requests if not url.startswith(("data:", "blob:", "about:"))}
    assert hosts <= {"localhost", "127.0.0.1"}, hosts

    # The downloaded file works from disk, with no server at all.
    download = page.request.get(live_server.url + link.get_attribute("href"))
    assert download.ok
    assert re.fullmatch(
        rf'attachment; filename="carte-gp_density-{tree.epci.code}-\d{{4}}-\d{{2}}-\d{{2}}\.html"',
        download.headers["content-disposition"],
    )
    saved = tmp_path / "carte.html"
    saved.write_bytes(download.body())
    # A fresh context: requests still in flight from the live page must not be counted against the file.
    offline_requests = []
    offline = browser.new_context(locale="fr-FR").new_page()
    offline.context.on("request", lambda request: offline_requests.append(request.url))
    offline.goto(saved.as_uri())
    offline.locator("path.leaflet-interactive").nth(3).wait_for()
    assert offline.locator("path.leaflet-interactive").count() == 4
    assert offline.locator(".portal-legend").is_visible()
    assert all(url.startswith(("file:", "data:")) for url in offline_requests), offline_requests

    violations = [line for line in console if "Content Security Policy" in line or "Refused to" in line]
    assert not violations, violations
    assert not [line for line in console if line.startswith("error")], console


def test_department_map_reads_without_tiles_and_fits_beside_the_legend(live_server, transactional_db, browser):  # noqa: F811
    """Context layer (neighbouring département, town names) drawn offline; the territory fitted in view, not
    under the legend. A screenshot is written under var/screenshots/ for review."""
    from django.conf import settings

    from territories.enums import Level
    from tests.factories import AdminFactory, DepartmentFactory, add_geometry

    tree = build_hierarchy(communes=6)
    catalogue = sync_indicator_catalogue()
    department = tree.department
    for i, commune in enumerate(tree.communes):  # inside the département's square contour
        commune.centroid_lon = department.centroid_lon - 0.4 + 0.15 * i
        commune.centroid_lat = department.centroid_lat + (0.2 if i % 2 else -0.2)
        commune.save()
        add_geometry(commune)
    neighbour = DepartmentFactory(region=tree.region, name="Département voisin")
    neighbour.centroid_lon, neighbour.centroid_lat = department.centroid_lon + 0.5, department.centroid_lat
    neighbour.save()
    add_geometry(neighbour)
    biggest = max(tree.communes, key=lambda c: c.population)
    set_values(
        catalogue["gp_density"],
        {department: 5.0} | {c: float(i) for i, c in enumerate(tree.communes)},  # one commune at 0
    )
    admin = AdminFactory()
    page = browser.new_context(locale="fr-FR", viewport={"width": 900, "height": 560}).new_page()
    console, failed = [], []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
    page.goto(f"{live_server.url}/compte/connexion/")
    page.fill("input[name=username]", admin.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/territoires/{Level.DEPARTMENT}/{department.code}/carte/indicateur/")
    page.locator(".leaflet-container[data-portal-ready]").wait_for()

    # Context: the neighbouring département in light grey below the indicator, the main town's name.
    assert page.locator(".leaflet-portalContext-pane path").count() == 1
    assert page.locator(".leaflet-portalContext-pane path").first.get_attribute("fill") == "#efefec"
    labels = page.locator(".leaflet-tooltip.portal-town").all_inner_texts()
    assert biggest.name in labels
    assert page.locator("path.leaflet-interactive").count() == len(tree.communes)
    # Zero apart, and the legend says so.
    assert "zéro à part, puis quantiles des valeurs non nulles" in page.locator(".portal-legend").inner_text()

    # Fit: the territory's contour is wholly in view, left of the legend, and fills most of that space.
    box = page.evaluate(
        """() => {
            const r = (el) => el.getBoundingClientRect();
            const map = r(document.querySelector(".leaflet-container"));
            const legend = r(document.querySelector(".portal-legend"));
            const contour = r(document.querySelector('.leaflet-portalOutline-pane path[stroke="#000091"]'));
            return {map: [map.left, map.top, map.right, map.bottom], legend: legend.left,
                    contour: [contour.left, contour.top, contour.right, contour.bottom]};
        }"""
    )
    (ml, mt, _mr, mb), legend_left, (cl, ct, cr, cb) = box["map"], box["legend"], box["contour"]
    assert ml <= cl and mt <= ct and cb <= mb and cr <= legend_left, box
    assert max((cr - cl) / (legend_left - ml), (cb - ct) / (mb - mt)) > 0.7, box  # fitted, not a speck

    shots = settings.BASE_DIR / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "carte-departement-contexte.png"))
    assert not failed, failed  # the geometry came from its endpoint (a page opened alone asks for a favicon)
    errors = [line for line in console if line.startswith("error") and "Failed to load resource" not in line]
    assert not errors and not [line for line in console if "Refused to" in line], console
