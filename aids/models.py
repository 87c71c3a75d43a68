"""The installation aids catalogue: aids (who funds, for whom, where) and their dated terms (how much, when).

Sources: the CPAM de l'Isère booklet for élus (seed 004: L330-394 France Santé, L437-458 IPA and assistant
médical, L610-656 cumul emploi-retraite, L662-758 ARS / Département / Assurance Maladie aids) and the PAPS pages
quoted in ANCHORS.md §1.9 (aids replaced on 1 January 2026, décret 2025-231). Amounts are never edited in
place when a rule changes: a new :class:`AidTerms` row with its own validity dates is added, so that fiches
and the simulator use the terms in force on the date asked (ANCHORS.md §3 item 5). Both models keep their
history (django-simple-history).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.formats import date_format
from simple_history.models import HistoricalRecords

from territories.enums import Level

from .enums import AidKind, AmountKind, Beneficiary, CareerStage, Funder, ZoningCondition
from .formatting import describe_amount, schedule_rows
from .sources import public_source

# Levels an aid's perimeter may have (an IRIS is not the territory of any funder).
PERIMETER_LEVELS = (Level.COUNTRY, Level.REGION, Level.DEPARTMENT, Level.EPCI, Level.COMMUNE)


class AidQuerySet(models.QuerySet):
    def active(self):
        """Aids shown to users (an inactive aid stays in the admin with its history)."""
        return self.filter(is_active=True)


class Aid(models.Model):
    """An installation aid or lever: funder, perimeter, beneficiaries, zoning condition, obligations, source.

    ``funder_territory`` is the aid's explicit perimeter (the Département de l'Isère for « Isère Médecins »;
    empty for a national aid): the commune of practice must lie in it. It is set on each aid, never inferred
    from the funder (ANCHORS.md §3: an aid filtered on its funder's institution silently dropped communes).
    Beneficiaries and career stages are lists of :class:`~aids.enums.Beneficiary` and
    :class:`~aids.enums.CareerStage` values (an empty list of stages: any stage).
    """

    slug = models.SlugField("identifiant", max_length=80, unique=True)
    name = models.CharField("nom", max_length=200)
    kind = models.CharField("nature", max_length=12, choices=AidKind.choices, default=AidKind.GRANT)
    funder = models.CharField("financeur", max_length=20, choices=Funder.choices)
    funder_territory = models.ForeignKey(
        "territories.Territory",
        verbose_name="périmètre (territoire du financeur)",
        null=True,
        blank=True,
        # A reference reload must not delete the territory of an aid: SET_NULL would silently turn a
        # départemental aid into a national one.
        on_delete=models.PROTECT,
        related_name="aids",
        help_text="Territoire où l'aide s'applique (ex. : Département de l'Isère). Vide : aide nationale.",
    )
    beneficiaries = models.JSONField(
        "bénéficiaires", default=list, help_text="Professions ou bénéficiaires visés (au moins un)."
    )
    career_stages = models.JSONField(
        "étapes de carrière", default=list, blank=True, help_text="Vide : quelle que soit l'étape de carrière."
    )
    zoning_condition = models.CharField(
        "condition de zonage ARS", max_length=12, choices=ZoningCondition.choices, default=ZoningCondition.NONE
    )
    description = models.TextField("description")
    obligations = models.TextField("engagements du bénéficiaire", blank=True)
    legal_basis = models.CharField("base juridique", max_length=300, blank=True)
    source = models.CharField(
        "source", max_length=300, help_text="Document et lignes citées, ex. : « Livret CPAM Isère 004 L728-735 »."
    )
    source_url = models.URLField("lien vers la source", max_length=500, blank=True)
    once_per_years = models.PositiveSmallIntegerField(
        "une seule fois par période de (années)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Ex. : 10 (décret 2025-231 : pas de seconde aide à l'installation de même catégorie en 10 ans).",
    )
    non_cumulative_rule = models.TextField("règle de non-cumul", blank=True)
    is_active = models.BooleanField("active", default=True)
    position = models.PositiveSmallIntegerField("ordre d'affichage", default=100)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    objects = AidQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "aide à l'installation"
        verbose_name_plural = "aides à l'installation"
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(funder__in=Funder.values), name="aids_aid_funder_valid"),
            models.CheckConstraint(condition=Q(kind__in=AidKind.values), name="aids_aid_kind_valid"),
            models.CheckConstraint(
                condition=Q(zoning_condition__in=ZoningCondition.values), name="aids_aid_zoning_condition_valid"
            ),
            models.CheckConstraint(
                condition=Q(once_per_years__isnull=True) | Q(once_per_years__gte=1), name="aids_aid_once_per_years"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        if not isinstance(self.beneficiaries, list) or not self.beneficiaries:
            errors["beneficiaries"] = "Indiquez au moins un bénéficiaire."
        elif unknown := [b for b in self.beneficiaries if b not in Beneficiary.values]:
            errors["beneficiaries"] = f"Bénéficiaire inconnu : {', '.join(map(str, unknown))}."
        if not isinstance(self.career_stages, list):
            errors["career_stages"] = "Les étapes de carrière sont une liste."
        elif unknown := [s for s in self.career_stages if s not in CareerStage.values]:
            errors["career_stages"] = f"Étape de carrière inconnue : {', '.join(map(str, unknown))}."
        territory = self.funder_territory if self.funder_territory_id else None
        if territory is not None and territory.level not in PERIMETER_LEVELS:
            errors["funder_territory"] = (
                "Le périmètre d'une aide est une commune, un EPCI, un département ou une région."
            )
        if errors:
            raise ValidationError(errors)

    def get_beneficiaries_display(self) -> list[str]:
        labels = dict(Beneficiary.choices)
        return [labels.get(b, b) for b in self.beneficiaries]

    def get_career_stages_display(self) -> list[str]:
        labels = dict(CareerStage.choices)
        return [labels.get(s, s) for s in self.career_stages]

    @property
    def public_source(self) -> str:
        """The source as users see it (« Livret CPAM de l'Isère, 2026, p. 25-27 »), see :mod:`aids.sources`."""
        return public_source(self.source)

    @property
    def is_national(self) -> bool:
        return self.funder_territory_id is None

    def covers(self, commune) -> bool:
        """Whether the commune lies in the aid's perimeter (no query: compares the commune's parent ids)."""
        perimeter = self.funder_territory
        if perimeter is None or perimeter.level == Level.COUNTRY:
            return True
        parent_id = {
            Level.REGION: commune.region_id,
            Level.DEPARTMENT: commune.department_id,
            Level.EPCI: commune.epci_id,
            Level.COMMUNE: commune.pk,
        }.get(perimeter.level)
        return parent_id == perimeter.pk


class AidTermsQuerySet(models.QuerySet):
    def in_force(self, *, on: date):
        """Terms in force on ``on``: valid_from ≤ on and (no end, or valid_until ≥ on). Both dates are included."""
        return self.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on), valid_from__lte=on)

    def overlapping(self, *, aid_id: int, valid_from: date, valid_until: date | None):
        """Terms of the aid whose validity shares at least one day with [valid_from, valid_until]."""
        queryset = self.filter(aid_id=aid_id).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=valid_from))
        if valid_until is not None:
            queryset = queryset.filter(valid_from__lte=valid_until)
        return queryset


