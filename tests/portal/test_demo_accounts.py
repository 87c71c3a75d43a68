import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from portal.accounts.demo import DEMO_ACCOUNTS
from portal.accounts.enums import ReferentDomain, Role
from portal.accounts.models import User
from tests.factories import CommuneFactory, DepartmentFactory, EpciFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def isere():
    isere = DepartmentFactory(code="38", name="Isère", with_geometry=False)
    trieves = EpciFactory(code="200030658", name="CC du Trièves", department=isere, with_geometry=False)
    mens = CommuneFactory(code="38226", name="Mens", epci=trieves, with_geometry=False)
    return isere, trieves, mens


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(capsys):
    call_command("create_demo_accounts")
    return capsys.readouterr().out


def test_creates_the_four_accounts_once_and_prints_passwords_once(isere, capsys, client):
    department, epci, commune = isere
    out = run(capsys)
    users = {u.email: u for u in User.objects.all()}
    assert len(users) == 4
    for account in DEMO_ACCOUNTS:
        assert account.email in out and account.password in out
        assert len(account.password) >= 12
        assert User.objects.get(email=account.email).check_password(account.password)
    response = client.post(
        reverse("accounts:login"), {"username": DEMO_ACCOUNTS[0].email, "password": DEMO_ACCOUNTS[0].password}
    )
    assert response.status_code == 302
    assert client.get(reverse("portal:home")).context["territory"] == commune

    elu_commune, elu_epci, referent, admin = (users[a.email] for a in DEMO_ACCOUNTS)
    assert (elu_commune.role, elu_commune.territory) == (Role.ELU, commune)
    assert (elu_epci.role, elu_epci.territory) == (Role.ELU, epci)
    assert (referent.role, referent.department) == (Role.REFERENT, department)
    assert referent.referent_domains == list(ReferentDomain.values)
    assert (admin.role, admin.is_staff, admin.is_superuser) == (Role.ADMIN, True, True)

    # Idempotent: nothing created, passwords neither changed nor shown again.
    hashes = {u.email: u.password for u in User.objects.all()}
    out = run(capsys)
    assert User.objects.count() == 4
    assert {u.email: u.password for u in User.objects.all()} == hashes
    assert "déjà présent" in out
    assert not any(account.password in out for account in DEMO_ACCOUNTS)


def test_refused_outside_demo_mode(isere, settings):
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="Mode démonstration désactivé"):
        call_command("create_demo_accounts")
    assert not User.objects.exists()


def test_fails_clearly_when_the_territories_are_not_loaded(db):
    DepartmentFactory(code="38", with_geometry=False)
    with pytest.raises(CommandError, match=r"absents de la base \(commune 38226, epci 200030658\).*load_reference"):
        call_command("create_demo_accounts")
    assert not User.objects.exists()


def test_exit_status_is_non_zero_without_territories(db):
    from django.core.management import execute_from_command_line

    with pytest.raises(SystemExit) as exc:
        execute_from_command_line(["manage.py", "create_demo_accounts"])
    assert exc.value.code != 0
