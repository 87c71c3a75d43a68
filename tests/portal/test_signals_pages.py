"""Signals on pages and in the API: reporting, follow-up, access boundaries, CPAM view, query counts.

World (tests/portal/conftest.py): D1 holds E1 (communes A, A2) and E2 (commune B); D2 holds E3 (commune C).
"""

import json

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.urls import reverse

from territories.enums import ReportedSignalKind, ReportedSignalStatus, SignalLevel
from territories.models import ReportedSignal, Signal
from territories.services.signals import evaluate_signals
from territories.signal_selectors import signals_for
from tests.factories import AdminFactory, EluFactory, ReferentFactory, build_hierarchy
from tests.territories.signals_fixtures import load_rules, set_value

pytestmark = pytest.mark.django_db

API = "/api/signals/"


def reported(territory, text, *, author=None, kind=ReportedSignalKind.DOCTOR_DEPARTURE, **kw):
    return ReportedSignal.objects.create(territory=territory, kind=kind, text=text, author=author, **kw)


@pytest.fixture
def signals_world(world):
    """The world with computed signals (A: alerte on GPs aged 60+) and one reported signal per commune."""
    load_rules()
    set_value(world.d1, "gp_60_plus_share", 31.0)
    set_value(world.a, "gp_60_plus_share", 42.0)
    set_value(world.a, "patients_without_gp_share", 12.0)  # not public: only A's own élus and the CPAM see it
    set_value(world.b, "gp_60_plus_share", 33.0)
    set_value(world.c, "gp_60_plus_share", 45.0)
    evaluate_signals()
    world.report_a = reported(world.a, "Le Dr Martin part à la retraite en juin.", author=world.elu_a)
    world.report_a2 = reported(world.a2, "Plus de rendez-vous avant trois semaines.")
    world.report_b = reported(world.b, "Renoncement constaté par le CCAS de B.", kind=ReportedSignalKind.FORGOING_CARE)
    world.report_c = reported(world.c, "Fermeture du cabinet de C annoncée.")
    world.referent_d2 = ReferentFactory(department=world.d2)
    world.elu_b = EluFactory(territory=world.b)
    return world


# --- Selector and template ----------------------------------------------------------------------------------------


def test_signals_for_sorts_alerts_first_and_mixes_reported(signals_world, django_assert_num_queries):
    w = signals_world
    user = w.elu_a
    user.territory  # noqa: B018  (loaded once per request by the middleware in real use)
    with django_assert_num_queries(3):
        entries = signals_for(w.a, user=user)
    assert [(e.origin, e.level, e.title) for e in entries] == [
        ("computed", SignalLevel.ALERT, "Médecins généralistes proches de la retraite"),
        ("computed", SignalLevel.VIGILANCE, "Patients sans médecin traitant nombreux"),
        ("reported", SignalLevel.VIGILANCE, "départ annoncé d'un médecin"),
    ]
    assert entries.can_report and entries.alert_count == 1 and entries.vigilance_count == 2


def test_signals_for_hides_what_the_user_may_not_see(signals_world):
    w = signals_world
    assert list(signals_for(w.b, user=w.elu_a)) == []  # B is not visible to A's élu
    # An élu of a commune on their département: public indicators only, no reported signal.
    assert [e.title for e in signals_for(w.d1, user=w.elu_a)] == ["Médecins généralistes proches de la retraite"]
    # On an EPCI, the reported signals of its communes are listed, for the EPCI's élu and the referent.
    assert {e.text for e in signals_for(w.e1, user=w.elu_e1) if e.is_reported} == {
        w.report_a.text,
        w.report_a2.text,
    }
    assert {e.text for e in signals_for(w.e1, user=w.elu_a) if e.is_reported} == {w.report_a.text}
    assert not signals_for(w.c, user=w.referent_d1)


def test_signals_template_contract(signals_world, rf):
    w = signals_world
    request = rf.get("/")
    request.user = w.elu_a
    html = render_to_string(
        "alerts/_territory_panel.html", {"signals": signals_for(w.a, user=w.elu_a)}, request=request
    )
    assert "42,0\u00a0% des médecins généralistes ont 60 ans ou plus en 2025 (département : 31,0\u00a0%)." in html
    assert "fr-alert--error" in html and "fr-alert--warning" in html
    assert "Déclenché par : 42,0\u00a0% ≥ 40\u00a0% (seuil d&#x27;alerte)" in html
    assert "données de démonstration" in html
    assert "Source : " in html
    assert w.report_a.text in html
    assert reverse("portal:signal_report", args=["commune", w.a.code]) in html


