"""Forms and filters of the requests to the CPAM (French labels and error messages)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.formats import date_format

from portal.accounts.enums import ReferentDomain, Role
from portal.accounts.models import User
from portal.documents.models import GeneratedDocument
from territories.enums import Level
from territories.models import Territory

from . import services
from .enums import OPEN_STATUSES, TOPIC_HELP, RequestStatus
from .models import ContactRequest


def _max_length_message(what: str) -> str:
    return what + " ne doit pas dépasser %(limit_value)d caractères (actuellement %(show_value)d)."


class DocumentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, document: GeneratedDocument) -> str:
        made = date_format(timezone.localtime(document.finished_at or document.created_at), "j F Y")
        kind = "carte" if document.is_map else "fiche"
        return f"{document.subject_label} ({kind} du {made})"


def _document_field(*, user, territory: Territory) -> DocumentChoiceField:
    return DocumentChoiceField(
        label="Joindre un document (facultatif)",
        help_text="Une fiche territoire ou une carte prête de ce territoire, parmi vos documents.",
        queryset=services.attachable_documents(user=user, territory=territory),
        required=False,
        empty_label="Aucun document joint",
        widget=forms.Select(attrs={"class": "fr-select"}),
        error_messages={"invalid_choice": services.DOCUMENT_NOT_ALLOWED},
    )


class _MessageBodyMixin:
    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if len(body) < self.min_body:
            raise forms.ValidationError(f"Votre message est trop court ({self.min_body} caractères au moins).")
        return body


class ContactRequestForm(_MessageBodyMixin, forms.Form):
    """« Contacter la CPAM »: an élu's request about one territory."""

    min_body = services.BODY_MIN

    topic = forms.ChoiceField(
        label="Domaine de votre demande",
        choices=ReferentDomain.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez le domaine de votre demande.",
            "invalid_choice": "Choisissez un domaine dans la liste.",
        },
    )
    subject = forms.CharField(
        label="Objet",
        help_text="En une ligne, par exemple : « Départ en retraite du médecin de la commune en juin ».",
        max_length=services.SUBJECT_MAX,
        widget=forms.TextInput(attrs={"class": "fr-input"}),
        error_messages={"required": "Indiquez l'objet de votre demande.", "max_length": _max_length_message("L'objet")},
    )
    body = forms.CharField(
        label="Votre message",
        help_text="Le contexte, votre question, ce que vous attendez de la CPAM. Aucune donnée de santé nominative.",
        max_length=services.BODY_MAX,
        widget=forms.Textarea(attrs={"class": "fr-input", "rows": 8}),
        error_messages={"required": "Écrivez votre message.", "max_length": _max_length_message("Le message")},
    )

    def __init__(self, *args, user, territory: Territory, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"] = _document_field(user=user, territory=territory)

    def topic_choices(self) -> list[dict]:
        """The topic radio buttons with each domain's help text (rendered by the template)."""
        value = self["topic"].value()
        return [
            {
                "value": code,
                "label": label,
                "help": TOPIC_HELP[ReferentDomain(code)],
                "checked": value == code,
                "id": f"id_topic_{i}",
            }
            for i, (code, label) in enumerate(ReferentDomain.choices)
        ]


REPLY_STATUS_CHOICES = [
    (RequestStatus.ANSWERED, "répondue : la réponse est complète"),
    (RequestStatus.IN_PROGRESS, "en cours : réponse d'étape, la demande reste ouverte"),
    (RequestStatus.CLOSED, "clôturée"),
]


class ReplyForm(_MessageBodyMixin, forms.Form):
    """A message in a request's thread; the CPAM also chooses the status it leaves the request in."""

    min_body = 2

    body = forms.CharField(
        label="Votre réponse",
        max_length=services.BODY_MAX,
        widget=forms.Textarea(attrs={"class": "fr-input", "rows": 6}),
        error_messages={"required": "Écrivez votre message.", "max_length": _max_length_message("Le message")},
    )

    def __init__(self, *args, user, request: ContactRequest, from_cpam: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"] = _document_field(user=user, territory=request.territory)
        if from_cpam:
            self.fields["status"] = forms.ChoiceField(
                label="Statut de la demande après cette réponse",
                choices=REPLY_STATUS_CHOICES,
                initial=RequestStatus.ANSWERED,
                widget=forms.Select(attrs={"class": "fr-select"}),
                error_messages={
                    "required": "Choisissez le statut de la demande.",
                    "invalid_choice": "Choisissez un statut dans la liste.",
                },
            )
        else:
            self.fields["body"].label = "Votre message"


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label="Statut",
        choices=RequestStatus.choices,
        widget=forms.Select(attrs={"class": "fr-select"}),
        error_messages={"required": "Choisissez un statut.", "invalid_choice": "Choisissez un statut dans la liste."},
    )


class ReferentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user: User) -> str:
        domains = ", ".join(user.get_referent_domains_display())
        return f"{user.get_full_name() or user.email} ({domains})" if domains else user.get_full_name() or user.email


