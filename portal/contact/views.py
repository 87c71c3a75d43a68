"""Pages of the requests to the CPAM: "Contacter la CPAM", "Mes demandes", "Demandes reçues", a request's thread.

Access: reading goes through ``ContactRequest.objects.visible_to`` (a request out of scope is a 404, never a
403: no existence leak); writing through ``portal.contact.perms`` and the services, which check again. The
CPAM inbox is for referents (their département) and administrators (every département); élus get a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from portal.accounts.models import User
from portal.documents.models import GeneratedDocument
from portal.territory import selectors

from . import perms, services
from .enums import OPEN_STATUSES, RequestStatus
from .forms import AssignForm, ContactRequestForm, InboxFilter, ReplyForm, Sort, StatusForm, sort_requests
from .models import ContactMessage, ContactRequest

PAGE_SIZE = 25


def _add_errors(form, error: ValidationError) -> None:
    """Service errors onto the form: by field when the form has it, else at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _territory_from_query(request):
    """``?territoire=<level>:<code>`` (a visible territory, else 404); without it, the élu's own territory."""
    value = request.GET.get("territoire", "")
    if not value:
        if request.user.is_elu and request.user.territory_id:
            return request.user.territory
        raise PermissionDenied("Seuls les élus écrivent à la CPAM depuis ce formulaire.")
    level, _, code = value.partition(":")
    return selectors.get_visible_territory(user=request.user, level=level, code=code)


def create(request):
    """The « Contacter la CPAM » form: an élu's request about their commune or EPCI (or a commune of their EPCI)."""
    territory = _territory_from_query(request)
    if not perms.can_create(request.user, territory):
        raise PermissionDenied("Vous ne pouvez pas contacter la CPAM au sujet de ce territoire.")
    form = ContactRequestForm(request.POST or None, user=request.user, territory=territory)
    if request.method == "POST" and form.is_valid():
        try:
            contact_request = services.create_request(user=request.user, territory=territory, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                f"Votre demande a été envoyée à la CPAM ({territory.department.name}). Un référent vous répondra "
                f"d'ici le {date_format(contact_request.due_on, 'l j F Y')} ; vous serez prévenu par e-mail.",
            )
            return redirect("contact:detail", contact_request.pk)
    return render(
        request,
        "contact/create.html",
        {
            "territory": territory,
            "form": form,
            "due_on": services.due_date(),
            "crumbs": [
                ("Accueil", reverse("portal:home")),
                (territory.name, reverse("portal:territory", args=[territory.level, territory.code])),
            ],
        },
    )


def _listed(queryset):
    last_message = ContactMessage.objects.filter(request=OuterRef("pk")).order_by("-created_at").values("created_at")
    return queryset.select_related("territory", "department", "assignee").annotate(
        last_message_at=Subquery(last_message[:1])
    )


def my_requests(request):
    """« Mes demandes »: the requests on the élu's territory (and, for an EPCI, on its communes)."""
    user = request.user
    if not user.is_elu:
        return redirect("contact:inbox")
    status = request.GET.get("statut", "")
    requests = ContactRequest.objects.visible_to(user)
    if status in RequestStatus.values:
        requests = requests.filter(status=status)
    else:
        status = ""
    page = Paginator(_listed(requests).order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "contact/my_requests.html",
        {
            "page": page,
            "status": status,
            "statuses": RequestStatus.choices,
            "query": f"statut={status}" if status else "",
            "today": timezone.localdate(),
            "can_create": user.territory_id is not None,
        },
    )


def inbox(request):
    """The « Demandes reçues » inbox: requests of the referent's département (all départements for an administrator)."""
    user = request.user
    if not (user.is_referent and user.department_id) and not user.is_portal_admin:
        raise PermissionDenied("Cette page est réservée aux référents CPAM.")
    filterset = InboxFilter(request.GET, queryset=ContactRequest.objects.visible_to(user), user=user)
    today = timezone.localdate()
    valid = filterset.is_valid()  # invalid parameters: the form shows its errors and the list is empty
    requests = filterset.qs if valid else ContactRequest.objects.none()
    # Counts per status of what the other filters keep (the status filter itself is left out).
    count_filter = InboxFilter(
        _without(request.GET, "statut"), queryset=ContactRequest.objects.visible_to(user), user=user
    )
    counted = count_filter.qs if valid and count_filter.is_valid() else ContactRequest.objects.none()
    counts = counted.aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, due_on__lt=today)),
        **{status.value: Count("pk", filter=Q(status=status)) for status in RequestStatus},
    )
    sort = (filterset.form.cleaned_data.get("tri") if valid else "") or Sort.DUE
    page = Paginator(sort_requests(_listed(requests), sort), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "contact/inbox.html",
        {
            "filter": filterset,
            "page": page,
            "query": _without(request.GET, "page").urlencode(),
            "status_query": _without(_without(request.GET, "page"), "statut").urlencode(),
            "today": today,
            "status_counts": [(status, counts[status.value]) for status in RequestStatus],
            "counts": counts,
            "department": None if user.is_portal_admin else user.department,
        },
    )


def _without(querydict, key: str):
    query = querydict.copy()
    query.pop(key, None)
    return query


def _visible_request(request, request_id) -> ContactRequest:
    return get_object_or_404(
        ContactRequest.objects.visible_to(request.user).select_related(
            "territory", "department", "requester", "assignee"
        ),
        pk=request_id,
    )