def periods_overlap(a_from: date, a_until: date | None, b_from: date, b_until: date | None) -> bool:
    """Whether two validity periods (end included, ``None`` = open-ended) share at least one day."""
    return (b_until is None or a_from <= b_until) and (a_until is None or b_from <= a_until)


def format_day(value: date) -> str:
    """« 1er janvier 2026 », « 31 décembre 2025 »."""
    return f"{'1er' if value.day == 1 else value.day} {date_format(value, 'F Y')}"


def overlap_message(a_from: date, a_until: date | None, b_from: date, b_until: date | None) -> str:
    def period(start, end):
        return f"du {format_day(start)} " + (f"au {format_day(end)}" if end else "sans date de fin")

    return (
        f"Les périodes de validité se chevauchent ({period(a_from, a_until)} ; {period(b_from, b_until)}). "
        "Fermez la période précédente (date de fin) avant d'ouvrir la nouvelle."
    )


class AidTerms(models.Model):
    """The terms of an aid for a validity period: kind of amount, amount, ceiling, yearly schedule, conditions.

    ``valid_until`` is included (the last day in force); empty: open-ended. The periods of one aid never
    overlap: checked by :meth:`clean` (admin and services) and, on PostgreSQL, by a deferred exclusion
    constraint (migration 0002). ``amount`` is in euros, or a percentage for ``percent``; for a ``schedule``
    it is the highest yearly amount of the schedule. ``schedule`` (``schedule`` kind only)::

        {"years": ["1re année", "2e année", "3e année et suivantes"],
         "rows": [{"fte": 0.5, "amounts": [19000, 14000, 11000]}, {"fte": 1, "amounts": [38000, 28000, 22000]}]}
    """

    aid = models.ForeignKey(Aid, verbose_name="aide", on_delete=models.CASCADE, related_name="terms")
    valid_from = models.DateField("en vigueur du")
    valid_until = models.DateField("jusqu'au (inclus)", null=True, blank=True, help_text="Vide : sans date de fin.")
    amount_kind = models.CharField("type de montant", max_length=16, choices=AmountKind.choices)
    amount = models.DecimalField(
        "montant",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="En euros (en % pour un pourcentage ; pour un barème, le montant annuel le plus élevé). "
        "Vide seulement pour un montant non chiffré.",
    )
    is_ceiling = models.BooleanField("montant maximal (« jusqu'à »)", default=False)
    cap = models.DecimalField(
        "plafond (€)",
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Par mois pour un montant par demi-journée ; total pour un pourcentage.",
    )
    schedule = models.JSONField("barème", default=dict, blank=True)
    amount_note = models.CharField("précision sur le montant", max_length=200, blank=True, help_text="Ex. : sur 3 ans.")
    conditions = models.TextField("conditions", blank=True)
    source = models.CharField(
        "source de ces montants", max_length=300, blank=True, help_text="Vide : la source de l'aide."
    )
    updated_at = models.DateTimeField("modifiées le", auto_now=True)

    objects = AidTermsQuerySet.as_manager()
    history = HistoricalRecords()

    # Set by callers that check the final set of periods themselves (admin inline formset, catalogue loader),
    # where the rows in the database are about to change together.
    defer_overlap_check = False

    class Meta:
        verbose_name = "conditions et montants"
        verbose_name_plural = "conditions et montants"
        ordering = ["aid", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["aid", "valid_from"], name="aids_terms_aid_valid_from_unique"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=F("valid_from")),
                name="aids_terms_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="aids_terms_amount_non_negative"
            ),
            models.CheckConstraint(condition=Q(cap__isnull=True) | Q(cap__gte=0), name="aids_terms_cap_non_negative"),
            models.CheckConstraint(condition=Q(amount_kind__in=AmountKind.values), name="aids_terms_amount_kind_valid"),
            models.CheckConstraint(
                condition=Q(amount_kind=AmountKind.UNSPECIFIED, amount__isnull=True)
                | (~Q(amount_kind=AmountKind.UNSPECIFIED) & Q(amount__isnull=False)),
                name="aids_terms_amount_given_unless_unspecified",
            ),
            models.CheckConstraint(
                condition=~Q(amount_kind=AmountKind.PERCENT) | Q(amount__lte=100), name="aids_terms_percent_max_100"
            ),
            models.CheckConstraint(
                condition=~Q(amount_kind__in=[AmountKind.PERCENT, AmountKind.PER_HALF_DAY]) | Q(cap__isnull=False),
                name="aids_terms_cap_required",
            ),
        ]

    def __str__(self):
        end = f" au {format_day(self.valid_until)}" if self.valid_until else ""
        return f"{self.aid} : du {format_day(self.valid_from)}{end}"

    def is_in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)

    def status(self, on: date) -> str:
        """« en vigueur », « à venir » or « expiré » on ``on`` (ANCHORS.md §3 item 5)."""
        if self.valid_from > on:
            return "à venir"
        return "expiré" if self.valid_until is not None and self.valid_until < on else "en vigueur"

    @property
    def amount_label(self) -> str:
        """The amount in French: « 10 000 € (forfait unique) », « 50 % de la dépense, plafond 10 000 € »."""
        return describe_amount(self)

    @property
    def public_source(self) -> str:
        """The source of these amounts as users see them (the aid's when the terms have none)."""
        return public_source(self.source) or self.aid.public_source

    @property
    def schedule_rows(self) -> list[tuple[str, list[str]]]:
        return schedule_rows(self)

    def clean(self):
        super().clean()
        errors: dict[str, list[str]] = {}

        def add(field, message):
            errors.setdefault(field, []).append(message)

        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            add("valid_until", "La date de fin doit être postérieure à la date de début.")
        if self.amount_kind == AmountKind.UNSPECIFIED:
            if self.amount is not None:
                add("amount", "Un montant non chiffré n'a pas de montant : videz ce champ ou changez le type.")
        elif self.amount is None:
            add("amount", "Indiquez le montant.")
        if self.amount is not None and self.amount < 0:
            add("amount", "Le montant ne peut pas être négatif.")
        if self.cap is not None and self.cap < 0:
            add("cap", "Le plafond ne peut pas être négatif.")
        if self.amount_kind == AmountKind.PERCENT and self.amount is not None and self.amount > 100:
            add("amount", "Un pourcentage ne peut pas dépasser 100.")
        if self.amount_kind in (AmountKind.PERCENT, AmountKind.PER_HALF_DAY) and self.cap is None:
            add("cap", "Indiquez le plafond de ce type de montant.")
        if self.amount_kind == AmountKind.SCHEDULE:
            for message in schedule_errors(self.schedule, amount=self.amount):
                add("schedule", message)
        elif self.schedule:
            add("schedule", "Un barème ne s'indique que pour le type « barème annuel ».")
        if (
            not errors
            and not self.defer_overlap_check
            and self.aid_id
            and self.valid_from
            and (
                other := AidTerms.objects.overlapping(
                    aid_id=self.aid_id, valid_from=self.valid_from, valid_until=self.valid_until
                )
                .exclude(pk=self.pk)
                .first()
            )
        ):
            add("valid_from", overlap_message(self.valid_from, self.valid_until, other.valid_from, other.valid_until))
        if errors:
            raise ValidationError(errors)


