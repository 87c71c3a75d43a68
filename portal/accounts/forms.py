from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Adresse e-mail", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        "invalid_login": "Adresse e-mail ou mot de passe incorrect. Après plusieurs échecs, le compte est bloqué temporairement.",
        "inactive": "Ce compte est désactivé.",
    }

    def clean_username(self):
        # Accounts store e-mails in lower case (UserManager); people type them as they like.
        return self.cleaned_data["username"].strip().lower()


def axes_username(request, credentials: dict | None) -> str:
    """The login that django-axes counts failures for: the e-mail as typed, in lower case."""
    source = credentials or (request.POST if request is not None else {})
    return (source.get("username") or "").strip().lower()
