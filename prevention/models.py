"""Prevention and access to rights: access-to-rights points, prevention actions, inspiring initiatives.

- :class:`AccessPoint` and :class:`PreventionAction`: no national open file lists them with their services and
  dates; rows are entered in the admin or generated for the demonstration (``is_demo``, with the DataSource
  « Prévention — données de démonstration », :mod:`prevention.services.demo`).
- :class:`Initiative`: real content transcribed from the project's seeds (Grigny 000, L'inspiration politique
  001, Villes-Santé guide 002, Auvergne-Rhône-Alpes initiatives 003), with the lines quoted; loaded by
  ``manage.py load_initiatives`` from ``prevention/data/initiatives.json``. Never demonstration data.

All three keep their history (django-simple-history).
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from territories.enums import Level
from territories.models import Territory, coordinates_constraint

from .enums import (
    AccessPointKind,
    AccessService,
    ActionStatus,
    Axis,
    CollectivityRole,
    Lever,
    PreventionTheme,
    SourceDocument,
    TargetPublic,
)


def _list_errors(values, allowed: list[str], label: str) -> str | None:
    if not isinstance(values, list):
        return f"Les {label} sont une liste."
    if unknown := [v for v in values if v not in allowed]:
        return f"Valeur inconnue pour les {label} : {', '.join(map(str, unknown))}."
    return None


class AccessPointQuerySet(models.QuerySet):
    def in_territory(self, territory: Territory):
        """Points located in one of the territory's communes (France: all)."""
        if territory.level == Level.COUNTRY:
            return self.all()
        return self.filter(commune__in=Territory.objects.communes_of(territory).values("pk"))

    def by_kind_order(self):
        """Enum order of the kinds (CPAM, France Services, PASS…), then name: deterministic everywhere."""
        rank = models.Case(
            *(models.When(kind=kind, then=models.Value(i)) for i, kind in enumerate(AccessPointKind.values)),
            output_field=models.IntegerField(),
        )
        return self.annotate(kind_rank=rank).order_by("kind_rank", "name", "pk")


