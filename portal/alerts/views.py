"""Pages of the early-warning signals: reporting a weak signal, the reported signals, the CPAM view.

Access: reading reported signals goes through ``ReportedSignal.objects.visible_to`` (a reported signal of
another territory is a 404, never a 403: no existence leak); reporting and follow-up through
``territories.signal_perms``; the CPAM view is for referents (their département) and administrators
(a département of their choice); élus get a 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from portal.alerts.forms import CpamTerritoryFilter, ReportedSignalForm, StatusForm
from portal.territory import selectors
from territories.enums import Level, ReportedSignalStatus
from territories.models import ReportedSignal, Territory
from territories.services.signals import report_signal, set_reported_signal_status
from territories.signal_perms import can_follow_up, can_report_signal
from territories.signal_selectors import territories_by_signal_level

CPAM_PAGE_SIZE = 50
REPORTED_PAGE_SIZE = 30


def report(request, level: str, code: str):
    """Form: report a weak signal on a commune or an EPCI."""
    territory = selectors.get_visible_territory(user=request.user, level=level, code=code)
    if not can_report_signal(request.user, territory):
        raise PermissionDenied("Vous ne pouvez pas signaler sur ce territoire.")
    form = ReportedSignalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report_signal(user=request.user, territory=territory, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Merci : votre signal a été transmis au référent CPAM du département.")
            return redirect("portal:territory", territory.level, territory.code)
    return render(
        request,
        "alerts/report_form.html",
        {
            "territory": territory,
            "form": form,
            "crumbs": [
                ("Accueil", reverse("portal:home")),
                (territory.name, reverse("portal:territory", args=[territory.level, territory.code])),
            ],
        },
    )


def reported_list(request):
    """The reported signals the user may read (their territory for an élu, their département for a referent)."""
    status = request.GET.get("statut", "")
    reported = ReportedSignal.objects.visible_to(request.user).select_related("territory", "author")
    if status in ReportedSignalStatus.values:
        reported = reported.filter(status=status)
    else:
        status = ""
    page = Paginator(reported.order_by("-created_at", "-pk"), REPORTED_PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page:
        item.can_follow_up = can_follow_up(request.user, item)
    return render(
        request,
        "alerts/reported_list.html",
        {
            "page": page,
            "status": status,
            "status_query": f"statut={status}" if status else "",
            "statuses": ReportedSignalStatus.choices,
        },
    )


@require_POST
def reported_status(request, uuid):
    """Change the follow-up status of a reported signal (referent of its département, administrator)."""
    reported = get_object_or_404(ReportedSignal.objects.visible_to(request.user).select_related("territory"), uuid=uuid)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    else:
        set_reported_signal_status(user=request.user, reported=reported, status=form.cleaned_data["status"])
        messages.success(request, f"Statut mis à jour : {reported.get_status_display()}.")
    return redirect("portal:reported_signals")


def cpam_territories(request):
    """The referent's territories (communes and EPCI of the département), most worrying first."""
    user = request.user
    departments = None
    if user.is_portal_admin:
        departments = list(Territory.objects.filter(level=Level.DEPARTMENT).order_by("code").only("code", "name"))
        code = request.GET.get("departement", "")
        department = next((d for d in departments if d.code == code), None)
    elif user.is_referent and user.department_id:
        department = user.department
    else:
        raise PermissionDenied("Cette page est réservée aux référents CPAM.")

    page = filterset = None
    if department is not None:
        filterset = CpamTerritoryFilter(request.GET, queryset=Territory.objects.none(), department=department)
        valid = filterset.is_valid()  # invalid parameters: the form shows its errors and the list is empty
        theme = filterset.form.cleaned_data.get("theme") if valid else None
        filterset.queryset = territories_by_signal_level(department=department, theme=theme or None)
        territories = filterset.qs if valid else filterset.queryset.none()
        page = Paginator(territories, CPAM_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "alerts/cpam_territories.html",
        {
            "department": department,
            "departments": departments,
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "any_demo": bool(page) and any(s.is_demo for t in page for s in t.listed_signals),
        },
    )
