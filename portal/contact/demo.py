"""Demonstration requests to the CPAM for the demo accounts (portal/accounts/demo.py): `make run` shows an
élu's "Mes demandes" and the Isère referent's inbox with something in them.

Idempotent: a request is identified by its requester and subject. No e-mail is sent (messages are marked as
notified). Only in demo mode, like the accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from portal.accounts.demo import DEMO_ACCOUNTS
from portal.accounts.enums import ReferentDomain, Role
from portal.accounts.models import User

from .enums import RequestStatus
from .models import ContactMessage, ContactRequest
from .services import due_date


@dataclass(frozen=True)
class DemoRequest:
    requester_level: str  # which demo élu writes: "commune" (Mens) or "epci" (CC du Trièves)
    topic: str
    subject: str
    body: str
    days_ago: int
    status: str = RequestStatus.NEW
    answer: str = ""


DEMO_REQUESTS = [
    DemoRequest(
        requester_level="commune",
        topic=ReferentDomain.EXERCICE_COORDONNE,
        subject="Départ en retraite du médecin généraliste de Mens",
        body=(
            "Le docteur qui suit une grande partie des habitants de Mens part en retraite à la fin de l'année. "
            "La commune peut mettre un local à disposition. Quelles aides existent pour attirer un successeur, "
            "et la CPAM peut-elle nous mettre en relation avec des jeunes médecins ?"
        ),
        days_ago=20,
    ),
    DemoRequest(
        requester_level="epci",
        topic=ReferentDomain.DONNEES_TERRITORIALES,
        subject="Diagnostic de l'offre de soins pour le contrat local de santé du Trièves",
        body=(
            "Nous préparons un contrat local de santé. Pouvez-vous nous transmettre les indicateurs d'accès aux "
            "soins du territoire (densité de médecins, patients sans médecin traitant) par commune ?"
        ),
        days_ago=4,
        status=RequestStatus.IN_PROGRESS,
        answer=(
            "Bonjour, je prends en charge votre demande. Je vous transmets d'ici la fin de la semaine prochaine "
            "les indicateurs par commune ; la fiche territoire du portail en donne déjà une bonne partie."
        ),
    ),
    DemoRequest(
        requester_level="commune",
        topic=ReferentDomain.PREVENTION,
        subject="Campagne de dépistage du cancer colorectal au marché de Mens",
        body=(
            "Le CCAS souhaite organiser une journée d'information sur le dépistage au marché. La CPAM peut-elle "
            "fournir des supports et un intervenant ?"
        ),
        days_ago=15,
        status=RequestStatus.ANSWERED,
        answer=(
            "Bonjour, oui : nous pouvons venir avec des kits et des supports. Je vous propose d'en parler par "
            "téléphone pour fixer une date."
        ),
    ),
]


def _demo_users() -> dict[str, User]:
    emails = {a.email: a for a in DEMO_ACCOUNTS if a.role in (Role.ELU, Role.REFERENT)}
    users = {}
    for user in User.objects.filter(email__in=emails).select_related("territory", "department"):
        account = emails[user.email]
        users[account.level if account.role == Role.ELU else "referent"] = user
    return users


@transaction.atomic
def create_demo_requests() -> tuple[int, int]:
    """Create the missing demo requests; returns (created, already there). Nothing without the demo accounts."""
    users = _demo_users()
    referent = users.get("referent")
    created = existing = 0
    now = timezone.now()
    for demo in DEMO_REQUESTS:
        requester = users.get(demo.requester_level)
        if requester is None or referent is None:
            continue
        if ContactRequest.objects.filter(requester=requester, subject=demo.subject).exists():
            existing += 1
            continue
        territory = requester.territory
        sent = now - timedelta(days=demo.days_ago)
        request = ContactRequest(
            territory=territory,
            department_id=territory.department_id,
            requester=requester,
            topic=demo.topic,
            subject=demo.subject,
            due_on=due_date(timezone.localdate(sent)),
            status=demo.status,
            assignee=referent if demo.status != RequestStatus.NEW else None,
        )
        request._history_user = requester
        request.save()
        messages = [ContactMessage(request=request, author=requester, body=demo.body, from_cpam=False)]
        if demo.answer:
            messages.append(ContactMessage(request=request, author=referent, body=demo.answer, from_cpam=True))
        for i, message in enumerate(messages):
            message.save()
            # Dated in the past, and already notified: the demo sends no e-mail.
            at = sent + timedelta(days=i * 2)
            ContactMessage.objects.filter(pk=message.pk).update(created_at=at, notified_at=at)
        ContactRequest.objects.filter(pk=request.pk).update(created_at=sent)
        created += 1
    return created, existing
