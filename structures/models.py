"""Care structures: CPTS, MSP, centres de santé, ESP, maisons médicales de garde, PASS.

Sources: MSP and centres de santé come from the FINESS extraction of establishments (data.gouv.fr,
« FINESS Extraction du Fichier des établissements », ``import_finess``: categories 603 and 124) or, by
default, from the demonstration generator (``generate_demo_structures``). CPTS come from the ARS/CPAM
lists (no national open file: entered in the admin) or the generator; ESP, MMG and PASS are not FINESS
categories and are demo rows unless entered in the admin. Every row names its load (``source``) and
says whether it is demonstration data (``is_demo``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from territories.enums import Level, Profession
from territories.models import Territory, coordinates_constraint

from .enums import (
    CPTS_STAGES,
    KIND_SHORT_LABELS,
    OPERATING_STAGES,
    OTHER_STAGES,
    CptsMission,
    Sector,
    Stage,
    StructureKind,
    TeamRole,
    Weekday,
)

# FINESS number: 9 characters, the first two being the département (« 2A », « 2B » in Corsica; overseas
# « 97 » or « 9A »…« 9F » depending on the vintage): the pattern of the publisher's XSD (typeNumeroFiness).
FINESS_PATTERN = r"^[0-9][0-9A-Z][0-9]{7}$"

PROFESSION_PLURALS = {
    Profession.GP: "médecins généralistes",
    Profession.NURSE: "infirmiers",
    Profession.PHYSIO: "masseurs-kinésithérapeutes",
    Profession.DENTIST: "chirurgiens-dentistes",
    Profession.MIDWIFE: "sages-femmes",
    Profession.PHARMACIST: "pharmaciens",
}
PROFESSION_ORDER = {p: i for i, p in enumerate(Profession.values)}


class StructureQuerySet(models.QuerySet):
    def open(self):
        """Structures in operation: opened (MSP, centre de santé…), or CPTS whose ACI is signed."""
        return self.filter(stage__in=OPERATING_STAGES)

    def current(self):
        """Structures not closed: in operation or in project (what pages list by default)."""
        return self.exclude(stage=Stage.CLOSED)

    def for_communes(self, communes):
        """Structures located in one of ``communes`` or, for a CPTS, covering one of them.

        ``communes``: a queryset of communes (used as a subquery) or an iterable of commune ids. One query,
        no join on the perimeter table (a subquery), so no duplicates and no ``distinct()``.
        """
        if isinstance(communes, models.QuerySet):
            communes = communes.values("pk")
        covering = CoveredCommune.objects.filter(commune__in=communes).values("structure_id")
        return self.filter(Q(commune__in=communes) | Q(pk__in=covering))

    def in_territory(self, territory: Territory):
        """Structures of ``territory``: located in its communes, or CPTS covering one of its communes."""
        if territory.level == Level.COUNTRY:
            return self.all()
        return self.for_communes(Territory.objects.communes_of(territory))

    def located_in(self, territory: Territory):
        """Structures whose address is in ``territory`` (a CPTS covering it from outside is left out)."""
        if territory.level == Level.COUNTRY:
            return self.all()
        return self.filter(commune__in=Territory.objects.communes_of(territory).values("pk"))

    def by_kind_order(self):
        """Enum order of the kinds (CPTS, MSP, centres de santé…), then name: deterministic everywhere."""
        rank = models.Case(
            *(models.When(kind=kind, then=models.Value(i)) for i, kind in enumerate(StructureKind.values)),
            output_field=models.IntegerField(),
        )
        return self.annotate(kind_rank=rank).order_by("kind_rank", "name", "pk")


class Structure(models.Model):
    """A coordinated-care or primary-care structure, its stage, its address and its France Santé label.

    MSP and centres de santé: FINESS (« extraction du fichier des établissements », categories 603
    « Maison de santé (L.6223-3) » and 124 « Centre de santé »), identified by their FINESS number.
    CPTS: ARS/CPAM lists (entered in the admin), with their perimeter (``covered_communes``), the
    population they cover and the dissolved contour of that perimeter (``perimeter_geojson``, computed
    when the perimeter is written, never at request time). ESP, MMG, PASS: admin or demonstration rows.
    Demonstration rows (``is_demo``) come from ``structures.services.demo``.
    """

    kind = models.CharField("type", max_length=8, choices=StructureKind.choices)
    name = models.CharField("nom", max_length=200)
    stage = models.CharField(
        "stade",
        max_length=16,
        choices=Stage.choices,
        default=Stage.OPEN,
        help_text="projet → ouverte → fermée ; pour une CPTS : projet → préfiguration → ACI signé.",
    )
    finess = models.CharField(
        "numéro FINESS", max_length=9, null=True, blank=True, help_text="9 caractères (établissement)."
    )
    address = models.CharField("adresse", max_length=200, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    commune = models.ForeignKey(
        "territories.Territory",
        verbose_name="commune",
        # Communes are never deleted by the reference load (stale ones are kept): a structure must be
        # moved to its new commune before an old commune row can go.
        on_delete=models.PROTECT,
        related_name="structures",
        limit_choices_to={"level": Level.COMMUNE},
    )
    latitude = models.FloatField("latitude", null=True, blank=True)
    longitude = models.FloatField("longitude", null=True, blank=True)
    opened_on = models.DateField("ouverte le", null=True, blank=True)
    france_sante = models.BooleanField("label France Santé", default=False)
    france_sante_on = models.DateField("labellisée France Santé le", null=True, blank=True)
    covered_communes = models.ManyToManyField(
        "territories.Territory",
        verbose_name="communes couvertes",
        through="CoveredCommune",
        related_name="covering_structures",
        blank=True,
    )
    population_covered = models.PositiveIntegerField(
        "population couverte",
        null=True,
        blank=True,
        help_text="CPTS : habitants de son territoire (liste ARS ; vide : somme des communes couvertes).",
    )
    perimeter_geojson = models.TextField(
        "contour du territoire couvert (GeoJSON)",
        blank=True,
        help_text="CPTS : union des contours allégés des communes couvertes, calculée à l'écriture du périmètre.",
    )
    opening_days = models.JSONField(
        "jours d'ouverture", default=list, blank=True, help_text="Numéros des jours (1 = lundi … 7 = dimanche)."
    )
    sector = models.CharField("secteur", max_length=8, choices=Sector.choices, blank=True)
    phone = models.CharField("téléphone", max_length=20, blank=True)
    email = models.EmailField("e-mail", blank=True)
    website = models.URLField("site internet", blank=True)
    cpts_missions = models.JSONField(
        "missions de la CPTS", default=list, blank=True, help_text="CPTS : missions engagées dans l'ACI."
    )
    is_demo = models.BooleanField("données de démonstration", default=False)
    source = models.ForeignKey(
        "territories.DataSource",
        verbose_name="source",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # a load log may be purged; the structure stays
        related_name="structures",
    )

    objects = StructureQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "structure"
        verbose_name_plural = "structures"
        ordering = ["kind", "name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=StructureKind.values), name="structure_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind=StructureKind.CPTS, stage__in=[s.value for s in CPTS_STAGES])
                | (~Q(kind=StructureKind.CPTS) & Q(stage__in=[s.value for s in OTHER_STAGES])),
                name="structure_stage_valid_for_kind",
            ),
            models.UniqueConstraint(fields=["finess"], name="structure_finess_unique"),
            models.CheckConstraint(
                condition=Q(finess__isnull=True) | Q(finess__regex=FINESS_PATTERN), name="structure_finess_format"
            ),
            models.CheckConstraint(
                condition=Q(postal_code="") | Q(postal_code__regex=r"^[0-9]{5}$"), name="structure_postal_code_format"
            ),
            coordinates_constraint("structure"),
            models.CheckConstraint(
                condition=Q(france_sante=True) | Q(france_sante_on__isnull=True),
                name="structure_label_date_needs_label",
            ),
            # « labellisée » only with a recorded label decision (its date): structures.france_sante.
            models.CheckConstraint(
                condition=Q(france_sante=False) | Q(france_sante_on__isnull=False),
                name="structure_label_needs_decision_date",
            ),
            models.CheckConstraint(
                condition=Q(kind=StructureKind.CPTS) | Q(population_covered__isnull=True, perimeter_geojson=""),
                name="structure_perimeter_for_cpts_only",
            ),
        ]
        indexes = [models.Index(fields=["kind", "stage"], name="structure_kind_stage")]

    def __str__(self):
        return f"{self.name} ({self.short_kind})"

    @property
    def short_kind(self) -> str:
        return KIND_SHORT_LABELS.get(self.kind, self.kind)

    @property
    def is_operating(self) -> bool:
        return self.stage in OPERATING_STAGES

    def team_summary(self) -> str:
        """« 3 médecins généralistes, 2 infirmiers » from the team (prefetch ``team`` to avoid a query)."""
        members = sorted(self.team.all(), key=lambda m: PROFESSION_ORDER.get(m.profession, 99))
        parts = []
        for member in members:
            if member.headcount:
                label = (
                    PROFESSION_PLURALS[member.profession] if member.headcount > 1 else member.get_profession_display()
                )
                parts.append(f"{member.headcount} {label}")
        return ", ".join(parts)

    def clean(self):
        super().clean()
        errors = {}
        allowed = CPTS_STAGES if self.kind == StructureKind.CPTS else OTHER_STAGES
        if self.stage and self.kind and self.stage not in allowed:
            errors["stage"] = "Stade impossible pour ce type : " + ", ".join(str(s.label) for s in allowed) + "."
        if self.commune_id and self.commune.level != Level.COMMUNE:
            errors["commune"] = "Choisissez une commune."
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude"] = "Renseignez la latitude et la longitude, ou aucune des deux."
        if self.france_sante_on and not self.france_sante:
            errors["france_sante_on"] = "Une date de labellisation suppose le label France Santé."
        if self.france_sante and not self.france_sante_on:
            errors["france_sante_on"] = "Indiquez la date de la décision de labellisation France Santé."
        if self.kind != StructureKind.CPTS and (self.population_covered is not None or self.perimeter_geojson):
            errors["population_covered"] = "Seule une CPTS a un territoire couvert."
        if any(day not in Weekday.values for day in self.opening_days or []):
            errors["opening_days"] = "Jours d'ouverture : des numéros de 1 (lundi) à 7 (dimanche)."
        if self.cpts_missions and self.kind != StructureKind.CPTS:
            errors["cpts_missions"] = "Seule une CPTS a des missions conventionnelles."
        elif any(m not in CptsMission.values for m in self.cpts_missions or []):
            errors["cpts_missions"] = "Mission inconnue : " + ", ".join(str(m.label) for m in CptsMission) + "."
        if self.finess == "":
            self.finess = None
        if errors:
            raise ValidationError(errors)


class TeamCount(models.Model):
    """Headcount and full-time equivalents of one profession in a structure's team.

    Source: the structure's declaration to the ARS (MSP projet de santé, centre de santé CPOM), entered in
    the admin, or the demonstration generator.
    """

    structure = models.ForeignKey(Structure, verbose_name="structure", on_delete=models.CASCADE, related_name="team")
    profession = models.CharField("profession", max_length=12, choices=Profession.choices)
    headcount = models.PositiveSmallIntegerField("effectif")
    fte = models.DecimalField("équivalents temps plein", max_digits=5, decimal_places=1)

    class Meta:
        verbose_name = "effectif de l'équipe"
        verbose_name_plural = "équipe"
        ordering = ["structure", "profession"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "profession"], name="team_count_unique_profession"),
            models.CheckConstraint(condition=Q(profession__in=Profession.values), name="team_count_profession_valid"),
            models.CheckConstraint(condition=Q(fte__gte=0), name="team_count_fte_non_negative"),
            models.CheckConstraint(condition=Q(fte__lte=F("headcount")), name="team_count_fte_within_headcount"),
        ]

    def __str__(self):
        return f"{self.headcount} {self.get_profession_display()}"


class CoveredCommune(models.Model):
    """A commune of a CPTS's territory (its perimeter, as listed by the ARS/CPAM, or generated)."""

    structure = models.ForeignKey(Structure, verbose_name="CPTS", on_delete=models.CASCADE, related_name="coverage")
    commune = models.ForeignKey(
        "territories.Territory",
        verbose_name="commune",
        on_delete=models.PROTECT,  # same rule as Structure.commune
        related_name="cpts_coverage",
        limit_choices_to={"level": Level.COMMUNE},
    )

    class Meta:
        verbose_name = "commune couverte"
        verbose_name_plural = "communes couvertes"
        constraints = [models.UniqueConstraint(fields=["structure", "commune"], name="covered_commune_unique")]

    def __str__(self):
        return f"{self.structure_id} → {self.commune_id}"


class TeamRoleCount(models.Model):
    """Headcount of one role of the extended team (IPA, assistants médicaux, Asalée…) in a structure.

    Source: the structure's declaration (entered in the admin by the CPAM), or the demonstration generator.
    """

    structure = models.ForeignKey(
        Structure, verbose_name="structure", on_delete=models.CASCADE, related_name="team_roles"
    )
    role = models.CharField("rôle", max_length=20, choices=TeamRole.choices)
    headcount = models.PositiveSmallIntegerField("effectif")

    class Meta:
        verbose_name = "effectif de l'équipe élargie"
        verbose_name_plural = "équipe élargie"
        ordering = ["structure", "role"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "role"], name="team_role_count_unique_role"),
            models.CheckConstraint(condition=Q(role__in=TeamRole.values), name="team_role_count_role_valid"),
        ]

    def __str__(self):
        return f"{self.headcount} {self.get_role_display()}"


# The France Santé criteria live in their own module; imported here so that Django registers the model.
from .france_sante import FranceSanteCheck  # noqa: E402, F401
