"""Admin of the signals: rules editable with history, computed signals read-only, recompute action."""

import pytest
from django.urls import reverse

from territories.models import ReportedSignal, Signal, SignalRule
from tests.factories import AdminFactory, build_hierarchy

from .signals_fixtures import load_rules, set_value

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


def test_rule_admin_pages_and_history(admin_client):
    load_rules()
    rule = SignalRule.objects.get(code="gp_60_plus_high")
    assert admin_client.get(reverse("admin:territories_signalrule_changelist")).status_code == 200
    url = reverse("admin:territories_signalrule_change", args=[rule.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(alert_threshold="45", vigilance_threshold="35", indicator=rule.indicator_id)
    data.pop("period_years", None)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    rule.refresh_from_db()
    assert rule.alert_threshold == 45
    history = admin_client.get(reverse("admin:territories_signalrule_history", args=[rule.pk]))
    assert history.status_code == 200
    assert rule.history.count() == 2


def test_rule_admin_refuses_inconsistent_thresholds(admin_client):
    load_rules()
    rule = SignalRule.objects.get(code="gp_60_plus_high")
    url = reverse("admin:territories_signalrule_change", args=[rule.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(alert_threshold="20", vigilance_threshold="30", indicator=rule.indicator_id)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Le seuil d&#x27;alerte doit être plus sévère" in response.content.decode()


def test_recompute_action_and_read_only_signals(admin_client):
    load_rules()
    tree = build_hierarchy(communes=1, with_geometry=False)
    set_value(tree.communes[0], "gp_60_plus_share", 50.0)
    response = admin_client.post(
        reverse("admin:territories_signalrule_changelist"),
        {"action": "recompute_signals", "_selected_action": [SignalRule.objects.first().pk]},
    )
    assert response.status_code == 302
    signal = Signal.objects.get()
    assert admin_client.get(reverse("admin:territories_signal_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:territories_signal_add")).status_code == 403
    ReportedSignal.objects.create(territory=tree.communes[0], kind="other", text="Un signal de test.")
    assert admin_client.get(reverse("admin:territories_reportedsignal_changelist")).status_code == 200
    assert signal.level == "alert"
