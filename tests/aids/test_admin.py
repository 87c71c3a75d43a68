"""Admin of the aids: pages, history, French validation of overlapping terms (flow 4 of DESIGN.md)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from aids.models import Aid, AidTerms
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


def _form_data(response):
    """The POST data of an admin change form as rendered (main form and inline formset)."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if name == "funder_territory":
            value = value.pk if hasattr(value, "pk") else value
        data[name] = value
    for formset in response.context["inline_admin_formsets"]:
        fs = formset.formset
        prefix = fs.prefix
        data[f"{prefix}-TOTAL_FORMS"] = len(fs.forms)
        data[f"{prefix}-INITIAL_FORMS"] = fs.initial_form_count()
        data[f"{prefix}-MIN_NUM_FORMS"] = 0
        data[f"{prefix}-MAX_NUM_FORMS"] = 1000
        for index, inline in enumerate(fs.forms):
            for name, field in inline.fields.items():
                value = inline.initial.get(name, field.initial)
                if value is None:
                    continue
                if hasattr(value, "pk"):
                    value = value.pk
                if isinstance(value, dict | list):
                    value = field.prepare_value(value)
                data[f"{prefix}-{index}-{name}"] = value
    return {k: v for k, v in data.items() if v is not False}


def test_admin_pages_respond(catalogue, admin_client):
    aid = Aid.objects.get(slug="am-primo-installation-zip")
    terms = aid.terms.first()
    for url in (
        reverse("admin:aids_aid_changelist"),
        reverse("admin:aids_aid_changelist")
        + "?funder__exact=departement&zoning_condition__exact=any&is_active__exact=1",
        reverse("admin:aids_aid_changelist") + "?q=Isère",
        reverse("admin:aids_aid_add"),
        reverse("admin:aids_aid_change", args=[aid.pk]),
        reverse("admin:aids_aid_history", args=[aid.pk]),
        reverse("admin:aids_aidterms_changelist"),
        reverse("admin:aids_aidterms_change", args=[terms.pk]),
        reverse("admin:aids_aidterms_history", args=[terms.pk]),
    ):
        assert admin_client.get(url).status_code == 200, url