def schedule_errors(schedule, *, amount: Decimal | None) -> list[str]:
    """French messages for a badly formed schedule (empty list: valid). See :class:`AidTerms`."""
    if not isinstance(schedule, dict) or not schedule.get("rows") or not schedule.get("years"):
        return ["Le barème doit indiquer « years » (libellés des années) et « rows » (lignes par ETP)."]
    years = schedule["years"]
    if not isinstance(years, list) or not all(isinstance(y, str) and y for y in years):
        return ["« years » doit être une liste de libellés d'années."]
    errors = []
    highest = Decimal(0)
    for index, row in enumerate(schedule["rows"], start=1):
        if not isinstance(row, dict):
            errors.append(f"Ligne {index} du barème : un objet {{fte, amounts}} est attendu.")
            continue
        fte, amounts = row.get("fte"), row.get("amounts")
        if isinstance(fte, bool) or not isinstance(fte, int | float) or fte <= 0:
            errors.append(f"Ligne {index} du barème : « fte » doit être un nombre d'ETP positif.")
        if not isinstance(amounts, list) or len(amounts) != len(years):
            errors.append(f"Ligne {index} du barème : {len(years)} montants attendus (un par année).")
            continue
        for value in amounts:
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                errors.append(f"Ligne {index} du barème : les montants sont des nombres positifs ou nuls.")
                break
            highest = max(highest, Decimal(str(value)))
    if not errors and amount is not None and amount != highest:
        errors.append(f"Le montant doit être le montant annuel le plus élevé du barème ({highest:f} €).")
    return errors
