"""Pages of the health projects (« Projets de santé ») and of the premises and housing offers.

Access: every read goes through ``Project.objects.visible_to`` (a project out of scope is a 404, never a 403);
every write through ``projects.services``, which checks again. Offers are shown to logged-in users only
(``Offer.objects.visible_to``); anonymous visitors are sent to the login page by the login middleware.

Sharing offers with a candidate: a referent (or an élu) ticks offers in the list and opens « Version à
transmettre », a printable page (login required like every page) that they print or save as PDF and send
themselves. There is no public link: offers, their contacts and their photos never leave the logged-in portal.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from projects import services
from projects.enums import OfferKind, ProjectKind, ProjectStage
from projects.models import Offer, OfferPhoto, Project
from projects.selectors import pipeline, project_detail_queryset
from territories.enums import Level
from territories.models import Territory

from .forms import AidForm, DocumentForm, NextStepForm, OfferForm, ProjectForm, StageForm

MAX_PHOTOS = 5


def _add_errors(form, error: ValidationError) -> None:
    """Service errors onto the form: by field when the form has it, else at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _crumbs(*items):
    return [("Accueil", reverse("portal:home")), *items]


# --- lists ----------------------------------------------------------------------------------------------------


def project_list(request):
    """The referent's pipeline (their département by stage, filters kind and EPCI, late next steps highlighted);
    for an élu, the projects of their territory and, as a summary, those of their neighbours."""
    user = request.user
    today = timezone.localdate()
    visible = Project.objects.visible_to(user)
    kind = request.GET.get("type", "")
    epci_code = request.GET.get("epci", "")
    epcis = []
    if user.is_referent or user.is_portal_admin:
        scope = Territory.objects.filter(level=Level.EPCI)
        if not user.is_portal_admin:
            scope = scope.filter(department_id=user.department_id)
        epcis = list(scope.filter(pk__in=visible.values("epci_id")).order_by("name"))
    if kind in ProjectKind.values:
        visible = visible.filter(kind=kind)
    epci = next((e for e in epcis if e.code == epci_code), None)
    if epci is not None:
        visible = visible.filter(epci=epci)
    columns = pipeline(visible, on=today)
    neighbours = []
    if user.is_elu:
        neighbours = list(
            Project.objects.neighbours_of(user)
            .select_related("territory")
            .by_stage()
            .only("name", "kind", "stage", "territory__name", "territory__level", "territory__code")
        )
    return render(
        request,
        "projects/list.html",
        {
            "columns": columns,
            "count": sum(len(c.projects) for c in columns),
            "late_count": sum(p.is_late for c in columns for p in c.projects),
            "neighbours": neighbours,
            "kinds": ProjectKind.choices,
            "kind": kind,
            "epcis": epcis,
            "epci_code": epci.code if epci else "",
            "can_create": user.is_elu and user.territory_id is not None,
            "crumbs": _crumbs(("Projets de santé", None)),
        },
    )


