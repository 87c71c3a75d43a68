"""The territory map in a real browser: Leaflet from our static files, offline, under the strict CSP."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.factories import DEFAULT_PASSWORD, EluFactory, build_hierarchy

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium (apt-get install chromium)"),
]


@pytest.fixture
def browser(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test (and the
    # live server's database sharing) would otherwise trip Django's async-safety check.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_territory_page_shows_the_map_offline_and_without_csp_violation(live_server, transactional_db, browser):
    tree = build_hierarchy(communes=3)
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
    assert page.locator("h1").inner_text() == tree.epci.name

    iframe = page.locator("iframe.portal-map-frame")
    assert iframe.get_attribute("title") == f"Carte du contour : {tree.epci.name}"
    frame = page.frame_locator("iframe.portal-map-frame")
    frame.locator(".leaflet-container").wait_for()
    # The EPCI contour plus its three communes, drawn as SVG paths.
    frame.locator("path.leaflet-interactive").nth(3).wait_for()
    assert frame.locator("path.leaflet-interactive").count() == 4

    hosts = {urlsplit(url).hostname for url in requests if not url.startswith(("data:", "blob:", "about:"))}
    assert hosts <= {"localhost", "127.0.0.1"}, hosts
    violations = [line for line in console if "Content Security Policy" in line or "Refused to" in line]
    assert not violations, violations
    assert not [line for line in console if line.startswith("error")], console
