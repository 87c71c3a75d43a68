from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from .enums import ReferentDomain
from .models import User


class ReferentDomainsField(forms.MultipleChoiceField):
    """The JSON list of referent domains edited as checkboxes."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(choices=ReferentDomain.choices, **kwargs)

    def prepare_value(self, value):
        return value or []


class UserChangeAdminForm(UserChangeForm):
    referent_domains = ReferentDomainsField(label="domaines du référent", required=False)

    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class UserCreationAdminForm(AdminUserCreationForm):
    referent_domains = ReferentDomainsField(label="domaines du référent", required=False)

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email", "role", "territory", "department", "referent_domains")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "territory", "department", "is_active", "last_login"]
    list_filter = ["role", "is_active", "is_staff"]
    list_select_related = ["territory", "department"]
    search_fields = ["email", "first_name", "last_name", "territory__name", "department__name"]
    # Autocomplete when the Territory admin offers search (see get_autocomplete_fields), raw ids otherwise.
    raw_id_fields = ["territory", "department"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Identité", {"fields": ["first_name", "last_name", "function"]}),
        ("Rôle et périmètre", {"fields": ["role", "territory", "department", "referent_domains"]}),
        ("Droits", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "email",
                    "role",
                    "territory",
                    "department",
                    "referent_domains",
                    "usable_password",
                    "password1",
                    "password2",
                ],
            },
        ),
    ]

    def get_autocomplete_fields(self, request):
        from territories.models import Territory

        territory_admin = self.admin_site._registry.get(Territory)
        if territory_admin is not None and territory_admin.search_fields:
            return ["territory", "department"]
        return []
