import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from portal.accounts.enums import ReferentDomain
from territories.enums import Level

from .enums import OPEN_STATUSES, RequestStatus


class ContactRequestQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Requests ``user`` may read (same scope as ``territories.signal_perms.reportable_territories``).

        Administrators: all. CPAM referent: those of their département. Élu: those on their own territory and,
        for an élu of an EPCI, on its communes; never another territory's, not even a sibling commune's.
        """
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or getattr(user, "is_portal_admin", False):
            return self.all()
        if getattr(user, "is_referent", False) and user.department_id:
            return self.filter(department_id=user.department_id)
        if getattr(user, "is_elu", False) and user.territory_id:
            # ``epci_id`` only ever points to an EPCI: for an élu of a commune the second term matches nothing,
            # so the user's territory need not be loaded to tell the two cases apart.
            return self.filter(
                Q(territory_id=user.territory_id)
                | Q(territory__epci_id=user.territory_id, territory__level=Level.COMMUNE)
            )
        return self.none()

    def open(self):
        """Waiting for the CPAM (nouvelle or en cours)."""
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, *, today=None):
        """Open requests whose due date has passed."""
        return self.open().filter(due_on__lt=today or timezone.localdate())


class ContactRequest(models.Model):
    """A request of an élu to the CPAM of their département ("Contacter la CPAM"), and its follow-up.

    Written by an élu about their commune or EPCI (or a commune of their EPCI); routed by ``topic`` to the
    referents of ``department`` handling that domain (CPAM booklet for élus, 004:L62-72 and L964-978).
    The row and its first message are saved in the request's transaction: e-mail notifications are sent
    afterwards and may fail without losing anything. Status and assignee changes are kept in ``history``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name="territoire",
        on_delete=models.PROTECT,  # requests are kept for traceability
        related_name="contact_requests",
    )
    department = models.ForeignKey(
        "territories.Territory",
        verbose_name="département",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Département du territoire, recopié à la création : il désigne la CPAM destinataire.",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="demandeur",
        on_delete=models.SET_NULL,  # the request and its answers outlive the élu's account
        null=True,
        related_name="contact_requests",
    )
    topic = models.CharField(
        "domaine", max_length=32, choices=ReferentDomain.choices, help_text="Domaine de référent qui traite la demande."
    )
    subject = models.CharField("objet", max_length=200)
    status = models.CharField("statut", max_length=16, choices=RequestStatus.choices, default=RequestStatus.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="pris en charge par",
        on_delete=models.SET_NULL,  # a departed referent's requests go back to the pool
        null=True,
        blank=True,
        related_name="assigned_contact_requests",
    )
    due_on = models.DateField("réponse attendue le", help_text="Date de création + CONTACT_DUE_DAYS jours ouvrés.")
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)
    closed_at = models.DateTimeField("clôturée le", null=True, blank=True)
    reminded_on = models.DateField(
        "dernier rappel de retard le",
        null=True,
        blank=True,
        help_text="Jour du dernier e-mail de rappel aux référents (demande ouverte après la date attendue).",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ContactRequestQuerySet.as_manager()

    class Meta:
        verbose_name = "demande à la CPAM"
        verbose_name_plural = "demandes à la CPAM"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in RequestStatus]), name="contactrequest_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(topic__in=[d.value for d in ReferentDomain]), name="contactrequest_topic_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=RequestStatus.CLOSED, closed_at__isnull=False)
                | (~Q(status=RequestStatus.CLOSED) & Q(closed_at__isnull=True)),
                name="contactrequest_closed_at_iff_closed",
            ),
            models.CheckConstraint(condition=~Q(subject=""), name="contactrequest_subject_not_empty"),
        ]
        indexes = [
            models.Index(fields=["department", "status", "created_at"], name="contactreq_inbox"),
            models.Index(fields=["department", "status", "due_on"], name="contactreq_inbox_due"),
            models.Index(fields=["territory", "created_at"], name="contactreq_territory"),
        ]

    def __str__(self):
        return f"{self.subject} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today=None) -> bool:
        return self.is_open and self.due_on < (today or timezone.localdate())


class ContactMessage(models.Model):
    """One message of a request's thread: the élu's question, an answer of the CPAM, a follow-up.

    ``notified_at`` stays empty until the e-mail telling the other side has been sent: the periodic sweeper
    sends the ones the broker or the mail server did not take (``notification_attempts`` counts the tries).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(
        ContactRequest, verbose_name="demande", on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="auteur",
        on_delete=models.SET_NULL,  # the thread outlives its authors' accounts
        null=True,
        related_name="contact_messages",
    )
    from_cpam = models.BooleanField(
        "message de la CPAM", default=False, help_text="Écrit par un référent ou un administrateur (sinon par un élu)."
    )
    body = models.TextField("message")
    document = models.ForeignKey(
        "documents.GeneratedDocument",
        verbose_name="document joint",
        on_delete=models.SET_NULL,  # a purged document leaves the message readable
        null=True,
        blank=True,
        related_name="contact_messages",
    )
    created_at = models.DateTimeField("écrit le", auto_now_add=True)
    notified_at = models.DateTimeField(
        "notification envoyée le", null=True, blank=True, help_text="Vide : l'e-mail de notification reste à envoyer."
    )
    notification_attempts = models.PositiveSmallIntegerField("tentatives de notification", default=0)
    notification_attempted_at = models.DateTimeField("dernière tentative de notification", null=True, blank=True)
    notification_error = models.CharField("dernière erreur de notification", max_length=300, blank=True)

    class Meta:
        verbose_name = "message"
        verbose_name_plural = "messages"
        ordering = ["created_at", "pk"]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="contactmessage_body_not_empty")]
        indexes = [
            models.Index(fields=["request", "created_at"], name="contactmsg_thread"),
            models.Index(fields=["created_at"], name="contactmsg_unnotified", condition=Q(notified_at__isnull=True)),
        ]

    def __str__(self):
        return f"Message du {self.created_at:%d/%m/%Y %H:%M}" if self.created_at else "Message"