def _history(contact_request: ContactRequest) -> list[dict]:
    """Status and assignee changes, oldest first, from the request's history (two queries)."""
    records = list(contact_request.history.select_related("history_user").order_by("history_date", "history_id"))
    assignee_ids = {r.assignee_id for r in records if r.assignee_id}
    names = {u.pk: u.get_full_name() or u.email for u in User.objects.filter(pk__in=assignee_ids)}
    labels = dict(RequestStatus.choices)
    changes, previous = [], None
    for record in records:
        parts = []
        if previous is None:
            parts.append("demande créée")
        else:
            if record.status != previous.status:
                parts.append(f"statut : {labels.get(previous.status)} → {labels.get(record.status)}")
            if record.assignee_id != previous.assignee_id:
                who = names.get(record.assignee_id, "compte supprimé") if record.assignee_id else "personne"
                parts.append(f"prise en charge : {who}")
        if parts:
            changes.append({"date": record.history_date, "user": record.history_user, "changes": parts})
        previous = record
    return changes


@cache_control(private=True, no_store=True)
def detail(request, request_id):
    """A request's thread; POST adds a message (the CPAM's answer, or the élu's follow-up)."""
    user = request.user
    contact_request = _visible_request(request, request_id)
    can_handle = perms.can_handle(user, contact_request)
    # An élu reaching the page sees the request (visible_to), which is what following it up requires.
    can_write = can_handle or user.is_elu
    form = None
    if can_write:
        form = ReplyForm(request.POST or None, user=user, request=contact_request, from_cpam=can_handle)
        if request.method == "POST" and form.is_valid():
            try:
                services.reply(
                    user=user,
                    request=contact_request,
                    body=form.cleaned_data["body"],
                    document=form.cleaned_data.get("document"),
                    status=form.cleaned_data.get("status") if can_handle else None,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    "Votre réponse a été envoyée à l'élu." if can_handle else "Votre message a été transmis à la CPAM.",
                )
                return redirect("contact:detail", contact_request.pk)
    elif request.method == "POST":
        raise PermissionDenied("Vous ne pouvez pas répondre à cette demande.")

    thread = list(
        ContactMessage.objects.filter(request=contact_request)
        .select_related("author", "document", "document__territory")
        .order_by("created_at", "pk")
    )
    document_ids = {m.document_id for m in thread if m.document_id}
    if user.is_superuser or user.is_portal_admin:
        downloadable = document_ids
    else:
        downloadable = set(
            GeneratedDocument.requesters.through.objects.filter(
                user_id=user.pk, generateddocument_id__in=document_ids
            ).values_list("generateddocument_id", flat=True)
        )
    for message in thread:
        message.downloadable = message.document_id in downloadable
    return render(
        request,
        "contact/detail.html",
        {
            "contact_request": contact_request,
            "thread": thread,
            "form": form,
            "can_handle": can_handle,
            "can_close": perms.can_close(user, contact_request) and contact_request.status != RequestStatus.CLOSED,
            "can_take": perms.is_referent_of(user, contact_request.department_id)
            and contact_request.assignee_id != user.pk,
            "assign_form": AssignForm(request=contact_request) if can_handle else None,
            "status_form": StatusForm(initial={"status": contact_request.status}, auto_id="changement_%s")
            if can_handle
            else None,
            "history": _history(contact_request) if can_handle else None,
            "is_overdue": contact_request.is_overdue(),
            "today": timezone.localdate(),
            "crumbs": [
                ("Accueil", reverse("portal:home")),
                ("Demandes reçues", reverse("contact:inbox"))
                if can_handle
                else ("Mes demandes", reverse("contact:list")),
            ],
        },
    )


def _action(request, contact_request: ContactRequest, action, success: str):
    """Run ``action(contact_request)`` (a service call) and come back to the request with a French message."""
    try:
        action(contact_request)
    except services.ContactNotAllowed:
        raise PermissionDenied("Action non autorisée sur cette demande.") from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)
    return redirect("contact:detail", contact_request.pk)


@require_POST
def take(request, request_id):
    """« Prendre en charge »: the referent assigns the request to themselves."""
    return _action(
        request,
        _visible_request(request, request_id),
        lambda r: services.assign(user=request.user, request=r, assignee=request.user),
        "Vous avez pris en charge cette demande.",
    )


@require_POST
def assign(request, request_id):
    contact_request = _visible_request(request, request_id)
    if not perms.can_handle(request.user, contact_request):
        raise PermissionDenied("Vous ne pouvez pas attribuer cette demande.")
    form = AssignForm(request.POST, request=contact_request)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("contact:detail", contact_request.pk)
    assignee = form.cleaned_data["assignee"]
    return _action(
        request,
        contact_request,
        lambda r: services.assign(user=request.user, request=r, assignee=assignee),
        f"Demande attribuée à {assignee.get_full_name() or assignee.email}.",
    )


@require_POST
def change_status(request, request_id):
    contact_request = _visible_request(request, request_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("contact:detail", contact_request.pk)
    status = form.cleaned_data["status"]
    return _action(
        request,
        contact_request,
        lambda r: services.set_status(user=request.user, request=r, status=status),
        f"Statut de la demande : {RequestStatus(status).label}.",
    )


@require_POST
def close(request, request_id):
    return _action(
        request,
        _visible_request(request, request_id),
        lambda r: services.close(user=request.user, request=r),
        "La demande est clôturée.",
    )
