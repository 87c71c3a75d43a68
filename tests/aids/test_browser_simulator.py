"""The aid simulator in a real browser: total first, each card's title above its amount above its reasons, and
the profile fields follow the chosen profession without a reload (progressive enhancement, strict CSP)."""

import pytest

from aids.services.catalogue import load_catalogue
from tests.factories import DEFAULT_PASSWORD
from tests.portal.test_browser_map import CHROMIUM, browser  # noqa: F401  (the Chromium fixture)

from .conftest import AidsWorld

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium (apt-get install chromium)"),
]


def top(locator) -> float:
    return locator.bounding_box()["y"]


def test_result_cards_read_title_then_amount_then_why(live_server, transactional_db, browser):  # noqa: F811
    w = AidsWorld()
    load_catalogue()
    console = []
    page = browser.new_context(locale="fr-FR").new_page()
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.goto(f"{live_server.url}/compte/connexion/")
    page.fill("input[name=username]", w.elu_epci.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accueil/")

    url = f"{live_server.url}/territoires/epci/{w.epci.code}/aides/"
    page.goto(url)
    # The profile fields follow the profession and the stage, without submitting.
    assert page.locator("[data-profile-field=fte]").is_hidden()
    page.select_option("select[name=profession]", "assistant_employer")
    assert page.locator("[data-profile-field=fte]").is_visible()
    assert page.locator("[data-profile-field=equipment_cost]").is_hidden()
    page.select_option("select[name=profession]", "gp")
    page.select_option("select[name=etape]", "first_installation")
    assert page.locator("[data-profile-field=equipment_cost]").is_visible()
    assert page.locator("[data-profile-field=fte]").is_hidden()

    page.select_option("select[name=commune]", w.zip.code)
    page.fill("input[name=date]", "2026-03-02")
    page.fill("input[name=equipment_cost]", "15000")
    page.click("#simulateur-form button[type=submit]")
    page.locator("#resultat").wait_for()
    total = page.locator("#total")
    assert "17\u202f500\xa0€" in total.inner_text()
    card = page.locator("[data-aid=isere-aide-materielle]").first
    title, amount, why = card.locator(".fr-card__title"), card.locator(".fr-card__desc"), card.locator(".fr-card__end")
    assert title.inner_text() == "Aide matérielle à l'installation (Département de l'Isère)"
    assert "7\u202f500\xa0€" in amount.inner_text()
    assert top(total) < top(title) < top(amount) < top(why)
    for each in page.locator("#resultat .fr-card").all():  # every card: the title above everything else
        others = each.locator(".fr-card__content > :not(.fr-card__title)").all()
        assert others and all(top(each.locator(".fr-card__title")) < top(other) for other in others)
    violations = [line for line in console if "Content Security Policy" in line or "Refused to" in line]
    assert not violations, violations