def test_signals_template_without_signals(world, rf):
    html = render_to_string("alerts/_territory_panel.html", {"signals": signals_for(world.b, user=world.referent_d1)})
    assert "Aucun signal d'alerte pour ce territoire" in html


# --- Reporting ----------------------------------------------------------------------------------------------------


def report_url(territory):
    return reverse("portal:signal_report", args=[territory.level, territory.code])


def test_elu_reports_on_their_commune(client, world):
    client.force_login(world.elu_a)
    response = client.post(
        report_url(world.a),
        {"kind": ReportedSignalKind.APPOINTMENT_TENSIONS, "text": "  Trois semaines pour un rendez-vous.  "},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:territory", args=["commune", world.a.code])
    signal = ReportedSignal.objects.get()
    assert (signal.territory, signal.author, signal.status) == (world.a, world.elu_a, ReportedSignalStatus.NEW)
    assert signal.text == "Trois semaines pour un rendez-vous."


def test_report_form_errors_are_french(client, world):
    client.force_login(world.elu_a)
    response = client.post(report_url(world.a), {"kind": "", "text": ""})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Choisissez la nature du signal." in content
    assert "Décrivez la situation constatée." in content
    response = client.post(report_url(world.a), {"kind": "inconnu", "text": "court"})
    content = response.content.decode()
    assert "Choisissez une nature de signal dans la liste." in content
    assert "Décrivez la situation en quelques mots (10 caractères au moins)." in content
    response = client.post(report_url(world.a), {"kind": "other", "text": "x" * 2001})
    assert "La description ne doit pas dépasser 2000 caractères (actuellement 2001)." in response.content.decode()
    assert not ReportedSignal.objects.exists()


def test_who_may_report_where(client, world):
    cases = [
        (world.elu_a, world.a, 200),
        (world.elu_a, world.e1, 403),  # visible (above the commune) but not theirs
        (world.elu_a, world.a2, 404),  # not visible at all
        (world.elu_a, world.b, 404),
        (world.elu_e1, world.e1, 200),
        (world.elu_e1, world.a2, 200),  # a commune of their EPCI
        (world.elu_e1, world.b, 404),
        (world.referent_d1, world.b, 200),
        (world.referent_d1, world.d1, 403),  # communes and EPCI only
        (world.referent_d1, world.c, 404),
        (world.admin, world.c, 200),
    ]
    for user, territory, expected in cases:
        client.force_login(user)
        assert client.get(report_url(territory)).status_code == expected, (user, territory)
        if expected != 200:
            response = client.post(report_url(territory), {"kind": "other", "text": "Un signal qui ne passe pas."})
            assert response.status_code == expected
    assert not ReportedSignal.objects.exists()


# --- Reading and follow-up ----------------------------------------------------------------------------------------


def list_texts(client, user):
    client.force_login(user)
    response = client.get(reverse("portal:reported_signals"))
    assert response.status_code == 200
    content = response.content.decode()
    texts = {
        r.text
        for r in ReportedSignal.objects.all()
        if r.text.replace("'", "&#x27;") in content  # template-escaped apostrophes
    }
    return texts


def test_elu_sees_only_their_territory_reported_signals(client, signals_world):
    w = signals_world
    assert list_texts(client, w.elu_a) == {w.report_a.text}
    assert list_texts(client, w.elu_b) == {w.report_b.text}
    assert list_texts(client, w.elu_e1) == {w.report_a.text, w.report_a2.text}
    # Through the territory-level API as well.
    client.force_login(w.elu_a)
    assert client.get(API, {"territory": w.b.code}).status_code == 404
    texts = {s["text"] for s in client.get(API, {"territory": w.a.code}).json()["signals"]}
    assert w.report_b.text not in texts and w.report_a.text in texts
    client.force_login(w.elu_b)
    assert client.get(API, {"territory": w.a.code}).status_code == 404
    # Nor on the page of A (404) or of the shared département (no reported signal listed there).
    assert client.get(reverse("portal:territory", args=["commune", w.a.code])).status_code == 404
    response = client.get(API, {"territory": w.d1.code, "territory_level": "department"})
    assert response.status_code == 200
    assert all(s["origin"] == "computed" for s in response.json()["signals"])


def test_referent_sees_their_department_only(client, signals_world):
    w = signals_world
    assert list_texts(client, w.referent_d1) == {w.report_a.text, w.report_a2.text, w.report_b.text}
    assert list_texts(client, w.referent_d2) == {w.report_c.text}
    assert list_texts(client, w.admin) == {r.text for r in ReportedSignal.objects.all()}
    client.force_login(w.referent_d1)
    assert client.get(API, {"territory": w.c.code}).status_code == 404


def status_url(report):
    return reverse("portal:reported_signal_status", args=[report.uuid])


def test_referent_changes_the_status(client, signals_world):
    w = signals_world
    client.force_login(w.referent_d1)
    response = client.post(status_url(w.report_b), {"status": ReportedSignalStatus.ACKNOWLEDGED})
    assert response.status_code == 302
    w.report_b.refresh_from_db()
    assert w.report_b.status == ReportedSignalStatus.ACKNOWLEDGED
    assert w.report_b.status_changed_by == w.referent_d1
    assert w.report_b.history.count() == 2
    # Another département's signal does not exist for them; élus may read but not change.
    assert client.post(status_url(w.report_c), {"status": "closed"}).status_code == 404
    client.force_login(w.elu_a)
    assert client.post(status_url(w.report_a), {"status": "closed"}).status_code == 403
    assert client.post(status_url(w.report_b), {"status": "closed"}).status_code == 404
    client.force_login(w.referent_d1)
    client.post(status_url(w.report_a), {"status": "bidon"})
    w.report_a.refresh_from_db()
    assert w.report_a.status == ReportedSignalStatus.NEW
    # A closed signal drops to the « information » level.
    client.post(status_url(w.report_a), {"status": ReportedSignalStatus.CLOSED})
    w.report_a.refresh_from_db()
    assert w.report_a.level == SignalLevel.INFO


# --- CPAM view ----------------------------------------------------------------------------------------------------

CPAM = "/cpam/territoires/"


def test_cpam_view_is_for_referents_and_admins(client, signals_world):
    w = signals_world
    client.force_login(w.elu_a)
    assert client.get(CPAM).status_code == 403
    client.force_login(w.referent_d1)
    response = client.get(CPAM)
    assert response.status_code == 200
    names = [t.name for t in response.context["page"]]
    assert names[0] == w.a.name  # one alerte
    assert names[1] == w.b.name  # one vigilance
    assert set(names) == {w.a.name, w.a2.name, w.b.name, w.e1.name, w.e2.name}
    assert w.c.name not in response.content.decode()
    assert "Territoires à suivre" in response.content.decode()  # header nav
    client.force_login(w.admin)
    response = client.get(CPAM)
    assert response.status_code == 200 and response.context["page"] is None
    response = client.get(CPAM, {"departement": w.d2.code})
    assert [t.name for t in response.context["page"]] == [w.c.name, w.e3.name]


def test_cpam_view_filters(client, signals_world):
    w = signals_world
    client.force_login(w.referent_d1)

    def names(**params):
        response = client.get(CPAM, params)
        assert response.status_code == 200
        return [t.name for t in response.context["page"]]

    assert names(niveau="alerte") == [w.a.name]
    assert names(niveau="vigilance") == [w.b.name]
    assert w.a.name not in names(niveau="aucun")
    assert set(names(epci=w.e1.pk)) == {w.a.name, w.a2.name, w.e1.name}
    assert names(theme="supply") == [w.a.name, w.b.name]
    assert names(theme="prevention") == []
    assert set(names(type="epci")) == {w.e1.name, w.e2.name}
    # Bad parameters: the form says so, the page does not fail.
    response = client.get(CPAM, {"epci": w.e3.pk, "niveau": "rouge", "page": "abc"})
    assert response.status_code == 200
    assert "Choisissez une intercommunalité de la liste." in response.content.decode()


@pytest.mark.parametrize("communes", [3, 30])
def test_cpam_view_runs_a_constant_number_of_queries(client, communes, django_assert_num_queries):
    load_rules()
    tree = build_hierarchy(communes=communes, with_geometry=False)
    set_value(tree.department, "gp_60_plus_share", 30.0)
    for i, commune in enumerate(tree.communes):
        set_value(commune, "gp_60_plus_share", 29.0 + i)
        reported(commune, "Un médecin part.")
    evaluate_signals()
    client.force_login(ReferentFactory(department=tree.department))
    # session, user, département, count, page, prefetched signals, EPCI choices.
    with django_assert_num_queries(7):
        response = client.get(CPAM)
    assert response.status_code == 200
    page = response.context["page"]
    assert len(page) == communes + 1  # the communes and their EPCI
    assert page[0].n_alert == (1 if communes > 11 else 0) and page[0].n_vigilance == 1 - page[0].n_alert
    assert page[0].n_reported_open == 1


# --- API ----------------------------------------------------------------------------------------------------------


def test_api_lists_signals_by_level(client, signals_world):
    w = signals_world
    client.force_login(w.referent_d1)
    data = client.get(API, {"territory": w.a.code}).json()
    assert data["territory"] == {"level": "commune", "code": w.a.code, "name": w.a.name}
    assert [s["level"] for s in data["signals"]] == ["alert", "vigilance", "vigilance"]
    alert = data["signals"][0]
    assert alert["text"].startswith("42,0\u00a0% des médecins généralistes")
    assert alert["is_demo"] is True and alert["source"] and alert["vintage"]
    only = client.get(API, {"territory": w.a.code, "level": "alert"}).json()["signals"]
    assert [s["origin"] for s in only] == ["computed"]


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({}, 400, "Paramètre « territory » obligatoire"),
        ({"territory": ""}, 400, "Paramètre « territory » obligatoire"),
        ({"territory": "x" * 40}, 400, "Code de territoire trop long."),
        ({"territory": "38999"}, 404, "Territoire introuvable."),
        ({"territory": "A", "level": "rouge"}, 400, "Niveau de signal inconnu"),
        ({"territory": "A", "territory_level": "planet"}, 400, "Niveau inconnu"),
    ],
)
def test_api_bad_parameters_are_never_a_500(client, signals_world, params, status, message):
    client.force_login(signals_world.referent_d1)
    params = {k: (signals_world.a.code if v == "A" else v) for k, v in params.items()}
    response = client.get(API, params)
    assert response.status_code == status
    assert message in json.dumps(response.json(), ensure_ascii=False)


