"""Requests to the CPAM: rules, services, routing of the notifications, history, database invariants.

World (tests/contact/conftest.py): D1 holds E1 (communes A, A2) and E2 (commune B); D2 holds E3 (commune C).
"""

from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.accounts.enums import ReferentDomain
from portal.contact import perms, services
from portal.contact.enums import RequestStatus
from portal.contact.models import ContactMessage, ContactRequest
from portal.documents.enums import DocumentStatus
from tests.factories import DepartmentFactory, EluFactory, EpciFactory, ReferentFactory

from .factories import ready_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run a service and its on-commit notifications (as at the end of a real transaction)."""

    def run(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return run


def new_request(on_commit, world, *, user=None, territory=None, topic=ReferentDomain.EXERCICE_COORDONNE, **kw):
    return on_commit(
        services.create_request,
        user=user or world.elu_a,
        territory=territory or world.a,
        topic=topic,
        subject=kw.pop("subject", "Départ du médecin"),
        body=kw.pop("body", "Le médecin de la commune part en juin."),
        **kw,
    )


# --- dates ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 3, 2), 10, date(2026, 3, 16)),  # Monday + 10 working days: Monday two weeks later
        (date(2026, 3, 6), 1, date(2026, 3, 9)),  # Friday + 1: Monday
        (date(2026, 3, 7), 1, date(2026, 3, 9)),  # Saturday + 1: Monday
        (date(2026, 3, 6), 0, date(2026, 3, 6)),
    ],
)
def test_add_working_days_skips_weekends(start, days, expected):
    assert services.add_working_days(start, days) == expected


def test_due_date_follows_the_setting(world, on_commit, settings):
    settings.CONTACT_DUE_DAYS = 3
    contact_request = new_request(on_commit, world)
    assert contact_request.due_on == services.add_working_days(timezone.localdate(), 3)


# --- visibility ---------------------------------------------------------------------------------------------------


def test_visible_to(world, on_commit):
    on_a = new_request(on_commit, world)
    on_a2 = new_request(on_commit, world, user=world.elu_a2, territory=world.a2)
    on_e1 = new_request(on_commit, world, user=world.elu_e1, territory=world.e1)
    on_b = new_request(on_commit, world, user=world.elu_b, territory=world.b)
    on_c = new_request(on_commit, world, user=world.elu_c, territory=world.c)

    def visible(user):
        return set(ContactRequest.objects.visible_to(user))

    assert visible(world.elu_a) == {on_a}
    assert visible(world.elu_a2) == {on_a2}  # not the sibling commune's
    assert visible(world.elu_e1) == {on_a, on_a2, on_e1}  # the EPCI and its communes
    assert visible(world.elu_b) == {on_b}
    assert visible(world.referent_d1) == {on_a, on_a2, on_e1, on_b}
    assert visible(world.referent_d2) == {on_c}
    assert visible(world.admin) == {on_a, on_a2, on_e1, on_b, on_c}
    orphan = EluFactory(territory=None)
    assert visible(orphan) == set()


def test_who_may_create_where(world):
    assert perms.can_create(world.elu_a, world.a)
    assert not perms.can_create(world.elu_a, world.e1)  # their EPCI is not theirs to speak for
    assert not perms.can_create(world.elu_a, world.a2)
    assert perms.can_create(world.elu_e1, world.e1) and perms.can_create(world.elu_e1, world.a2)
    assert not perms.can_create(world.elu_e1, world.b)
    assert not perms.can_create(world.elu_a, world.d1)
    for handler in (world.referent_d1, world.admin):
        assert not perms.can_create(handler, world.a)  # the CPAM answers, it does not ask


def test_a_referent_cannot_create(world, on_commit):
    with pytest.raises(services.ContactNotAllowed):
        new_request(on_commit, world, user=world.referent_d1)
    with pytest.raises(services.ContactNotAllowed):
        new_request(on_commit, world, user=world.elu_a, territory=world.b)
    assert not ContactRequest.objects.exists()


# --- creation and routing ---------------------------------------------------------------------------------------


def test_create_request_saves_request_first_message_and_history(world, on_commit):
    contact_request = new_request(on_commit, world, subject="  Départ du médecin  ")
    assert contact_request.department == world.d1
    assert (contact_request.status, contact_request.subject, contact_request.assignee) == (
        RequestStatus.NEW,
        "Départ du médecin",
        None,
    )
    message = contact_request.messages.get()
    assert (message.author, message.from_cpam, message.notified_at is not None) == (world.elu_a, False, True)
    record = contact_request.history.get()
    assert (record.history_type, record.history_user, record.status) == ("+", world.elu_a, RequestStatus.NEW)


@pytest.mark.parametrize(
    ("topic", "recipients"),
    [
        (ReferentDomain.PREVENTION, ["referent_d1_prev"]),
        (ReferentDomain.EXERCICE_COORDONNE, ["referent_d1"]),
        (ReferentDomain.ACCES_AUX_DROITS, ["referent_d1", "referent_d1_prev"]),  # no one of the domain: all of D1
    ],
)
def test_notification_goes_to_the_referents_of_the_domain_and_departement_only(world, on_commit, topic, recipients):
    ReferentFactory(department=world.d1, referent_domains=[ReferentDomain.PREVENTION], is_active=False)
    contact_request = new_request(on_commit, world, topic=topic)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert sorted(email.to) == sorted(getattr(world, name).email for name in recipients)
    assert world.referent_d2.email not in email.to
    assert email.subject == f"Nouvelle demande d'élu — {world.a.name} : Départ du médecin"
    assert "Le médecin de la commune part en juin." in email.body
    assert f"https://portail.exemple.fr/demandes/{contact_request.pk}/" in email.body
    assert "&#x27;" not in email.body and "&amp;" not in email.body  # plain text, not HTML-escaped


def test_departement_without_referent_goes_to_the_admin_address(on_commit, world, settings):
    lonely = DepartmentFactory(region=world.region, with_geometry=False)
    epci = EpciFactory(department=lonely, region=world.region, with_geometry=False)
    elu = EluFactory(territory=epci)
    new_request(on_commit, world, user=elu, territory=epci)
    assert mail.outbox[-1].to == [world.admin.email]  # no CONTACT_ADMIN_EMAIL: the administrators
    settings.CONTACT_ADMIN_EMAIL = "support@portail.exemple.fr"
    new_request(on_commit, world, user=elu, territory=epci)
    assert mail.outbox[-1].to == ["support@portail.exemple.fr"]


def test_create_request_validates_text(world, on_commit):
    with pytest.raises(ValidationError) as error:
        new_request(on_commit, world, body="court")
    assert error.value.message_dict == {"body": ["Le message est trop court (10 caractères au moins)."]}
    with pytest.raises(ValidationError) as error:
        new_request(on_commit, world, subject="x" * 201)
    assert error.value.message_dict == {"subject": ["L'objet ne doit pas dépasser 200 caractères."]}
    with pytest.raises(ValidationError):
        new_request(on_commit, world, topic="inconnu")
    assert not ContactRequest.objects.exists() and not mail.outbox


# --- attachments ---------------------------------------------------------------------------------------------


def test_attachment_rules(world, on_commit):
    own = ready_document(world.a, world.elu_a)
    others = ready_document(world.a, world.elu_e1)  # same territory, but not asked for by this élu
    elsewhere = ready_document(world.b, world.elu_a)
    pending = ready_document(world.a, world.elu_a)
    type(pending).objects.filter(pk=pending.pk).update(status=DocumentStatus.RUNNING)
    pending.refresh_from_db()
    for document in (others, elsewhere, pending):
        with pytest.raises(ValidationError) as error:
            new_request(on_commit, world, document=document)
        assert error.value.message_dict["document"] == [
            "Ce document ne peut pas être joint : choisissez une fiche ou une carte prête de ce territoire parmi vos "
            "documents."
        ]
    contact_request = new_request(on_commit, world, document=own)
    assert contact_request.messages.get().document == own
    # Shared with the referents of the département so that they can download it (documents:download).
    assert set(own.requesters.all()) == {world.elu_a, world.referent_d1, world.referent_d1_prev}
    # A fiche of a commune may go with a request on its EPCI.
    commune_fiche = ready_document(world.a2, world.elu_e1)
    on_epci = new_request(on_commit, world, user=world.elu_e1, territory=world.e1, document=commune_fiche)
    assert on_epci.messages.get().document == commune_fiche


# --- reply, assign, status, close -----------------------------------------------------------------------------


def test_referent_reply_answers_takes_and_notifies_the_elu(world, on_commit):
    contact_request = new_request(on_commit, world)
    mail.outbox.clear()
    fiche = ready_document(world.a, world.referent_d1)
    on_commit(services.reply, user=world.referent_d1, request=contact_request, body="Voici la fiche.", document=fiche)
    contact_request.refresh_from_db()
    assert (contact_request.status, contact_request.assignee) == (RequestStatus.ANSWERED, world.referent_d1)
    assert [m.to for m in mail.outbox] == [[world.elu_a.email]]
    assert mail.outbox[0].subject == "Réponse de la CPAM — Départ du médecin"
    assert "Voici la fiche." in mail.outbox[0].body
    assert world.elu_a in fiche.requesters.all()  # the élu may download what was sent
    answer = contact_request.messages.order_by("created_at", "pk").last()
    assert answer.from_cpam and answer.notified_at is not None


def test_elu_reply_reopens_the_request_and_goes_to_the_assignee(world, on_commit):
    contact_request = new_request(on_commit, world)
    on_commit(services.reply, user=world.referent_d1, request=contact_request, body="Réponse.")
    mail.outbox.clear()
    on_commit(services.reply, user=world.elu_a, request=contact_request, body="Merci, une précision ?")
    contact_request.refresh_from_db()
    assert contact_request.status == RequestStatus.IN_PROGRESS
    assert [m.to for m in mail.outbox] == [[world.referent_d1.email]]
    assert mail.outbox[0].subject.startswith("Nouveau message d'élu")

    unassigned = new_request(on_commit, world, subject="Autre")
    services.close(user=world.elu_a, request=unassigned)
    on_commit(services.reply, user=world.elu_a, request=unassigned, body="Finalement, pas réglé.")
    unassigned.refresh_from_db()
    assert (unassigned.status, unassigned.closed_at) == (RequestStatus.NEW, None)


def test_elus_cannot_handle_and_others_cannot_touch(world, on_commit):
    contact_request = new_request(on_commit, world)
    for user in (world.elu_a, world.elu_e1, world.referent_d2):
        with pytest.raises(services.ContactNotAllowed):
            services.assign(user=user, request=contact_request, assignee=world.referent_d1)
        with pytest.raises(services.ContactNotAllowed):
            services.set_status(user=user, request=contact_request, status=RequestStatus.CLOSED)
    # Closing: the élu who wrote it, not another élu, not even the EPCI's who sees it.
    for user in (world.elu_b, world.elu_a2, world.elu_e1, world.referent_d2):
        with pytest.raises(services.ContactNotAllowed):
            services.close(user=user, request=contact_request)
    for user in (world.elu_b, world.elu_a2, world.referent_d2):
        with pytest.raises(services.ContactNotAllowed):
            services.reply(user=user, request=contact_request, body="Intrusion")
    with pytest.raises(services.ContactNotAllowed):
        services.reply(user=world.elu_a, request=contact_request, body="Je clôture", status=RequestStatus.CLOSED)
    contact_request.refresh_from_db()
    assert (contact_request.status, contact_request.assignee, contact_request.messages.count()) == (
        RequestStatus.NEW,
        None,
        1,
    )
    services.close(user=world.elu_a, request=contact_request)
    contact_request.refresh_from_db()
    assert contact_request.status == RequestStatus.CLOSED and contact_request.closed_at is not None


def test_assignee_must_be_a_referent_of_the_departement(world, on_commit):
    contact_request = new_request(on_commit, world)
    for assignee in (world.referent_d2, world.elu_a, world.admin):
        with pytest.raises(ValidationError) as error:
            services.assign(user=world.admin, request=contact_request, assignee=assignee)
        assert error.value.message_dict == {"assignee": ["Choisissez un référent CPAM du département de la demande."]}
    services.assign(user=world.admin, request=contact_request, assignee=world.referent_d1_prev)
    contact_request.refresh_from_db()
    assert (contact_request.status, contact_request.assignee) == (RequestStatus.IN_PROGRESS, world.referent_d1_prev)


def test_history_records_status_and_assignee_changes(world, on_commit):
    contact_request = new_request(on_commit, world)
    services.assign(user=world.referent_d1, request=contact_request, assignee=world.referent_d1)
    services.set_status(user=world.referent_d1, request=contact_request, status=RequestStatus.CLOSED)
    services.set_status(user=world.admin, request=contact_request, status=RequestStatus.IN_PROGRESS)
    records = list(contact_request.history.order_by("history_date", "history_id"))
    assert [(r.status, r.assignee_id, r.history_user) for r in records] == [
        (RequestStatus.NEW, None, world.elu_a),
        (RequestStatus.IN_PROGRESS, world.referent_d1.pk, world.referent_d1),
        (RequestStatus.CLOSED, world.referent_d1.pk, world.referent_d1),
        (RequestStatus.IN_PROGRESS, world.referent_d1.pk, world.admin),
    ]
    assert records[2].closed_at is not None and records[3].closed_at is None
    with pytest.raises(ValidationError):
        services.set_status(user=world.admin, request=contact_request, status="perdue")


# --- database invariants ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "perdue"},
        {"topic": "inconnu"},
        {"status": RequestStatus.CLOSED},  # closed without a closing date
        {"closed_at": timezone.now()},  # a closing date on an open request
        {"subject": ""},
    ],
)
def test_database_constraints(world, fields):
    base = {
        "territory": world.a,
        "department": world.d1,
        "topic": ReferentDomain.PREVENTION,
        "subject": "Objet",
        "due_on": date(2026, 1, 1),
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactRequest.objects.create(**{**base, **fields})


def test_message_body_is_required_in_the_database(world):
    contact_request = ContactRequest.objects.create(
        territory=world.a, department=world.d1, topic="prevention", subject="Objet", due_on=date(2026, 1, 1)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactMessage.objects.create(request=contact_request, body="")
