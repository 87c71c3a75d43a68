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
    tooltip = frame.locator(".leaflet-tooltip")
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
