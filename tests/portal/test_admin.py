import pytest
from django.urls import reverse

from portal.accounts.enums import ReferentDomain, Role
from portal.accounts.models import User
from tests.factories import AdminFactory, DepartmentFactory, EluFactory, ReferentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AdminFactory())
    return client


def test_user_admin_pages(admin_client):
    elu = EluFactory()
    ReferentFactory()
    response = admin_client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 200
    assert elu.email in response.content.decode()
    assert admin_client.get(reverse("admin:accounts_user_changelist"), {"q": elu.territory.name}).status_code == 200
    response = admin_client.get(reverse("admin:accounts_user_change", args=[elu.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("role", "territory", "department", "referent_domains", "function"):
        assert f'name="{field}"' in html
    assert admin_client.get(reverse("admin:accounts_user_add")).status_code == 200


def test_admin_creates_a_referent_with_domains(admin_client):
    department = DepartmentFactory(with_geometry=False)
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "nouveau.referent@assurance-maladie.exemple.fr",
            "role": Role.REFERENT,
            "department": department.pk,
            "referent_domains": [ReferentDomain.PREVENTION, ReferentDomain.ACCES_AUX_DROITS],
            "usable_password": "true",
            "password1": "un-mot-de-passe-solide-2026",
            "password2": "un-mot-de-passe-solide-2026",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email="nouveau.referent@assurance-maladie.exemple.fr")
    assert user.department == department
    assert user.referent_domains == ["prevention", "acces_aux_droits"]


def test_admin_rejects_a_referent_without_department(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "sans.departement@exemple.fr",
            "role": Role.REFERENT,
            "referent_domains": [ReferentDomain.PREVENTION],
            "usable_password": "false",
        },
    )
    assert response.status_code == 200
    assert "department" in response.context["adminform"].form.errors
    assert not User.objects.filter(email="sans.departement@exemple.fr").exists()


def test_non_staff_users_cannot_open_the_admin(client):
    client.force_login(EluFactory())
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302
