"""The shared project journey in a real browser (Debian's Chromium driven by Playwright): an élu creates a
project, the département's referent moves it to « projet de santé rédigé » and sets a next step, the élu sees
the change and the journal; when the date passes (time frozen), the reminder goes to the step's owner."""

from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from projects.enums import ProjectStage
from projects.models import Project
from projects.tasks import send_next_step_reminders
from tests.factories import DEFAULT_PASSWORD
from tests.portal.test_browser_map import CHROMIUM, browser  # noqa: F401 (fixture)
from tests.projects.conftest import ProjectWorld

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


def test_elu_and_referent_follow_the_same_project(live_server, transactional_db, browser, settings):  # noqa: F811
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    w = ProjectWorld()
    console, requests = [], []

    # The élu creates the project from « Projets de santé ».
    elu = _open_session(browser, live_server, w.elu_a, console, requests)
    elu.goto(f"{live_server.url}/projets/")
    elu.click("text=Nouveau projet")
    elu.fill("input[name=name]", "Maison de santé des Tilleuls")
    elu.select_option("select[name=kind]", "msp")
    elu.fill("input[name=porteur]", "Commune et association des professionnels")
    elu.click("text=Enregistrer")
    elu.wait_for_url("**/projets/*/")
    project = Project.objects.get()
    assert elu.locator("#stade").text_content() == "idée"

    # The referent of the département finds it in the pipeline, moves it and sets the next step.
    referent = _open_session(browser, live_server, w.referent_d1, console, requests)
    referent.goto(f"{live_server.url}/projets/")
    referent.click("text=Maison de santé des Tilleuls")
    referent.select_option("select[name=stage]", ProjectStage.HEALTH_PROJECT)
    referent.click("text=Changer de stade")
    assert "Stade mis à jour." in referent.content()
    due = timezone.localdate() + timedelta(days=10)
    referent.fill("input[name=next_step]", "Présenter le projet de santé à l'ARS")
    referent.select_option("select[name=owner]", str(w.elu_a.pk))
    referent.fill("input[name=due_on]", due.isoformat())
    referent.click("text=Enregistrer la prochaine étape")
    assert "Prochaine étape enregistrée." in referent.content()

    # The élu sees the same state and the journal.
    elu.reload()
    assert elu.locator("#stade").text_content() == "projet de santé rédigé"
    assert "Présenter le projet de santé à l'ARS" in elu.locator("#prochaine-etape").inner_text()
    journal = elu.locator(".portal-journal").inner_text()
    assert "« idée » → « projet de santé rédigé »" in journal and "Projet créé" in journal
    assert "Sacha Référent" in journal

    # Another département's referent gets a 404.
    other = _open_session(browser, live_server, w.referent_d2, console, requests)
    assert other.goto(f"{live_server.url}/projets/{project.pk}/").status == 404

    # The date passes: the daily reminder goes to the owner of the step.
    mail.outbox.clear()
    after = datetime.combine(due + timedelta(days=1), datetime.min.time(), tzinfo=ZoneInfo("Europe/Paris"))
    with time_machine.travel(after.replace(hour=7, minute=45), tick=False):
        assert send_next_step_reminders.delay().get() == {"projects": 1, "emails": 1}
    [reminder] = mail.outbox
    assert reminder.to == [w.elu_a.email] and "Présenter le projet de santé à l'ARS" in reminder.body
    elu.reload()
    assert "Rappel envoyé" in elu.locator(".portal-journal").inner_text()

    hosts = {urlsplit(url).hostname for url in requests if not url.startswith(("data:", "blob:", "about:"))}
    assert hosts <= {"localhost", "127.0.0.1"}, hosts
    violations = [line for line in console if "Content Security Policy" in line or "Refused to" in line]
    assert not violations, violations
    errors = [line for line in console if line.startswith("error") and "404" not in line]
    assert not errors, console