def test_api_ambiguous_code_asks_for_the_level(client, world):
    admin = AdminFactory()
    world.region.code = world.d1.code
    world.region.save()
    client.force_login(admin)
    assert client.get(API, {"territory": world.d1.code}).status_code == 400
    response = client.get(API, {"territory": world.d1.code, "territory_level": "department"})
    assert response.status_code == 200 and response.json()["territory"]["level"] == "department"


def test_api_requires_login(client, world):
    assert client.get(API, {"territory": world.a.code}).status_code == 403


def test_openapi_schema_has_no_warning(tmp_path):
    path = tmp_path / "schema.json"
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(path))
    schema = json.loads(path.read_text())
    assert "/api/signals/" in schema["paths"]


def test_evaluated_signal_count(signals_world):
    assert Signal.objects.filter(territory=signals_world.a).count() == 2


def test_territory_page_shows_the_signals_block(client, signals_world):
    w = signals_world
    client.force_login(w.elu_a)
    content = client.get(reverse("portal:territory", args=["commune", w.a.code])).content.decode()
    assert "Médecins généralistes proches de la retraite" in content
    assert "Le Dr Martin part à la retraite en juin." in content
    assert w.report_b.text.replace("'", "&#x27;") not in content
    client.force_login(w.elu_e1)
    content = client.get(reverse("portal:territory", args=["epci", w.e1.code])).content.decode()
    assert "Plus de rendez-vous avant trois semaines." in content  # reported on A2, a commune of E1
    assert "Renoncement constaté par le CCAS de B." not in content
