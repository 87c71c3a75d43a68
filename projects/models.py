"""Health projects followed together by élus and the CPAM, and the levers élus hold in their own hands.

Sources: the Villes-Santé guide's shared pipeline of coordinated-care projects (the city, the ARS and the CPAM
« disposent du même niveau d'information »), the CPAM Isère booklet 2026 (accompaniment « du diagnostic à la mise
en œuvre », premises and housing, « Qui fait quoi », training of young doctors). Projects, offers and CLS are
entered by users or in the admin; partners are kept in the admin; training counts are entered where known, demo
rows otherwise (``is_demo``, labelled on pages).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from territories.enums import Level

from .enums import AidStatus, EventKind, HousingAudience, OfferKind, PartnerKind, ProjectKind, ProjectStage

PROJECT_TERRITORY_LEVELS = (Level.COMMUNE, Level.EPCI)


def _is_admin(user) -> bool:
    return user.is_superuser or getattr(user, "is_portal_admin", False)


def _follows_projects(user) -> bool:
    """A CPAM referent of the « exercice coordonné » domain (the one that accompanies MSP, CDS, CPTS)."""
    return getattr(user, "is_referent", False) and "exercice_coordonne" in (user.referent_domains or [])


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Projects ``user`` may see and edit (anything else is a 404).

        Administrators: all. Élu of a commune: the projects of their commune; of an EPCI: the projects of the
        EPCI and of its communes. CPAM referent of the « exercice coordonné » domain: the projects of their
        département. Anyone else, anonymous included: none.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if _is_admin(user):
            return self.all()
        if getattr(user, "is_elu", False) and user.territory_id:
            if user.territory.level == Level.EPCI:
                return self.filter(Q(territory_id=user.territory_id) | Q(epci_id=user.territory_id))
            return self.filter(territory_id=user.territory_id)
        if _follows_projects(user) and user.department_id:
            return self.filter(department_id=user.department_id)
        return self.none()

    def neighbours_of(self, user):
        """Projects near an élu's territory that are not theirs, shown as a summary only (kind, stage, commune):
        for a commune, the other communes of its EPCI and the EPCI itself; for an EPCI, the other EPCI of its
        département and their communes."""
        if not user.is_authenticated or not getattr(user, "is_elu", False) or not user.territory_id:
            return self.none()
        t = user.territory
        if t.level == Level.EPCI:
            near = self.filter(department_id=t.department_id).exclude(Q(territory_id=t.pk) | Q(epci_id=t.pk))
        elif t.epci_id:
            near = self.filter(epci_id=t.epci_id).exclude(territory_id=t.pk)
        else:
            return self.none()
        return near

    def late(self, *, on):
        """Projects whose next step was due before ``on`` (the day of the due date is not late yet)."""
        return self.filter(next_step_due__lt=on).exclude(next_step="")

    def by_stage(self):
        """Pipeline order: stage order, then the earliest due next step, then name."""
        rank = models.Case(
            *(models.When(stage=s, then=models.Value(i)) for i, s in enumerate(ProjectStage.values)),
            output_field=models.IntegerField(),
        )
        return self.annotate(stage_rank=rank).order_by("stage_rank", F("next_step_due").asc(nulls_last=True), "name")


class Project(models.Model):
    """A coordinated-care project (MSP, centre de santé, CPTS, ESP, cabinet secondaire, incubator) and its state.

    Written only through ``projects.services`` so that every change goes to the journal (:class:`ProjectEvent`)
    and to the history. ``department`` and ``epci`` are copied from the territory (filters and access rules
    without joins).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField("nom du projet", max_length=200)
    kind = models.CharField("type", max_length=20, choices=ProjectKind.choices)
    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name="territoire",
        on_delete=models.PROTECT,  # reference data is never deleted under a project
        related_name="health_projects",
        limit_choices_to={"level__in": PROJECT_TERRITORY_LEVELS},
    )
    commune = models.ForeignKey(
        "territories.Territory",
        verbose_name="commune d'implantation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"level": Level.COMMUNE},
        help_text="Obligatoire à l'ouverture (adresse de la structure).",
    )
    department = models.ForeignKey(
        "territories.Territory", verbose_name="département", on_delete=models.PROTECT, related_name="+", editable=False
    )
    epci = models.ForeignKey(
        "territories.Territory",
        verbose_name="EPCI",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    porteur = models.CharField("porteur", max_length=200, help_text="Ex. : commune, association de professionnels.")
    stage = models.CharField("stade", max_length=16, choices=ProjectStage.choices, default=ProjectStage.IDEA)
    stage_changed_on = models.DateField("stade atteint le")
    next_step = models.CharField("prochaine étape", max_length=300, blank=True)
    next_step_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="responsable de la prochaine étape",
        on_delete=models.SET_NULL,  # an account closed: the step stays, without owner
        null=True,
        blank=True,
        related_name="project_next_steps",
    )
    next_step_due = models.DateField("prochaine étape pour le", null=True, blank=True)
    next_step_reminded_on = models.DateField("dernier rappel le", null=True, blank=True, editable=False)
    blockers = models.TextField("points de blocage", blank=True)
    structure = models.ForeignKey(
        "structures.Structure",
        verbose_name="structure",
        on_delete=models.SET_NULL,  # the register may drop a structure; the project's journal stays
        null=True,
        blank=True,
        related_name="projects",
        help_text="La structure que le projet est devenu (ou met à jour) à son ouverture.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="créé par", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    objects = ProjectQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "projet de santé"
        verbose_name_plural = "projets de santé"
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ProjectKind.values), name="project_kind_valid"),
            models.CheckConstraint(condition=Q(stage__in=ProjectStage.values), name="project_stage_valid"),
            models.CheckConstraint(
                condition=~Q(next_step="") | Q(next_step_due__isnull=True, next_step_owner__isnull=True),
                name="project_next_step_details_need_a_step",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "stage"], name="project_department_stage"),
            models.Index(fields=["next_step_due"], name="project_next_step_due"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        if self.territory_id and self.territory.level not in PROJECT_TERRITORY_LEVELS:
            errors["territory"] = "Le territoire d'un projet est une commune ou un EPCI."
        if self.commune_id and self.territory_id:
            t = self.territory
            if self.commune.level != Level.COMMUNE:
                errors["commune"] = "Choisissez une commune."
            elif self.commune_id != t.pk and self.commune.epci_id != t.pk:
                errors["commune"] = "La commune d'implantation doit être dans le territoire du projet."
        if (self.next_step_due or self.next_step_owner_id) and not self.next_step.strip():
            errors["next_step"] = "Décrivez la prochaine étape."
        if errors:
            raise ValidationError(errors)

    def copy_scope(self) -> None:
        """``department`` and ``epci`` from the territory (called by the services before saving)."""
        t = self.territory
        self.department_id = t.department_id
        self.epci_id = t.pk if t.level == Level.EPCI else t.epci_id


class ProjectEvent(models.Model):
    """One dated entry of a project's journal: who changed what, in French, with the stage move's reason."""

    project = models.ForeignKey(Project, verbose_name="projet", on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField("date", auto_now_add=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="auteur",
        on_delete=models.SET_NULL,  # the journal outlives accounts
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField("type", max_length=12, choices=EventKind.choices)
    message = models.TextField("événement")
    from_stage = models.CharField("stade précédent", max_length=16, choices=ProjectStage.choices, blank=True)
    to_stage = models.CharField("nouveau stade", max_length=16, choices=ProjectStage.choices, blank=True)
    reason = models.TextField("motif", blank=True)

    class Meta:
        verbose_name = "événement du projet"
        verbose_name_plural = "journal du projet"
        ordering = ["-at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="project_event_kind_valid")]

    def __str__(self):
        return f"{self.at:%d/%m/%Y} {self.message}"


class ProjectAid(models.Model):
    """An aid of the catalogue requested or obtained for a project."""

    project = models.ForeignKey(Project, verbose_name="projet", on_delete=models.CASCADE, related_name="aids")
    aid = models.ForeignKey(
        "aids.Aid", verbose_name="aide", on_delete=models.PROTECT, related_name="+"
    )  # PROTECT: an aid of a project's file is deactivated, never deleted
    status = models.CharField("état", max_length=12, choices=AidStatus.choices, default=AidStatus.REQUESTED)
    amount = models.DecimalField("montant (€)", max_digits=10, decimal_places=2, null=True, blank=True)
    on = models.DateField("date")
    note = models.CharField("précision", max_length=200, blank=True)

    class Meta:
        verbose_name = "aide du projet"
        verbose_name_plural = "aides du projet"
        ordering = ["project", "on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "aid"], name="project_aid_unique"),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gte=0), name="project_aid_amount"),
            models.CheckConstraint(condition=Q(status__in=AidStatus.values), name="project_aid_status_valid"),
        ]

    def __str__(self):
        return f"{self.aid_id} ({self.get_status_display()})"


class ProjectDocument(models.Model):
    """A document attached to a project: a generated fiche, an accessibility scenario, any page of the portal.

    A generic link (title + path or address) so that this domain app does not depend on the web layer's
    generated documents: the link is opened with the access rules of its own page.
    """

    project = models.ForeignKey(Project, verbose_name="projet", on_delete=models.CASCADE, related_name="documents")
    title = models.CharField("titre", max_length=200)
    url = models.CharField("lien", max_length=500, help_text="Adresse du document dans le portail (/documents/…).")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="ajouté par", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    added_at = models.DateTimeField("ajouté le", auto_now_add=True)

    class Meta:
        verbose_name = "document du projet"
        verbose_name_plural = "documents du projet"
        ordering = ["project", "-added_at"]

    def __str__(self):
        return self.title


# --- premises and housing offers ---------------------------------------------------------------------------


def offer_photo_storage():
    """Photos are private (offers are shown to logged-in users only): stored outside the public media root."""
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT / "offres")


class OfferQuerySet(models.QuerySet):
    def current(self, *, on):
        """Offers still published on ``on``: available, not withdrawn, not expired (``expires_on`` ≥ ``on``)."""
        return self.filter(withdrawn=False, expires_on__gte=on)

    def visible_to(self, user):
        """Offers are shown to every logged-in user of the portal (élus, referents), never to anonymous visitors."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.all()

    def editable_by(self, user):
        """Offers ``user`` may change: the élus of the offer's commune or of its EPCI, administrators."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if _is_admin(user):
            return self.all()
        if getattr(user, "is_elu", False) and user.territory_id:
            return self.filter(Q(commune_id=user.territory_id) | Q(commune__epci_id=user.territory_id))
        return self.none()

    def in_territory(self, territory):
        from territories.models import Territory

        return self.filter(commune__in=Territory.objects.communes_of(territory).values("pk"))


class Offer(models.Model):
    """Professional premises or housing for professionals and interns offered by an élu (villa des internes).

    Published for ``settings.OFFER_VALIDITY_DAYS`` (default 90) and expires unless renewed.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("type d'offre", max_length=10, choices=OfferKind.choices)
    title = models.CharField("titre", max_length=200)
    commune = models.ForeignKey(
        "territories.Territory",
        verbose_name="commune",
        on_delete=models.PROTECT,
        related_name="offers",
        limit_choices_to={"level": Level.COMMUNE},
    )
    address = models.CharField("adresse", max_length=200, blank=True)
    surface_m2 = models.DecimalField("surface (m²)", max_digits=7, decimal_places=1)
    rooms = models.PositiveSmallIntegerField("nombre de pièces ou de cabinets")
    rent_eur = models.DecimalField(
        "loyer mensuel (€)", max_digits=9, decimal_places=2, null=True, blank=True, help_text="Vide : à négocier."
    )
    accessible = models.BooleanField("accessible aux personnes à mobilité réduite", default=False)
    accessibility_note = models.CharField("accessibilité : précisions", max_length=300, blank=True)
    audience = models.CharField(
        "logement pour", max_length=14, choices=HousingAudience.choices, blank=True, help_text="Logement seulement."
    )
    available_from = models.DateField("disponible à partir du")
    description = models.TextField("description", blank=True)
    contact = models.CharField("contact", max_length=300, help_text="Personne à contacter à la mairie, téléphone.")
    latitude = models.FloatField("latitude", null=True, blank=True)
    longitude = models.FloatField("longitude", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="publiée par", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    published_on = models.DateField("publiée le")
    expires_on = models.DateField("expire le")
    withdrawn = models.BooleanField("retirée", default=False)

    objects = OfferQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "offre de locaux ou de logement"
        verbose_name_plural = "offres de locaux et de logements"
        ordering = ["-published_on", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=OfferKind.values), name="offer_kind_valid"),
            models.CheckConstraint(condition=Q(surface_m2__gt=0), name="offer_surface_positive"),
            models.CheckConstraint(
                condition=Q(rent_eur__isnull=True) | Q(rent_eur__gte=0), name="offer_rent_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__gte=F("published_on")), name="offer_expiry_after_publication"
            ),
            models.CheckConstraint(
                condition=Q(kind=OfferKind.HOUSING) | Q(audience=""), name="offer_audience_for_housing_only"
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        """One-row rules (the date and the élu's scope are checked by ``services.publish_offer``)."""
        super().clean()
        errors = {}
        if self.surface_m2 is not None and self.surface_m2 <= 0:
            errors["surface_m2"] = "La surface doit être un nombre de m² positif."
        if self.rent_eur is not None and self.rent_eur < 0:
            errors["rent_eur"] = "Le loyer ne peut pas être négatif."
        if self.kind == OfferKind.PREMISES and self.audience:
            errors["audience"] = "Le public concerne les logements seulement."
        if self.commune_id and self.commune.level != Level.COMMUNE:
            errors["commune"] = "Choisissez une commune."
        if errors:
            raise ValidationError(errors)


class OfferPhoto(models.Model):
    offer = models.ForeignKey(Offer, verbose_name="offre", on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField("photo", storage=offer_photo_storage, upload_to="%Y/%m/")
    caption = models.CharField("légende", max_length=200, blank=True)

    class Meta:
        verbose_name = "photo"
        verbose_name_plural = "photos"
        ordering = ["offer", "pk"]

    def __str__(self):
        return self.caption or self.image.name


# --- partners, CLS, training ---------------------------------------------------------------------------------


class Partner(models.Model):
    """An institution or contact an élu can call, per département (CPAM Isère booklet, « Qui fait quoi »).

    Kept in the admin; shown on the territory page and in the fiche's contacts section.
    """

    department = models.ForeignKey(
        "territories.Territory",
        verbose_name="département",
        on_delete=models.PROTECT,
        related_name="partners",
        limit_choices_to={"level": Level.DEPARTMENT},
    )
    kind = models.CharField("institution", max_length=16, choices=PartnerKind.choices)
    name = models.CharField("nom", max_length=200, help_text="Ex. : Cellule Isère Santé, URPS médecins.")
    role_for_elus = models.TextField("ce qu'elle fait pour un élu")
    contact_name = models.CharField("contact", max_length=200, blank=True)
    email = models.EmailField("e-mail", blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    website = models.URLField("site internet", blank=True)
    position = models.PositiveSmallIntegerField("ordre d'affichage", default=100)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "partenaire"
        verbose_name_plural = "partenaires (qui fait quoi)"
        ordering = ["department", "position", "kind", "name"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=PartnerKind.values), name="partner_kind_valid")]

    def __str__(self):
        return self.name


class LocalHealthContract(models.Model):
    """A contrat local de santé (CLS) of a commune or an EPCI: its dates and its coordinator (entered in the admin)."""

    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name="territoire",
        on_delete=models.PROTECT,
        related_name="health_contracts",
        limit_choices_to={"level__in": PROJECT_TERRITORY_LEVELS},
    )
    name = models.CharField("intitulé", max_length=200)
    signed_on = models.DateField("signé le")
    ends_on = models.DateField("jusqu'au", null=True, blank=True)
    coordinator_name = models.CharField("coordonnateur ou coordonnatrice", max_length=200, blank=True)
    coordinator_email = models.EmailField("e-mail du coordonnateur", blank=True)
    coordinator_phone = models.CharField("téléphone du coordonnateur", max_length=20, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "contrat local de santé"
        verbose_name_plural = "contrats locaux de santé"
        ordering = ["territory", "-signed_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("signed_on")), name="cls_dates_ordered"
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.ends_on and self.signed_on and self.ends_on < self.signed_on:
            raise ValidationError({"ends_on": "La fin du contrat ne peut pas précéder sa signature."})


class TrainingCount(models.Model):
    """Maîtres de stage universitaires and docteurs juniors hosted in a commune or an EPCI in one academic year.

    Source: the faculty's département de médecine générale, entered in the admin where known; demonstration
    rows otherwise (``is_demo``, labelled wherever shown).
    """

    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name="territoire",
        on_delete=models.CASCADE,
        related_name="training_counts",
        limit_choices_to={"level__in": PROJECT_TERRITORY_LEVELS},
    )
    year = models.PositiveSmallIntegerField("année universitaire (début)", help_text="2026 pour 2026-2027.")
    supervisors = models.PositiveSmallIntegerField("maîtres de stage universitaires")
    junior_doctors = models.PositiveSmallIntegerField("docteurs juniors accueillis")
    is_demo = models.BooleanField("données de démonstration", default=False)

    class Meta:
        verbose_name = "effectif de formation"
        verbose_name_plural = "formation des jeunes médecins"
        ordering = ["territory", "-year"]
        constraints = [models.UniqueConstraint(fields=["territory", "year"], name="training_count_unique_year")]

    def __str__(self):
        return f"{self.territory_id} {self.year}"
