"""Demo requests for `make run`: created once for the demo accounts, shown in their lists, no e-mail."""

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from portal.accounts.demo import DEMO_ACCOUNTS
from portal.accounts.models import User
from portal.contact.demo import DEMO_REQUESTS
from portal.contact.enums import RequestStatus
from portal.contact.models import ContactMessage, ContactRequest
from tests.factories import CommuneFactory, DepartmentFactory, EpciFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_accounts(settings):
    settings.DEMO_MODE = True
    isere = DepartmentFactory(code="38", name="Isère", with_geometry=False)
    trieves = EpciFactory(code="200030658", name="CC du Trièves", department=isere, with_geometry=False)
    CommuneFactory(code="38226", name="Mens", epci=trieves, with_geometry=False)
    call_command("create_demo_accounts")
    return {a.email: User.objects.get(email=a.email) for a in DEMO_ACCOUNTS}


def test_demo_requests_are_created_once(demo_accounts, capsys, client):
    call_command("create_demo_requests")
    assert "Demandes à la CPAM de démonstration créées : 3." in capsys.readouterr().out
    assert ContactRequest.objects.count() == len(DEMO_REQUESTS) == 3
    assert set(ContactRequest.objects.values_list("status", flat=True)) == {
        RequestStatus.NEW,
        RequestStatus.IN_PROGRESS,
        RequestStatus.ANSWERED,
    }
    assert not ContactMessage.objects.filter(notified_at=None).exists() and mail.outbox == []
    assert ContactRequest.objects.overdue().count() == 1  # the Mens doctor's departure, sent 20 days ago

    call_command("create_demo_requests")
    assert "déjà présentes : 3" in capsys.readouterr().out
    assert ContactRequest.objects.count() == 3 and ContactMessage.objects.count() == 5

    elu_commune, elu_epci, referent, _admin = demo_accounts.values()
    client.force_login(referent)
    assert client.get(reverse("contact:inbox")).context["page"].paginator.count == 3
    client.force_login(elu_commune)
    assert client.get(reverse("contact:list")).context["page"].paginator.count == 2
    client.force_login(elu_epci)
    assert client.get(reverse("contact:list")).context["page"].paginator.count == 3  # Mens is in the Trièves


def test_demo_requests_need_demo_mode_and_accounts(settings, db, capsys):
    settings.DEMO_MODE = True
    call_command("create_demo_requests")
    assert "Comptes de démonstration absents" in capsys.readouterr().out
    settings.DEMO_MODE = False
    with pytest.raises(CommandError):
        call_command("create_demo_requests")