class AccessPoint(models.Model):
    """A place where people are helped to open and use their health-insurance rights (CSS, AME, PUMa), get a
    health check or help with paperwork: accueil CPAM, France Services, PASS, CCAS, point santé / médiation.

    Source: entered in the admin, or demonstration rows (``is_demo``) generated from the real communes
    (:mod:`prevention.services.demo`).
    """

    kind = models.CharField("type", max_length=16, choices=AccessPointKind.choices)
    name = models.CharField("nom", max_length=200)
    address = models.CharField("adresse", max_length=300, blank=True)
    commune = models.ForeignKey(
        "territories.Territory",
        verbose_name="commune",
        # A reference reload must not silently delete the points of a commune.
        on_delete=models.PROTECT,
        related_name="access_points",
        limit_choices_to={"level": Level.COMMUNE},
    )
    latitude = models.FloatField("latitude", null=True, blank=True)
    longitude = models.FloatField("longitude", null=True, blank=True)
    opening_hours = models.TextField("horaires d'ouverture", blank=True)
    services = models.JSONField(
        "services proposés", default=list, blank=True, help_text="Accès aux droits (CSS, AME, PUMa), bilan de santé…"
    )
    is_demo = models.BooleanField("données de démonstration", default=False)
    source = models.ForeignKey(
        "territories.DataSource",
        verbose_name="source",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # a load log may be purged; the point stays
        related_name="+",
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    objects = AccessPointQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "point d'accès aux droits"
        verbose_name_plural = "points d'accès aux droits"
        ordering = ["kind", "name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AccessPointKind.values), name="access_point_kind_valid"),
            coordinates_constraint("access_point"),
        ]
        indexes = [models.Index(fields=["commune", "kind"])]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude"] = "Renseignez la latitude et la longitude, ou aucune des deux."
        if message := _list_errors(self.services, AccessService.values, "services"):
            errors["services"] = message
        if self.commune_id and self.commune.level != Level.COMMUNE:
            errors["commune"] = "Choisissez une commune."
        if errors:
            raise ValidationError(errors)

    def get_services_display(self) -> list[str]:
        labels = dict(AccessService.choices)
        return [labels.get(s, s) for s in self.services]


class PreventionActionQuerySet(models.QuerySet):
    def in_territory(self, territory: Territory):
        """Actions of the territory: held in one of its communes, or run at the scale of the territory, of a
        territory inside it (an EPCI of a département) or of the territory containing it (the EPCI of a commune:
        an intercommunal campaign concerns each of its communes)."""
        if territory.level == Level.COUNTRY:
            return self.all()
        level = territory.level
        condition = Q(commune__in=Territory.objects.communes_of(territory).values("pk")) | Q(territory_id=territory.pk)
        above = [pk for pk in (territory.region_id, territory.department_id, territory.epci_id) if pk]
        if above:
            condition |= Q(territory_id__in=above)
        if level == Level.DEPARTMENT:
            condition |= Q(territory__department_id=territory.pk)
        elif level == Level.REGION:
            condition |= Q(territory__region_id=territory.pk)
        return self.filter(condition)

    def current(self, *, on: date):
        """Actions not over on ``on``: not marked done and without an end date before it (planned ones included)."""
        return self.exclude(status=ActionStatus.DONE).filter(Q(end_date__isnull=True) | Q(end_date__gte=on))


class PreventionAction(models.Model):
    """A prevention or access-to-rights action (screening, vaccination, health checks, aller-vers…) held in a
    commune or run at the scale of a territory (an EPCI, a département), with its dates and publics.

    Source: entered in the admin, or demonstration rows (``is_demo``) from :mod:`prevention.services.demo`.
    """

    title = models.CharField("intitulé", max_length=200)
    theme = models.CharField("thème", max_length=20, choices=PreventionTheme.choices)
    publics = models.JSONField("publics visés", default=list, blank=True)
    description = models.TextField("description", blank=True)
    commune = models.ForeignKey(
        "territories.Territory",
        verbose_name="commune",
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # same rule as AccessPoint.commune
        related_name="prevention_actions",
        limit_choices_to={"level": Level.COMMUNE},
        help_text="Commune où l'action a lieu.",
    )
    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name="territoire",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="À défaut de commune : l'EPCI, le département ou la région où l'action est menée.",
    )
    start_date = models.DateField("début")
    end_date = models.DateField("fin", null=True, blank=True)
    partners = models.TextField("partenaires", blank=True)
    status = models.CharField("état", max_length=8, choices=ActionStatus.choices, default=ActionStatus.PLANNED)
    is_demo = models.BooleanField("données de démonstration", default=False)
    source = models.ForeignKey(
        "territories.DataSource",
        verbose_name="source",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # same rule as AccessPoint.source
        related_name="+",
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    objects = PreventionActionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "action de prévention"
        verbose_name_plural = "actions de prévention"
        ordering = ["start_date", "title", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(theme__in=PreventionTheme.values), name="prevention_action_theme_valid"),
            models.CheckConstraint(condition=Q(status__in=ActionStatus.values), name="prevention_action_status_valid"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="prevention_action_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(commune__isnull=False) | Q(territory__isnull=False),
                name="prevention_action_has_place",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        errors = {}
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = "La date de fin précède la date de début."
        if not self.commune_id and not self.territory_id:
            errors["commune"] = "Indiquez la commune ou le territoire de l'action."
        if message := _list_errors(self.publics, TargetPublic.values, "publics visés"):
            errors["publics"] = message
        if errors:
            raise ValidationError(errors)

    @property
    def place(self) -> Territory | None:
        return self.commune if self.commune_id else self.territory

    def get_publics_display(self) -> list[str]:
        labels = dict(TargetPublic.choices)
        return [labels.get(p, p) for p in self.publics]

    def period_label(self) -> str:
        start = self.start_date.strftime("%d/%m/%Y")
        if self.end_date is None:
            return f"depuis le {start}"
        if self.end_date == self.start_date:
            return f"le {start}"
        return f"du {start} au {self.end_date.strftime('%d/%m/%Y')}"


class InitiativeQuerySet(models.QuerySet):
    def nearest_first(self, territory: Territory | None):
        """Initiatives of the territory's département first, then of its région, then the others (by position).

        ``territory`` None (an ad-hoc set of communes without one département): position order only.
        """
        department_id = region_id = None
        if territory is not None:
            if territory.level == Level.DEPARTMENT:
                department_id, region_id = territory.pk, territory.region_id
            elif territory.level == Level.REGION:
                region_id = territory.pk
            else:
                department_id, region_id = territory.department_id, territory.region_id
        whens = []
        if department_id:
            whens.append(models.When(department_id=department_id, then=models.Value(0)))
        if region_id:
            whens.append(models.When(region_id=region_id, then=models.Value(1)))
        rank = models.Case(*whens, default=models.Value(2), output_field=models.IntegerField()) if whens else None
        return self.annotate(proximity=rank if rank is not None else models.Value(2)).order_by(
            "proximity", "position", "title", "pk"
        )


class Initiative(models.Model):
    """An inspiring initiative of a local authority, transcribed from the seeds with the lines quoted.

    Sources: seed 000 (Grigny incubateur solidaire de santé), 001 (L'inspiration politique, 26 June 2025:
    Occitanie, e-Meuse santé), 002 (Réseau français des Villes-Santé de l'OMS guide; taxonomy of DOMAIN.md §4),
    003 (Auvergne-Rhône-Alpes initiatives of the plan d'accès aux soins). ``commune``, ``department`` and
    ``region`` are resolved from INSEE codes when the file is loaded (``department``/``region`` follow the commune).
    """

    slug = models.SlugField("identifiant", max_length=80, unique=True)
    title = models.CharField("titre", max_length=200)
    summary = models.TextField("résumé")
    commune = models.ForeignKey(
        "territories.Territory",
        verbose_name="commune",
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # a reference reload must not delete an initiative
        related_name="initiatives",
    )
    department = models.ForeignKey(
        "territories.Territory",
        verbose_name="département",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = models.ForeignKey(
        "territories.Territory",
        verbose_name="région",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    place_label = models.CharField("lieu", max_length=200, help_text="Ex. : « Ville de Brest (Finistère) ».")
    scale = models.CharField("échelle", max_length=200, blank=True, help_text="Échelle de territoire concernée.")
    period = models.CharField("période", max_length=120, blank=True)
    axis = models.CharField("axe", max_length=1, choices=Axis.choices)
    lever = models.CharField("levier", max_length=2, choices=Lever.choices)
    role = models.CharField("rôle de la collectivité", max_length=30, choices=CollectivityRole.choices)
    role_detail = models.CharField("rôle de la collectivité (texte de la source)", max_length=300, blank=True)
    publics = models.JSONField("publics visés", default=list, blank=True)
    pilot = models.CharField("pilote", max_length=300, blank=True)
    partners = models.TextField("partenaires", blank=True)
    results = models.TextField("résultats", blank=True)
    source_document = models.CharField("document source", max_length=3, choices=SourceDocument.choices)
    source_lines = models.CharField("lignes citées", max_length=60, help_text="Ex. : « L4463-4557 ».")
    url = models.URLField("lien", max_length=500, blank=True)
    position = models.PositiveSmallIntegerField("ordre d'affichage", default=100)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    objects = InitiativeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "initiative inspirante"
        verbose_name_plural = "initiatives inspirantes"
        ordering = ["position", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(axis__in=Axis.values), name="initiative_axis_valid"),
            models.CheckConstraint(condition=Q(lever__in=Lever.values), name="initiative_lever_valid"),
            models.CheckConstraint(condition=Q(role__in=CollectivityRole.values), name="initiative_role_valid"),
            models.CheckConstraint(
                condition=Q(source_document__in=SourceDocument.values), name="initiative_source_document_valid"
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        errors = {}
        if self.lever and self.axis and not self.lever.startswith(self.axis):
            errors["lever"] = f"Le levier {self.lever} n'appartient pas à l'axe {self.axis}."
        if message := _list_errors(self.publics, TargetPublic.values, "publics visés"):
            errors["publics"] = message
        if errors:
            raise ValidationError(errors)

    @property
    def source_label(self) -> str:
        """« Réseau français des Villes-Santé… (seed 002), L4463-4557 »."""
        return f"{self.get_source_document_display()}, {self.source_lines}"

    def get_publics_display(self) -> list[str]:
        labels = dict(TargetPublic.choices)
        return [labels.get(p, p) for p in self.publics]
