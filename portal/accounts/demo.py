"""Demo accounts: one élu of a commune, one élu of an EPCI, one CPAM referent, one administrator.

They live in Isère (the CPAM Isère booklet for élus is the project's source) and only exist in demo
mode (``settings.DEMO_MODE``). Their passwords are fixed and public, so that ``make run`` is usable
right away; never enable demo mode on a server holding real accounts.
"""

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from territories.enums import Level
from territories.models import Territory

from .enums import ReferentDomain, Role
from .models import User


@dataclass(frozen=True)
class DemoAccount:
    email: str
    password: str
    role: str
    first_name: str
    last_name: str
    function: str
    level: str = ""  # scope territory: level and code (COG 2026 / SIREN)
    code: str = ""


DEMO_ACCOUNTS = [
    DemoAccount(
        email="elu.commune@demo.portail-elus-sante.fr",
        password="demo-elu-commune-2026",
        role=Role.ELU,
        first_name="Camille",
        last_name="Martin",
        function="maire de Mens (démonstration)",
        level=Level.COMMUNE,
        code="38226",  # Mens, commune of the CC du Trièves
    ),
    DemoAccount(
        email="elu.epci@demo.portail-elus-sante.fr",
        password="demo-elu-epci-2026",
        role=Role.ELU,
        first_name="Dominique",
        last_name="Bernard",
        function="vice-président santé de la CC du Trièves (démonstration)",
        level=Level.EPCI,
        code="200030658",  # CC du Trièves (27 communes, rural south of Isère)
    ),
    DemoAccount(
        email="referent.cpam38@demo.portail-elus-sante.fr",
        password="demo-referent-cpam-2026",
        role=Role.REFERENT,
        first_name="Sacha",
        last_name="Roux",
        function="référent élus, CPAM de l'Isère (démonstration)",
        level=Level.DEPARTMENT,
        code="38",
    ),
    DemoAccount(
        email="admin@demo.portail-elus-sante.fr",
        password="demo-admin-portail-2026",
        role=Role.ADMIN,
        first_name="Alex",
        last_name="Durand",
        function="administrateur (démonstration)",
    ),
]


class DemoTerritoriesMissing(Exception):
    """Some territories the demo accounts are attached to are not loaded."""

    def __init__(self, missing: list[tuple[str, str]]):
        self.missing = missing
        super().__init__(", ".join(f"{level} {code}" for level, code in missing))


def demo_scopes() -> dict[tuple[str, str], Territory]:
    """The territories of the demo accounts, by (level, code); raises DemoTerritoriesMissing."""
    wanted = {(a.level, a.code) for a in DEMO_ACCOUNTS if a.code}
    found = {
        (t.level, t.code): t
        for t in Territory.objects.filter(code__in=[code for _, code in wanted])
        if (t.level, t.code) in wanted
    }
    missing = sorted(wanted - found.keys())
    if missing:
        raise DemoTerritoriesMissing(missing)
    return found


@transaction.atomic
def create_demo_accounts(*, scopes: dict[tuple[str, str], Territory]) -> tuple[list[DemoAccount], list[DemoAccount]]:
    """Create the missing demo accounts; existing ones (same e-mail) are left untouched."""
    created, existing = [], []
    for account in DEMO_ACCOUNTS:
        if User.objects.filter(email=account.email).exists():
            existing.append(account)
            continue
        user = User(
            email=account.email,
            role=account.role,
            first_name=account.first_name,
            last_name=account.last_name,
            function=account.function,
        )
        if account.role == Role.ELU:
            user.territory = scopes[(account.level, account.code)]
        elif account.role == Role.REFERENT:
            user.department = scopes[(account.level, account.code)]
            user.referent_domains = list(ReferentDomain.values)
        else:
            user.is_staff = user.is_superuser = True
        validate_password(account.password, user)
        user.set_password(account.password)
        user.full_clean()
        user.save()
        created.append(account)
    return created, existing
