"""Pages of the requests to the CPAM: form, lists, thread, actions; access boundaries; query counts.

World (tests/contact/conftest.py): D1 holds E1 (communes A, A2) and E2 (commune B); D2 holds E3 (commune C).
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portal.accounts.enums import ReferentDomain
from portal.contact import services
from portal.contact.enums import RequestStatus
from portal.contact.models import ContactMessage, ContactRequest
from tests.factories import ReferentFactory

from .factories import ready_document

pytestmark = pytest.mark.django_db


def create_url(territory=None):
    url = reverse("contact:create")
    return f"{url}?territoire={territory.level}:{territory.code}" if territory is not None else url


def detail_url(contact_request):
    return reverse("contact:detail", args=[contact_request.pk])


def make_request(world, *, user=None, territory=None, topic=ReferentDomain.EXERCICE_COORDONNE, subject="Départ"):
    return services.create_request(
        user=user or world.elu_a,
        territory=territory or world.a,
        topic=topic,
        subject=subject,
        body="Le médecin de la commune part en juin.",
    )


@pytest.fixture
def requests_world(world):
    """One request per élu: on A, A2 (élu of A2), E1 (élu of E1), B and C."""
    world.on_a = make_request(world, subject="Demande de A")
    world.on_a2 = make_request(world, user=world.elu_a2, territory=world.a2, subject="Demande de A2")
    world.on_e1 = make_request(world, user=world.elu_e1, territory=world.e1, subject="Demande de la CC E1")
    world.on_b = make_request(world, user=world.elu_b, territory=world.b, subject="Demande de B")
    world.on_c = make_request(world, user=world.elu_c, territory=world.c, subject="Demande de C")
    world.all_requests = [world.on_a, world.on_a2, world.on_e1, world.on_b, world.on_c]
    return world


# --- "Contacter la CPAM" ------------------------------------------------------------------------------------------


def test_form_shows_the_topics_with_their_help_and_the_elus_fiches(client, world):
    fiche = ready_document(world.a, world.elu_a)
    ready_document(world.b, world.elu_a)  # another territory: not offered
    client.force_login(world.elu_a)
    response = client.get(create_url(world.a))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Contacter la CPAM : " + world.a.name in content
    for label in ("Élus territoriaux", "Exercice coordonné", "Prévention", "Accès aux droits", "Données territoriales"):
        assert label in content
    assert "Projet de maison de santé (MSP)" in content  # help text of a domain
    assert list(response.context["form"].fields["document"].queryset) == [fiche]


def test_elu_sends_a_request(client, world, django_capture_on_commit_callbacks):
    fiche = ready_document(world.a, world.elu_a)
    client.force_login(world.elu_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            create_url(world.a),
            {
                "topic": ReferentDomain.PREVENTION,
                "subject": "Dépistage au marché",
                "body": "Le CCAS veut organiser une journée de dépistage.",
                "document": str(fiche.pk),
            },
            follow=True,
        )
    contact_request = ContactRequest.objects.get()
    assert response.redirect_chain == [(detail_url(contact_request), 302)]
    content = response.content.decode()
    assert "Votre demande a été envoyée à la CPAM (Isère)" in content
    assert "Le CCAS veut organiser une journée de dépistage." in content
    assert reverse("documents:download", args=[fiche.pk]) in content
    assert (contact_request.topic, contact_request.subject, contact_request.territory) == (
        ReferentDomain.PREVENTION,
        "Dépistage au marché",
        world.a,
    )
    assert [m.to for m in mail.outbox] == [[world.referent_d1_prev.email]]


def test_without_a_territory_the_form_is_for_the_elus_own(client, world):
    client.force_login(world.elu_e1)
    response = client.get(create_url())
    assert response.status_code == 200 and response.context["territory"] == world.e1


def test_who_may_open_the_form(client, world):
    cases = [
        (world.elu_a, world.a, 200),
        (world.elu_a, world.e1, 403),  # visible (above the commune) but not theirs
        (world.elu_a, world.a2, 404),  # not visible at all
        (world.elu_a, world.c, 404),
        (world.elu_e1, world.e1, 200),
        (world.elu_e1, world.a2, 200),  # a commune of their EPCI
        (world.elu_e1, world.b, 404),
        (world.referent_d1, world.a, 403),  # referents answer, they do not ask
        (world.referent_d1, world.c, 404),
        (world.admin, world.a, 403),
    ]
    for user, territory, expected in cases:
        client.force_login(user)
        assert client.get(create_url(territory)).status_code == expected, (user, territory)
        if expected != 200:
            data = {"topic": "prevention", "subject": "Objet", "body": "Une demande qui ne passe pas."}
            assert client.post(create_url(territory), data).status_code == expected
    client.force_login(world.referent_d1)
    assert client.get(create_url()).status_code == 403
    client.force_login(world.elu_a)
    assert client.get(reverse("contact:create") + "?territoire=n-importe-quoi").status_code == 404
    assert not ContactRequest.objects.exists()


def test_form_errors_are_french(client, world):
    client.force_login(world.elu_a)
    content = client.post(create_url(world.a), {"topic": "", "subject": "", "body": ""}).content.decode()
    assert "Choisissez le domaine de votre demande." in content
    assert "Indiquez l&#x27;objet de votre demande." in content
    assert "Écrivez votre message." in content
    content = client.post(
        create_url(world.a), {"topic": "inconnu", "subject": "x" * 201, "body": "court"}
    ).content.decode()
    assert "Choisissez un domaine dans la liste." in content
    assert "L&#x27;objet ne doit pas dépasser 200 caractères (actuellement 201)." in content
    assert "Votre message est trop court (10 caractères au moins)." in content
    content = client.post(create_url(world.a), {"topic": "prevention", "subject": "S", "body": "y" * 5001}).content
    assert "Le message ne doit pas dépasser 5000 caractères (actuellement 5001).".encode() in content
    assert not ContactRequest.objects.exists()


def test_attaching_a_document_the_elu_cannot_access_is_refused(client, world):
    not_theirs = ready_document(world.a, world.elu_e1)  # same commune, asked for by the EPCI's élu
    other_commune = ready_document(world.c, world.elu_c)
    client.force_login(world.elu_a)
    for document in (not_theirs, other_commune):
        response = client.post(
            create_url(world.a),
            {
                "topic": "prevention",
                "subject": "Objet",
                "body": "Une demande avec pièce jointe.",
                "document": document.pk,
            },
        )
        assert response.status_code == 200
        assert response.context["form"].errors["document"] == [
            "Ce document ne peut pas être joint : choisissez une fiche ou une carte prête de ce territoire parmi vos "
            "documents."
        ]
    assert not ContactRequest.objects.exists()


# --- "Mes demandes" and the thread: élus ---------------------------------------------------------------------------


def listed(client, user, url_name="contact:list", **params):
    client.force_login(user)
    response = client.get(reverse(url_name), params)
    assert response.status_code == 200
    return {r.subject for r in response.context["page"]}


def test_elus_see_their_territorys_requests_only(client, requests_world):
    w = requests_world
    assert listed(client, w.elu_a) == {"Demande de A"}
    assert listed(client, w.elu_a2) == {"Demande de A2"}
    assert listed(client, w.elu_e1) == {"Demande de A", "Demande de A2", "Demande de la CC E1"}
    assert listed(client, w.elu_b) == {"Demande de B"}
    assert listed(client, w.elu_c) == {"Demande de C"}
    for user, visible in [
        (w.elu_a, {w.on_a}),
        (w.elu_a2, {w.on_a2}),
        (w.elu_e1, {w.on_a, w.on_a2, w.on_e1}),
        (w.elu_b, {w.on_b}),
    ]:
        client.force_login(user)
        for contact_request in w.all_requests:
            expected = 200 if contact_request in visible else 404
            assert client.get(detail_url(contact_request)).status_code == expected, (user, contact_request.subject)
    client.force_login(w.elu_a)
    content = client.get(reverse("contact:list")).content.decode()
    assert "Demande de A2" not in content and "Demande de B" not in content


def test_elu_list_status_filter_and_referent_redirect(client, requests_world):
    w = requests_world
    services.close(user=w.elu_a, request=w.on_a)
    assert listed(client, w.elu_e1, statut=RequestStatus.CLOSED) == {"Demande de A"}
    assert listed(client, w.elu_e1, statut="n-importe") == {"Demande de A", "Demande de A2", "Demande de la CC E1"}
    client.force_login(w.referent_d1)
    assert client.get(reverse("contact:list"))["Location"] == reverse("contact:inbox")


def test_elu_follows_up_and_closes_their_request(client, requests_world, django_capture_on_commit_callbacks):
    w = requests_world
    client.force_login(w.elu_a)
    page = client.get(detail_url(w.on_a))
    content = page.content.decode()
    assert "Compléter ma demande" in content and "Clôturer ma demande" in content
    assert "Prendre en charge" not in content and "Historique" not in content
    assert "status" not in page.context["form"].fields
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(detail_url(w.on_a), {"body": "Une précision : le départ est avancé à mai."})
    assert response.status_code == 302
    assert w.on_a.messages.count() == 2
    assert mail.outbox[-1].to == [w.referent_d1.email]
    response = client.post(reverse("contact:close", args=[w.on_a.pk]), follow=True)
    assert "La demande est clôturée." in response.content.decode()
    w.on_a.refresh_from_db()
    assert w.on_a.status == RequestStatus.CLOSED


def test_elus_cannot_act_on_others_requests(client, requests_world):
    w = requests_world
    actions = ["contact:take", "contact:close", "contact:status", "contact:assign"]
    client.force_login(w.elu_b)  # does not see A's request at all
    for action in actions:
        assert client.post(reverse(action, args=[w.on_a.pk]), {"status": "cloturee"}).status_code == 404
    assert client.post(detail_url(w.on_a), {"body": "Intrusion dans la demande"}).status_code == 404
    client.force_login(w.elu_e1)  # sees it (a commune of the EPCI), but is neither its author nor the CPAM
    for action in actions:
        data = {"status": "cloturee", "assignee": w.referent_d1.pk}
        assert client.post(reverse(action, args=[w.on_a.pk]), data).status_code == 403, action
    client.force_login(w.elu_a)  # its author: may close, not assign or set a status
    for action in ["contact:take", "contact:assign", "contact:status"]:
        data = {"status": "repondue", "assignee": w.referent_d1.pk}
        assert client.post(reverse(action, args=[w.on_a.pk]), data).status_code == 403, action
    w.on_a.refresh_from_db()
    assert (w.on_a.status, w.on_a.assignee) == (RequestStatus.NEW, None)
    assert w.on_a.messages.count() == 1


# --- the CPAM inbox ------------------------------------------------------------------------------------------------


def test_referents_see_their_departements_requests_only(client, requests_world):
    w = requests_world
    d1 = {"Demande de A", "Demande de A2", "Demande de la CC E1", "Demande de B"}
    assert listed(client, w.referent_d1, "contact:inbox") == d1
    assert listed(client, w.referent_d2, "contact:inbox") == {"Demande de C"}
    empty_department_referent = ReferentFactory()
    assert listed(client, empty_department_referent, "contact:inbox") == set()
    client.force_login(empty_department_referent)
    assert "Aucune demande ne correspond" in client.get(reverse("contact:inbox")).content.decode()
    for contact_request in w.all_requests:
        client.force_login(w.referent_d2)
        expected = 200 if contact_request == w.on_c else 404
        assert client.get(detail_url(contact_request)).status_code == expected
        assert client.post(reverse("contact:take", args=[contact_request.pk])).status_code in (expected, 302)
    w.on_a.refresh_from_db()
    assert w.on_a.assignee is None
    assert listed(client, w.admin, "contact:inbox") == d1 | {"Demande de C"}
    assert listed(client, w.admin, "contact:inbox", departement=w.d2.code) == {"Demande de C"}
    # The département filter is the administrator's: a referent cannot widen their inbox with it.
    assert listed(client, w.referent_d2, "contact:inbox", departement=w.d1.code) == {"Demande de C"}


def test_elus_have_no_inbox(client, world):
    client.force_login(world.elu_a)
    assert client.get(reverse("contact:inbox")).status_code == 403


def test_inbox_filters_counts_and_sorting(client, requests_world):
    w = requests_world
    services.assign(user=w.referent_d1, request=w.on_a2, assignee=w.referent_d1)
    services.reply(user=w.referent_d1_prev, request=w.on_b, body="Réponse.")
    ContactRequest.objects.filter(pk=w.on_e1.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    ContactRequest.objects.filter(pk=w.on_a.pk).update(topic=ReferentDomain.PREVENTION)
    user = w.referent_d1
    assert listed(client, user, "contact:inbox", statut=RequestStatus.NEW) == {"Demande de A", "Demande de la CC E1"}
    assert listed(client, user, "contact:inbox", domaine=ReferentDomain.PREVENTION) == {"Demande de A"}
    assert listed(client, user, "contact:inbox", attribution="moi") == {"Demande de A2"}
    assert listed(client, user, "contact:inbox", attribution="personne") == {"Demande de A", "Demande de la CC E1"}
    assert listed(client, user, "contact:inbox", retard="on") == {"Demande de la CC E1"}
    assert listed(client, user, "contact:inbox", territoire=w.e1.name) == {
        "Demande de A",
        "Demande de A2",
        "Demande de la CC E1",
    }  # the EPCI and its communes
    assert listed(client, user, "contact:inbox", territoire=w.b.code) == {"Demande de B"}

    response = client.get(reverse("contact:inbox"))
    counts = dict((status.value, n) for status, n in response.context["status_counts"])
    assert counts == {"nouvelle": 2, "en_cours": 1, "repondue": 1, "cloturee": 0}
    assert response.context["counts"]["overdue"] == 1
    content = response.content.decode()
    assert "en retard" in content and "Nouvelle : 2" in content
    # Due date first, open requests before answered ones.
    assert [r.subject for r in response.context["page"]][0] == "Demande de la CC E1"
    assert [r.subject for r in response.context["page"]][-1] == "Demande de B"
    newest = client.get(reverse("contact:inbox"), {"tri": "recentes"}).context["page"]
    assert [r.subject for r in newest] == ["Demande de B", "Demande de la CC E1", "Demande de A2", "Demande de A"]
    # Counts ignore the status filter, keep the others.
    response = client.get(reverse("contact:inbox"), {"statut": "nouvelle", "attribution": "personne"})
    assert dict((s.value, n) for s, n in response.context["status_counts"])["en_cours"] == 0


def test_inbox_filter_errors_are_french(client, world):
    client.force_login(world.referent_d1)
    response = client.get(reverse("contact:inbox"), {"statut": "perdue", "tri": "hasard"})
    content = response.content.decode()
    assert "Choisissez un statut dans la liste." in content and "Choisissez un tri de la liste." in content
    assert list(response.context["page"]) == []


def test_referent_takes_answers_with_a_fiche_and_the_elu_downloads_it(
    client, requests_world, settings, django_capture_on_commit_callbacks
):
    w = requests_world
    fiche = ready_document(w.a, w.referent_d1, settings=settings)
    client.force_login(w.referent_d1)
    page = client.get(detail_url(w.on_a)).content.decode()
    assert "Prendre en charge" in page and "Générer la fiche du territoire" in page
    assert reverse("documents:request_fiche", args=["commune", w.a.code]) in page
    response = client.post(reverse("contact:take", args=[w.on_a.pk]), follow=True)
    assert "Vous avez pris en charge cette demande." in response.content.decode()
    w.on_a.refresh_from_db()
    assert (w.on_a.assignee, w.on_a.status) == (w.referent_d1, RequestStatus.IN_PROGRESS)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            detail_url(w.on_a), {"body": "Voici la fiche du territoire.", "document": fiche.pk, "status": "repondue"}
        )
    assert response.status_code == 302
    w.on_a.refresh_from_db()
    assert w.on_a.status == RequestStatus.ANSWERED
    assert mail.outbox[-1].to == [w.elu_a.email]

    client.force_login(w.elu_a)
    page = client.get(detail_url(w.on_a)).content.decode()
    download = reverse("documents:download", args=[fiche.pk])
    assert "Voici la fiche du territoire." in page and download in page
    assert client.get(download).status_code == 200
    # The history (status and assignee changes) is shown to the CPAM.
    client.force_login(w.referent_d1)
    page = client.get(detail_url(w.on_a))
    changes = [c for h in page.context["history"] for c in h["changes"]]
    assert changes == [
        "demande créée",
        "statut : nouvelle → en cours",
        "prise en charge : Sacha Référent",
        "statut : en cours → répondue",
    ]
    assert "Historique" in page.content.decode()


def test_referent_reply_errors_are_french(client, requests_world):
    w = requests_world
    someone_elses = ready_document(w.a, w.referent_d1_prev)
    client.force_login(w.referent_d1)
    response = client.post(detail_url(w.on_a), {"body": "", "status": "perdue", "document": someone_elses.pk})
    errors = response.context["form"].errors
    assert errors["body"] == ["Écrivez votre message."]
    assert errors["status"] == ["Choisissez un statut dans la liste."]
    assert errors["document"][0].startswith("Ce document ne peut pas être joint")
    assert w.on_a.messages.count() == 1


def test_assign_and_status_forms(client, requests_world):
    w = requests_world
    client.force_login(w.admin)
    response = client.post(reverse("contact:assign", args=[w.on_a.pk]), {"assignee": w.referent_d2.pk}, follow=True)
    assert "Choisissez un référent CPAM du département de la demande." in response.content.decode()
    response = client.post(
        reverse("contact:assign", args=[w.on_a.pk]), {"assignee": w.referent_d1_prev.pk}, follow=True
    )
    assert f"Demande attribuée à {w.referent_d1_prev.get_full_name()}." in response.content.decode()
    response = client.post(reverse("contact:status", args=[w.on_a.pk]), {"status": "cloturee"}, follow=True)
    assert "Statut de la demande : clôturée." in response.content.decode()
    response = client.post(reverse("contact:status", args=[w.on_a.pk]), {"status": "perdue"}, follow=True)
    assert "Choisissez un statut dans la liste." in response.content.decode()
    w.on_a.refresh_from_db()
    assert (w.on_a.assignee, w.on_a.status) == (w.referent_d1_prev, RequestStatus.CLOSED)
    assert client.get(reverse("contact:take", args=[w.on_a.pk])).status_code == 405


# --- query counts -------------------------------------------------------------------------------------------------


def fill(world, n):
    territories = [world.a, world.a2, world.b]
    users = {world.a: world.elu_a, world.a2: world.elu_a2, world.b: world.elu_b}
    for i in range(n):
        territory = territories[i % 3]
        contact_request = make_request(world, user=users[territory], territory=territory, subject=f"Demande {i}")
        if i % 2:
            services.reply(user=world.referent_d1, request=contact_request, body="Réponse.")


def count_queries(client, django_assert_max_num_queries, url, user, params=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize(
    ("url_name", "user_name", "params"),
    [
        ("contact:inbox", "referent_d1", {}),
        ("contact:inbox", "referent_d1", {"statut": "nouvelle", "territoire": "a", "attribution": "moi"}),
        ("contact:inbox", "admin", {}),
        ("contact:list", "elu_e1", {}),
    ],
)
def test_list_query_counts_do_not_grow_with_the_number_of_requests(
    client, world, django_assert_num_queries, url_name, user_name, params
):
    user = getattr(world, user_name)
    fill(world, 3)
    few, response = count_queries(client, None, reverse(url_name), user, params)
    fill(world, 27)
    many, response = count_queries(client, None, reverse(url_name), user, params)
    assert few == many
    client.force_login(user)
    with django_assert_num_queries(few):
        client.get(reverse(url_name), params)


def test_inbox_and_list_query_counts(client, world, django_assert_num_queries):
    fill(world, 30)
    client.force_login(world.referent_d1)
    # session, user, the département, the counts, the page's count, the page
    with django_assert_num_queries(6):
        response = client.get(reverse("contact:inbox"))
    assert len(response.context["page"]) == 25 and response.context["page"].paginator.count == 30
    client.force_login(world.elu_e1)
    # session, user, the page's count, the page, the élu's territory (subtitle)
    with django_assert_num_queries(5):
        response = client.get(reverse("contact:list"))
    assert len(response.context["page"]) == 20  # 10 on A, 10 on A2 (B is not theirs)


def test_detail_query_count_does_not_grow_with_the_thread(client, world):
    contact_request = make_request(world)

    def exchange(i):
        fiche = ready_document(world.a, world.referent_d1)
        services.reply(user=world.referent_d1, request=contact_request, body=f"Réponse {i}", document=fiche)
        services.reply(user=world.elu_a, request=contact_request, body=f"Relance {i}")

    exchange(0)
    few = {
        user: count_queries(client, None, detail_url(contact_request), user)[0]
        for user in (world.referent_d1, world.elu_a)
    }
    for i in range(1, 10):
        exchange(i)
    many = {
        user: count_queries(client, None, detail_url(contact_request), user)[0]
        for user in (world.referent_d1, world.elu_a)
    }
    assert few == many
    response = count_queries(client, None, detail_url(contact_request), world.elu_a)[1]
    assert len(response.context["thread"]) == 21
    assert all(m.downloadable for m in response.context["thread"] if m.document_id)  # shared with the élu


# --- territory page and navigation ------------------------------------------------------------------------------


def test_territory_page_button_and_navigation(client, world):
    button = create_url(world.a).replace("&", "&amp;")
    client.force_login(world.elu_a)
    content = client.get(reverse("portal:territory", args=["commune", world.a.code])).content.decode()
    assert button in content and "Mes demandes" in content and "Demandes reçues" not in content
    content = client.get(reverse("portal:territory", args=["epci", world.e1.code])).content.decode()
    assert "contacter-la-cpam" not in content  # visible to this élu, not theirs to write about
    client.force_login(world.referent_d1)
    content = client.get(reverse("portal:territory", args=["commune", world.a.code])).content.decode()
    assert "contacter-la-cpam" not in content
    assert "Demandes reçues" in content and "Mes demandes" not in content


def test_territory_page_flag_costs_no_query(world, django_assert_num_queries):
    from portal.accounts.models import User
    from portal.contact import perms

    cases = [(world.elu_a, world.a, True), (world.elu_e1, world.e1, True), (world.elu_a, world.e1, False)]
    cases += [(world.referent_d1, world.a, False), (world.admin, world.a, False)]
    for user, territory, expected in cases:
        fresh = User.objects.get(pk=user.pk)  # scope not loaded
        with django_assert_num_queries(0):
            assert perms.can_create(fresh, territory) is expected


# --- admin --------------------------------------------------------------------------------------------------------


def test_admin_pages(client, requests_world):
    w = requests_world
    services.set_status(user=w.admin, request=w.on_a, status=RequestStatus.IN_PROGRESS)
    client.force_login(w.admin)
    changelist = reverse("admin:contact_contactrequest_changelist")
    response = client.get(changelist)
    assert response.status_code == 200 and "Demande de C" in response.content.decode()
    response = client.get(changelist, {"departement": w.d2.pk, "status": "nouvelle"})
    assert response.status_code == 200
    assert "Demande de C" in response.content.decode() and "Demande de B" not in response.content.decode()
    response = client.get(reverse("admin:contact_contactrequest_change", args=[w.on_a.pk]))
    assert response.status_code == 200 and "Le médecin de la commune part en juin." in response.content.decode()
    history = client.get(reverse("admin:contact_contactrequest_history", args=[w.on_a.pk]))
    assert history.status_code == 200
    # Closing from the admin sets the closing date (database constraint) and is kept in the history.
    response = client.post(
        reverse("admin:contact_contactrequest_change", args=[w.on_a.pk]),
        {
            "topic": w.on_a.topic,
            "subject": w.on_a.subject,
            "status": RequestStatus.CLOSED,
            "assignee": w.referent_d2.pk,
            "due_on": w.on_a.due_on.isoformat(),
            "messages-TOTAL_FORMS": "1",
            "messages-INITIAL_FORMS": "1",
            "messages-MIN_NUM_FORMS": "0",
            "messages-MAX_NUM_FORMS": "1000",
            "messages-0-id": str(w.on_a.messages.get().pk),
            "messages-0-request": str(w.on_a.pk),
        },
    )
    assert response.status_code == 200  # referent of another département refused
    assert "Choisissez un référent CPAM actif du département de la demande." in response.content.decode()
    response = client.post(
        reverse("admin:contact_contactrequest_change", args=[w.on_a.pk]),
        {
            "topic": w.on_a.topic,
            "subject": w.on_a.subject,
            "status": RequestStatus.CLOSED,
            "assignee": "",
            "due_on": w.on_a.due_on.isoformat(),
            "messages-TOTAL_FORMS": "1",
            "messages-INITIAL_FORMS": "1",
            "messages-MIN_NUM_FORMS": "0",
            "messages-MAX_NUM_FORMS": "1000",
            "messages-0-id": str(w.on_a.messages.get().pk),
            "messages-0-request": str(w.on_a.pk),
        },
    )
    assert response.status_code == 302
    w.on_a.refresh_from_db()
    assert w.on_a.status == RequestStatus.CLOSED and w.on_a.closed_at is not None
    assert w.on_a.history.latest("history_date").history_user == w.admin
    assert ContactMessage.objects.filter(request=w.on_a).count() == 1