def test_changing_an_amount_in_the_admin_goes_through_dated_terms(catalogue, admin_client):
    """An amount is never edited in place: the change creates new terms from a date (``supersede_terms``), the
    current ones end the day before, and the history's « motif » says why."""
    terms = AidTerms.objects.get(aid__slug="isere-dentistes")
    url = reverse("admin:aids_aidterms_change", args=[terms.pk])
    page = admin_client.get(url)
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v not in (None, False)}
    data.update(aid=terms.aid_id, amount="36000", schedule="{}", change_reason="Délibération du 12 juin 2026")
    refused = admin_client.post(url, data)
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["new_from"] == [
        "Un montant ne se modifie pas sur place : indiquez la date du nouveau montant."
    ]
    too_early = admin_client.post(url, {**data, "new_from": "2026-01-01"})
    assert "doit suivre le début" in too_early.context["adminform"].form.errors["new_from"][0]
    no_reason = admin_client.post(url, {**data, "new_from": "2026-07-01", "change_reason": ""})
    assert no_reason.context["adminform"].form.errors["change_reason"] == [
        "Indiquez le motif de la modification (conservé dans l'historique)."
    ]
    response = admin_client.post(url, {**data, "new_from": "2026-07-01"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    rows = [(t.valid_from, t.valid_until, t.amount) for t in AidTerms.objects.filter(aid=terms.aid)]
    assert rows == [
        (date(2026, 1, 1), date(2026, 6, 30), Decimal("35000")),
        (date(2026, 7, 1), None, Decimal("36000")),
    ]
    ended = terms.history.latest()
    assert ended.history_change_reason == "Délibération du 12 juin 2026" and ended.history_user is not None
    new = AidTerms.objects.get(aid=terms.aid, valid_from=date(2026, 7, 1))
    assert new.history.get().history_change_reason == "Délibération du 12 juin 2026"
    history = admin_client.get(reverse("admin:aids_aidterms_history", args=[terms.pk]))
    assert history.status_code == 200 and "Délibération du 12 juin 2026" in history.content.decode()
    # A change that is not an amount (a note) is saved in place, with its motif.
    page = admin_client.get(reverse("admin:aids_aidterms_change", args=[new.pk]))
    data = {k: v for k, v in page.context["adminform"].form.initial.items() if v not in (None, False)}
    data.update(aid=new.aid_id, schedule="{}", conditions="Voir la Cellule Isère Santé.", change_reason="Précision")
    response = admin_client.post(reverse("admin:aids_aidterms_change", args=[new.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    new.refresh_from_db()
    assert (
        new.conditions == "Voir la Cellule Isère Santé." and new.history.latest().history_change_reason == "Précision"
    )


def test_admin_shows_amounts_in_french_and_keeps_inline_amounts_read_only(catalogue, admin_client):
    page = admin_client.get(reverse("admin:aids_aidterms_changelist")).content.decode()
    assert "50\u202f000\xa0€" in page and "10\u202f000\xa0€" in page and "50\xa0%" in page
    aid = Aid.objects.get(slug="isere-dentistes")
    url = reverse("admin:aids_aid_change", args=[aid.pk])
    page = admin_client.get(url)
    data = _form_data(page)
    prefix = page.context["inline_admin_formsets"][0].formset.prefix
    data.update({f"{prefix}-0-amount": "99999", "change_reason": "Essai"})
    assert admin_client.post(url, data).status_code == 302
    assert aid.terms.get().amount == Decimal("35000")  # disabled: the posted amount is ignored
    assert aid.history.latest().history_change_reason == "Essai"


def test_new_amount_from_a_date_in_the_aid_form(catalogue, admin_client):
    """Flow 4: end the current terms and add the new ones in the same form; both periods checked together."""
    aid = Aid.objects.get(slug="isere-dentistes")
    url = reverse("admin:aids_aid_change", args=[aid.pk])
    page = admin_client.get(url)
    data = _form_data(page)
    prefix = page.context["inline_admin_formsets"][0].formset.prefix
    data[f"{prefix}-0-valid_until"] = "2026-06-30"
    data["change_reason"] = "Nouveau montant voté"
    data[f"{prefix}-TOTAL_FORMS"] = 2
    data.update(
        {
            f"{prefix}-1-valid_from": "2026-07-01",
            f"{prefix}-1-amount_kind": "total",
            f"{prefix}-1-amount": "40000",
            f"{prefix}-1-schedule": "{}",
            f"{prefix}-1-aid": aid.pk,
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors,
        response.context["inline_admin_formsets"][0].formset.errors,
    )
    amounts = [(t.valid_from, t.valid_until, t.amount) for t in aid.terms.order_by("valid_from")]
    assert amounts == [
        (date(2026, 1, 1), date(2026, 6, 30), Decimal("35000")),
        (date(2026, 7, 1), None, Decimal("40000")),
    ]
    assert AidTerms.history.filter(aid_id=aid.pk).count() == 3  # created, ended, new
    assert AidTerms.history.filter(aid_id=aid.pk, history_change_reason="Nouveau montant voté").count() == 2
    assert Aid.objects.get(pk=aid.pk).history.count() == 2


def test_overlapping_terms_are_refused_in_french(catalogue, admin_client):
    aid = Aid.objects.get(slug="isere-dentistes")
    url = reverse("admin:aids_aid_change", args=[aid.pk])
    page = admin_client.get(url)
    data = _form_data(page)
    prefix = page.context["inline_admin_formsets"][0].formset.prefix
    data[f"{prefix}-TOTAL_FORMS"] = 2
    data["change_reason"] = "Essai"
    data.update(
        {
            f"{prefix}-1-valid_from": "2026-07-01",  # the current terms are open-ended
            f"{prefix}-1-amount_kind": "total",
            f"{prefix}-1-amount": "40000",
            f"{prefix}-1-schedule": "{}",
            f"{prefix}-1-aid": aid.pk,
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    content = response.content.decode().replace("&#x27;", "'")
    assert (
        "Les périodes de validité se chevauchent (du 1er janvier 2026 sans date de fin ; du 1er juillet 2026 sans date de fin)"
        in content
    )
    assert aid.terms.count() == 1
    # The terms admin checks against the database too.
    terms = aid.terms.get()
    other = AidTerms.objects.create(
        aid=aid, valid_from=date(2020, 1, 1), valid_until=date(2020, 12, 31), amount_kind="total", amount=1
    )
    url = reverse("admin:aids_aidterms_change", args=[other.pk])
    form = admin_client.get(url).context["adminform"].form
    values = {k: v for k, v in form.initial.items() if v not in (None, False)}
    values.update(aid=aid.pk, valid_until="2026-02-01", schedule="{}", change_reason="Essai")
    response = admin_client.post(url, values)
    assert response.status_code == 200
    assert "Les périodes de validité se chevauchent" in response.content.decode().replace("&#x27;", "'")
    assert terms.valid_from == date(2026, 1, 1)
