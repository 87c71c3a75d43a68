"""The élu ↔ CPAM journey in a real browser (Chromium), as the design's flows 2 and 3 describe it.

An élu of an EPCI generates the fiche territoire, downloads it, writes to the CPAM with the fiche attached; the
referent of the département finds the request in the inbox, takes it, answers; the élu reads the answer. Every
page is checked for Content-Security-Policy violations and JavaScript errors. Celery runs eagerly here (no
REDIS_URL): the fiche is ready when the document page shows up.
"""

import io
from urllib.parse import urlsplit

import pytest
from django.core import mail
from pypdf import PdfReader

from portal.contact.models import ContactRequest
from tests.documents.conftest import FicheWorld
from tests.factories import DEFAULT_PASSWORD
from tests.portal.test_browser_map import CHROMIUM, browser  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium (apt-get install chromium)"),
]


def _open_session(browser, live_server, user, console, requests):  # noqa: F811
    page = browser.new_context(locale="fr-FR").new_page()
    page.context.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.goto(f"{live_server.url}/compte/connexion/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accueil/")
    return page


def test_elu_sends_the_fiche_to_the_cpam_and_reads_the_answer(live_server, transactional_db, browser):  # noqa: F811
    w = FicheWorld()
    console, requests = [], []

    # The élu of the EPCI: their territory, then the fiche.
    elu = _open_session(browser, live_server, w.elu_e1, console, requests)
    assert w.e1.name in elu.locator("h1").inner_text()
    elu.click("text=Générer la fiche territoire")
    elu.wait_for_url("**/documents/*/")
    link = elu.locator("a", has_text="Télécharger la fiche")
    link.wait_for()
    pdf = elu.request.get(live_server.url + link.get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    assert w.e1.name in text

    # « Contacter la CPAM » from the territory page, the fiche attached.
    elu.goto(f"{live_server.url}/territoires/epci/{w.e1.code}/")
    elu.click("#contacter-la-cpam a")
    elu.click("text=Envoyer la demande")  # empty form: French errors, nothing sent
    assert "Choisissez le domaine de votre demande." in elu.content()
    assert ContactRequest.objects.count() == 0
    elu.locator("label", has_text="Exercice coordonné").click()  # DSFR radios: the label is what one clicks
    assert elu.is_checked("input[name=topic][value=exercice_coordonne]")
    elu.fill("input[name=subject]", "Projet de maison de santé à Mens")
    elu.fill("textarea[name=body]", "Deux médecins partent en retraite en 2027 ; nous voulons monter une MSP.")
    elu.select_option("select[name=document]", index=1)
    elu.click("text=Envoyer la demande")
    elu.wait_for_url("**/demandes/*/")
    assert "Votre demande a été envoyée à la CPAM" in elu.content()
    sent = ContactRequest.objects.get()
    assert sent.messages.get().document.territory_id == w.e1.pk
    assert [m.to for m in mail.outbox] == [[w.referent_d1.email]]  # the département's referent only

    # The referent of the département: inbox, take, answer.
    referent = _open_session(browser, live_server, w.referent_d1, console, requests)
    referent.goto(f"{live_server.url}/demandes/recues/")
    referent.click("text=Projet de maison de santé à Mens")
    referent.click("text=Prendre en charge")
    referent.fill("textarea[name=body]", "Je vous propose un rendez-vous avec la CPTS du Trièves la semaine prochaine.")
    referent.click("text=Envoyer la réponse")
    assert "Votre réponse a été envoyée à l'élu." in referent.content()
    sent.refresh_from_db()
    assert sent.status == "repondue" and sent.assignee_id == w.referent_d1.pk
    assert w.elu_e1.email in mail.outbox[-1].to

    # Another département's referent does not see it.
    other = _open_session(browser, live_server, w.referent_d2, console, requests)
    other.goto(f"{live_server.url}/demandes/recues/")
    assert "Projet de maison de santé à Mens" not in other.content()
    assert other.goto(f"{live_server.url}/demandes/{sent.pk}/").status == 404

    # The élu reads the answer in « Mes demandes ».
    elu.goto(f"{live_server.url}/demandes/")
    elu.click("text=Projet de maison de santé à Mens")
    assert "CPTS du Trièves la semaine prochaine" in elu.content()

    hosts = {urlsplit(url).hostname for url in requests if not url.startswith(("data:", "blob:", "about:"))}
    assert hosts <= {"localhost", "127.0.0.1"}, hosts
    violations = [line for line in console if "Content Security Policy" in line or "Refused to" in line]
    assert not violations, violations
    errors = [line for line in console if line.startswith("error") and "404" not in line]
    assert not errors, console