class AssignForm(forms.Form):
    assignee = ReferentChoiceField(
        label="Attribuer à",
        queryset=User.objects.none(),
        empty_label="Choisissez un référent",
        widget=forms.Select(attrs={"class": "fr-select"}),
        error_messages={
            "required": "Choisissez un référent CPAM du département.",
            "invalid_choice": "Choisissez un référent CPAM du département de la demande.",
        },
    )

    def __init__(self, *args, request: ContactRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(
            role=Role.REFERENT, is_active=True, department_id=request.department_id
        ).order_by("last_name", "first_name", "pk")


# --- lists -------------------------------------------------------------------------------------------------------


class Assignment:
    MINE = "moi"
    NOBODY = "personne"
    CHOICES = [(MINE, "prises en charge par moi"), (NOBODY, "non attribuées")]


class Sort:
    DUE = "echeance"
    NEWEST = "recentes"
    OLDEST = "anciennes"
    CHOICES = [
        (DUE, "échéance la plus proche (demandes ouvertes d'abord)"),
        (NEWEST, "plus récentes d'abord"),
        (OLDEST, "plus anciennes d'abord"),
    ]


def sort_requests(queryset, sort: str):
    """Ordered with a unique last key, so that pages never overlap."""
    if sort == Sort.NEWEST:
        return queryset.order_by("-created_at", "-pk")
    if sort == Sort.OLDEST:
        return queryset.order_by("created_at", "pk")
    still_open = Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField())
    return queryset.alias(closed_rank=still_open).order_by("closed_rank", "due_on", "created_at", "pk")


class InboxFilter(django_filters.FilterSet):
    """Filters of the CPAM inbox; ``user`` decides the "mine" filter and, for an administrator, the département."""

    statut = django_filters.ChoiceFilter(
        label="Statut",
        field_name="status",
        choices=RequestStatus.choices,
        empty_label="Tous",
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    domaine = django_filters.ChoiceFilter(
        label="Domaine",
        field_name="topic",
        choices=ReferentDomain.choices,
        empty_label="Tous",
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    attribution = django_filters.ChoiceFilter(
        label="Prise en charge",
        choices=Assignment.CHOICES,
        method="filter_assignment",
        empty_label="Toutes",
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    territoire = django_filters.CharFilter(
        label="Territoire",
        method="filter_territory",
        max_length=100,
        widget=forms.TextInput(attrs={"class": "fr-input", "placeholder": "Nom, code INSEE ou SIREN"}),
    )
    retard = django_filters.BooleanFilter(
        label="En retard seulement", method="filter_overdue", widget=forms.CheckboxInput()
    )
    tri = django_filters.ChoiceFilter(
        label="Trier par",
        choices=Sort.CHOICES,
        method="filter_sort",
        empty_label=None,
        widget=forms.Select(attrs={"class": "fr-select"}),
    )

    class Meta:
        model = ContactRequest
        fields = []

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        form_fields = self.form.fields
        form_fields["statut"].error_messages["invalid_choice"] = "Choisissez un statut dans la liste."
        form_fields["domaine"].error_messages["invalid_choice"] = "Choisissez un domaine dans la liste."
        form_fields["attribution"].error_messages["invalid_choice"] = "Choisissez une option de la liste."
        form_fields["tri"].error_messages["invalid_choice"] = "Choisissez un tri de la liste."
        form_fields["territoire"].error_messages["max_length"] = "100 caractères au plus."
        form_fields["tri"].required = False
        if not (user.is_superuser or user.is_portal_admin):
            del self.filters["departement"]
            del form_fields["departement"]

    departement = django_filters.ModelChoiceFilter(
        label="Département",
        field_name="department",
        to_field_name="code",
        queryset=Territory.objects.filter(level=Level.DEPARTMENT).order_by("code"),
        empty_label="Tous",
        widget=forms.Select(attrs={"class": "fr-select"}),
    )

    def filter_assignment(self, queryset, name, value):
        if value == Assignment.MINE:
            return queryset.filter(assignee=self.user)
        if value == Assignment.NOBODY:
            return queryset.filter(assignee__isnull=True)
        return queryset

    def filter_territory(self, queryset, name, value):
        if not value.strip():
            return queryset
        found = Territory.objects.search(value).values("pk")
        return queryset.filter(Q(territory__in=found) | Q(territory__epci__in=found))

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(status__in=OPEN_STATUSES, due_on__lt=timezone.localdate()) if value else queryset

    def filter_sort(self, queryset, name, value):
        return queryset  # applied by the view after counting (see ``sort_requests``)
