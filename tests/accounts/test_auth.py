import re

import pytest
from django.conf import settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from portal.accounts.models import User

EMAIL = "maire@exemple-commune.fr"
PASSWORD = "un-mot-de-passe-solide-2026"
LOGIN_URL = reverse("accounts:login")

# Pages an anonymous visitor may see. Everything else must send them to the login page.
PUBLIC_URL_NAMES = {
    "portal:landing",
    "accounts:login",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_complete",
}


@pytest.fixture
def user(db):
    return User.objects.create_user(EMAIL, PASSWORD, first_name="Camille", last_name="Martin")


def _login(client, email=EMAIL, password=PASSWORD):
    return client.post(LOGIN_URL, {"username": email, "password": password})


def _is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_login_with_email_and_password(client, user):
    response = _login(client, email="Maire@Exemple-Commune.fr")  # e-mails are case-insensitive

    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert client.session["_auth_user_id"] == str(user.pk)


def test_wrong_password_shows_a_french_error(client, user):
    response = _login(client, password="pas-le-bon-mot-de-passe")

    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in response.content.decode()
    assert not _is_logged_in(client)


def test_account_is_locked_after_five_failures_even_with_the_right_password(client, user):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        response = _login(client, password="mauvais-mot-de-passe")
        assert response.status_code == 200
        assert "Compte bloqué temporairement" not in response.content.decode()

    response = _login(client, password="mauvais-mot-de-passe")  # fifth failure
    assert response.status_code == 429
    assert "Compte bloqué temporairement" in response.content.decode()

    response = _login(client)  # the right password, while locked
    assert response.status_code == 429
    assert "Compte bloqué temporairement" in response.content.decode()
    assert not _is_logged_in(client)


def test_changing_the_case_of_the_email_does_not_reset_the_counter(client, user):
    for email in ["maire@exemple-commune.fr", "MAIRE@exemple-commune.fr", "Maire@Exemple-Commune.fr"] * 2:
        response = _login(client, email=email, password="mauvais-mot-de-passe")

    assert response.status_code == 429
    assert _login(client, email=EMAIL.upper()).status_code == 429


def test_lockout_is_per_account(client, user):
    for _ in range(5):
        _login(client, password="mauvais-mot-de-passe")
    other = User.objects.create_user("adjointe@exemple-commune.fr", PASSWORD)

    response = _login(client, email=other.email)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(other.pk)


def test_logout_is_a_post(client, user):
    client.force_login(user)

    assert client.get(reverse("accounts:logout")).status_code == 405
    assert _is_logged_in(client)

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse(settings.LOGOUT_REDIRECT_URL)
    assert not _is_logged_in(client)


def test_password_reset_by_email_then_login_with_the_new_password(client, user, mailoutbox):
    response = client.post(reverse("accounts:password_reset"), {"email": EMAIL})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [EMAIL]
    assert message.subject == "Portail élus santé : réinitialisation de votre mot de passe"
    link = re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)

    # Django swaps the token in the URL for a session-held one, then shows the form.
    response = client.get(link, follow=True)
    assert response.status_code == 200
    assert "Choisir un nouveau mot de passe" in response.content.decode()
    form_url = response.redirect_chain[-1][0]
    new_password = "nouveau-mot-de-passe-2026!"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")

    assert _login(client, password=PASSWORD).status_code == 200  # the old one no longer works
    assert _login(client, password=new_password).status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)

    assert client.get(link, follow=True).context["validlink"] is False  # the link works once


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client, mailoutbox, db):
    response = client.post(reverse("accounts:password_reset"), {"email": "inconnu@exemple.fr"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mailoutbox == []


def _named_urls_without_parameters() -> list[str]:
    """Every named URL of the project (admin apart) that reverses with no argument."""
    names = []

    def walk(patterns, namespace: str | None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                ns = pattern.namespace if namespace is None else f"{namespace}:{pattern.namespace}"
                walk(pattern.url_patterns, ns if pattern.namespace else namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                try:
                    reverse(name)
                except NoReverseMatch:
                    continue
                names.append(name)

    walk(get_resolver().url_patterns, None)
    return sorted(set(names))


def test_the_url_walk_finds_the_known_pages():
    names = _named_urls_without_parameters()
    assert PUBLIC_URL_NAMES <= set(names)
    assert {"portal:home", "accounts:logout"} <= set(names)


@pytest.mark.parametrize("name", sorted(set(_named_urls_without_parameters()) - PUBLIC_URL_NAMES))
def test_anonymous_users_are_sent_to_login(client, db, name):
    url = reverse(name)

    response = client.get(url)

    if url.startswith("/api/"):  # the API (and its schema and docs) refuses instead of redirecting
        assert response.status_code in (401, 403), f"{name} ({url}) answers {response.status_code} to an anonymous user"
    else:
        assert response.status_code == 302, f"{name} ({url}) answers {response.status_code} to an anonymous user"
        assert response["Location"].startswith(f"{LOGIN_URL}?next=")


@pytest.mark.parametrize("name", sorted(PUBLIC_URL_NAMES))
def test_public_pages_answer_anonymous_users(client, db, name):
    assert client.get(reverse(name)).status_code == 200