def project_create(request):
    """An élu's new project on their territory (commune or EPCI)."""
    user = request.user
    if not (user.is_elu and user.territory_id):
        raise PermissionDenied("Seuls les élus créent un projet, sur leur territoire.")
    form = ProjectForm(request.POST or None, territory=user.territory)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.create_project(user=user, territory=user.territory, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Projet créé. La CPAM (exercice coordonné) le voit dans son suivi.")
            return redirect("projects:detail", project.pk)
    return render(
        request,
        "projects/form.html",
        {
            "form": form,
            "title": "Nouveau projet de santé",
            "crumbs": _crumbs(("Projets de santé", reverse("projects:list")), ("Nouveau projet", None)),
        },
    )


# --- one project ----------------------------------------------------------------------------------------------


def project_detail(request, project_id):
    """A project: its state, next step, aids, documents, journal; and the forms of whoever may edit it (everyone
    who sees it)."""
    project = get_object_or_404(project_detail_queryset(request.user), pk=project_id)
    return _render_detail(request, project)


def _render_detail(request, project, **forms):
    today = timezone.localdate()
    context = {
        "project": project,
        "stages": [(value, label, i) for i, (value, label) in enumerate(ProjectStage.choices)],
        "stage_index": ProjectStage.values.index(project.stage),
        "is_late": bool(project.next_step and project.next_step_due and project.next_step_due < today),
        "stage_form": forms.get("stage_form") or StageForm(initial={"stage": project.stage}),
        "next_step_form": forms.get("next_step_form")
        or NextStepForm(
            project=project,
            initial={
                "next_step": project.next_step,
                "owner": project.next_step_owner_id or "",
                "due_on": project.next_step_due,
            },
        ),
        "aid_form": forms.get("aid_form") or AidForm(),
        "document_form": forms.get("document_form") or DocumentForm(),
        "crumbs": _crumbs(("Projets de santé", reverse("projects:list")), (project.name, None)),
    }
    status = 400 if forms else 200
    return render(request, "projects/detail.html", context, status=status)


def _post_form(request, project_id, form_class, key, action, success, **form_kwargs):
    """Validate ``form_class``, run ``action(project, cleaned_data)`` (a service), redirect or re-render with
    the French errors (400)."""
    if request.method != "POST":
        return redirect("projects:detail", project_id)
    project = get_object_or_404(project_detail_queryset(request.user), pk=project_id)
    form = form_class(request.POST, **({"project": project} if form_kwargs.get("with_project") else {}))
    if form.is_valid():
        try:
            action(project, form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, success)
            return redirect("projects:detail", project.pk)
    return _render_detail(request, project, **{key: form})


@require_POST
def project_stage(request, project_id):
    return _post_form(
        request,
        project_id,
        StageForm,
        "stage_form",
        lambda p, d: services.change_stage(user=request.user, project_id=p.pk, stage=d["stage"], reason=d["reason"]),
        "Stade mis à jour.",
    )


@require_POST
def project_next_step(request, project_id):
    return _post_form(
        request,
        project_id,
        NextStepForm,
        "next_step_form",
        lambda p, d: services.set_next_step(
            user=request.user, project_id=p.pk, next_step=d["next_step"], owner=d["owner"], due_on=d["due_on"]
        ),
        "Prochaine étape enregistrée.",
        with_project=True,
    )


@require_POST
def project_aid(request, project_id):
    return _post_form(
        request,
        project_id,
        AidForm,
        "aid_form",
        lambda p, d: services.record_aid(
            user=request.user, project_id=p.pk, aid=d["aid"], status=d["status"], amount=d["amount"]
        ),
        "Aide enregistrée.",
    )


@require_POST
def project_document(request, project_id):
    return _post_form(
        request,
        project_id,
        DocumentForm,
        "document_form",
        lambda p, d: services.attach_document(user=request.user, project_id=p.pk, **d),
        "Document joint.",
    )


def project_edit(request, project_id):
    """Name, kind, porteur, commune d'implantation and blockers (journaled)."""
    project = get_object_or_404(Project.objects.visible_to(request.user).select_related("territory"), pk=project_id)
    initial = {f: getattr(project, f) for f in services.EDITABLE_FIELDS}
    form = ProjectForm(request.POST or None, initial=initial, territory=project.territory)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_details(user=request.user, project_id=project.pk, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Projet modifié.")
            return redirect("projects:detail", project.pk)
    return render(
        request,
        "projects/form.html",
        {
            "form": form,
            "project": project,
            "title": f"Modifier « {project.name} »",
            "crumbs": _crumbs(
                ("Projets de santé", reverse("projects:list")),
                (project.name, reverse("projects:detail", args=[project.pk])),
                ("Modifier", None),
            ),
        },
        status=400 if form.is_bound else 200,
    )


# --- offers ---------------------------------------------------------------------------------------------------


def _offers(request):
    today = timezone.localdate()
    offers = Offer.objects.visible_to(request.user).current(on=today).select_related("commune", "commune__department")
    kind = request.GET.get("type", "")
    if kind in OfferKind.values:
        offers = offers.filter(kind=kind)
    department = request.GET.get("departement", "")
    if department:
        offers = offers.filter(commune__department__code=department)
    elif request.user.is_referent and request.user.department_id:
        offers = offers.filter(commune__department_id=request.user.department_id)
    elif request.user.is_elu and request.user.territory_id:
        offers = offers.filter(commune__department_id=request.user.territory.department_id)
    return offers.order_by("available_from", "title"), kind, department


def offer_list(request):
    """Current offers (the user's département by default), to share with a candidate through a printable page."""
    offers, kind, department = _offers(request)
    editable = set(Offer.objects.editable_by(request.user).values_list("pk", flat=True))
    return render(
        request,
        "projects/offers.html",
        {
            "offers": list(offers.prefetch_related("photos")[:200]),
            "editable": editable,
            "kinds": OfferKind.choices,
            "kind": kind,
            "department": department,
            "can_publish": request.user.is_elu and request.user.territory_id is not None,
            "crumbs": _crumbs(("Locaux et logements", None)),
        },
    )


def offer_print(request):
    """The offers ticked in the list (``?offre=<uuid>``…), as a page to print or save as PDF and send to a
    candidate. Login required like every page: no public link exists."""
    ids = request.GET.getlist("offre")[:50]
    try:
        offers = list(
            Offer.objects.visible_to(request.user)
            .current(on=timezone.localdate())
            .filter(pk__in=ids)
            .select_related("commune")
            .order_by("commune__name", "title")
        )
    except ValidationError:
        raise Http404("Offre introuvable.") from None
    return render(request, "projects/offers_print.html", {"offers": offers})


def offer_create(request):
    user = request.user
    if not (user.is_elu and user.territory_id):
        raise PermissionDenied("Seuls les élus publient une offre, sur leur territoire.")
    form = OfferForm(request.POST or None, user=user)
    photos = request.FILES.getlist("photos")
    if request.method == "POST" and form.is_valid():
        try:
            if len(photos) > MAX_PHOTOS:
                raise ValidationError(f"{MAX_PHOTOS} photos au plus.")
            for upload in photos:
                forms.ImageField().clean(upload)  # a real JPEG/PNG image, French message otherwise
            with transaction.atomic():
                offer = services.publish_offer(user=user, **form.cleaned_data)
                for upload in photos:
                    OfferPhoto.objects.create(offer=offer, image=upload)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Offre publiée jusqu'au {offer.expires_on:%d/%m/%Y} (renouvelable).")
            return redirect("projects:offers")
    return render(
        request,
        "projects/offer_form.html",
        {
            "form": form,
            "crumbs": _crumbs(("Locaux et logements", reverse("projects:offers")), ("Publier une offre", None)),
        },
        status=400 if form.is_bound else 200,
    )


@require_POST
def offer_renew(request, offer_id):
    try:
        offer = services.renew_offer(user=request.user, offer_id=offer_id)
    except Offer.DoesNotExist:
        raise Http404("Offre introuvable.") from None
    messages.success(request, f"Offre « {offer.title} » renouvelée jusqu'au {offer.expires_on:%d/%m/%Y}.")
    return redirect("projects:offers")


@require_POST
def offer_withdraw(request, offer_id):
    try:
        offer = services.withdraw_offer(user=request.user, offer_id=offer_id)
    except Offer.DoesNotExist:
        raise Http404("Offre introuvable.") from None
    messages.success(request, f"Offre « {offer.title} » retirée.")
    return redirect("projects:offers")


def offer_photo(request, photo_id: int):
    """A photo of an offer, served to logged-in users only (files are outside the public media root)."""
    photo = get_object_or_404(OfferPhoto.objects.filter(offer__in=Offer.objects.visible_to(request.user)), pk=photo_id)
    return FileResponse(photo.image.open("rb"))
