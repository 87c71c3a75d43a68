from django.db import models
from django.db.models import F, Max, Q

from ..enums import Aggregation, Direction, Profession, SecretBasis, Theme, Zone


class IndicatorQuerySet(models.QuerySet):
    def public(self):
        """Indicators élus of other territories may see (comparisons)."""
        return self.filter(is_public=True)

    def for_theme(self, theme: str):
        return self.filter(theme=theme)


class Indicator(models.Model):
    """One indicator of the territorial diagnosis, with its source, vintage and computation rules.

    The catalogue lives in ``territories/catalogue.py`` and is loaded by ``sync_indicator_catalogue``.
    Values are stored per commune and aggregated up the hierarchy (``services/indicator_aggregation.py``):
    counts are summed, ratios are the ratio of summed numerators and denominators (never a mean of ratios),
    times ``scale``.
    """

    code = models.SlugField("code", max_length=60, unique=True)
    label = models.CharField("libellé", max_length=200)
    unit = models.CharField("unité", max_length=60)
    theme = models.CharField("thème", max_length=12, choices=Theme.choices)
    profession = models.CharField("profession", max_length=12, choices=Profession.choices, blank=True)
    source = models.CharField("source", max_length=200)
    vintage = models.CharField("millésime", max_length=60)
    method = models.TextField("méthode")
    direction = models.CharField("sens de lecture", max_length=20, choices=Direction.choices)
    aggregation = models.CharField("agrégation", max_length=8, choices=Aggregation.choices)
    scale = models.FloatField(
        "facteur d'échelle", default=1, help_text="100 pour un pourcentage, 10 000 pour une densité."
    )
    decimals = models.PositiveSmallIntegerField("décimales affichées", default=1)
    secret_basis = models.CharField("effectif soumis au secret", max_length=12, choices=SecretBasis.choices)
    secret_threshold = models.PositiveIntegerField(
        "seuil du secret statistique",
        default=0,
        help_text="Effectif minimal (strictement positif) sous lequel la valeur est masquée.",
    )
    allows_negative = models.BooleanField("valeurs négatives admises", default=False)
    is_public = models.BooleanField("visible par les élus des autres territoires", default=True)
    is_demo = models.BooleanField("données de démonstration", default=False)
    position = models.PositiveSmallIntegerField("ordre d'affichage", default=0)

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = "indicateur"
        verbose_name_plural = "indicateurs"
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(scale__gt=0), name="indicator_scale_positive"),
            models.CheckConstraint(
                condition=Q(secret_basis=SecretBasis.NONE, secret_threshold=0) | ~Q(secret_basis=SecretBasis.NONE),
                name="indicator_secret_consistent",
            ),
            models.CheckConstraint(
                condition=~Q(aggregation=Aggregation.SUM) | Q(secret_basis__in=[SecretBasis.NONE, SecretBasis.VALUE]),
                name="indicator_sum_secret_on_value",
            ),
        ]

    def __str__(self):
        return self.label


class IndicatorValueQuerySet(models.QuerySet):
    def for_territory(self, territory):
        return self.filter(territory=territory)

    def for_indicator(self, indicator):
        if isinstance(indicator, str):
            return self.filter(indicator__code=indicator)
        return self.filter(indicator=indicator)

    def visible(self):
        """Values that may be shown (not under statistical secret)."""
        return self.filter(is_masked=False)

    def latest(self):
        """For each (territory, indicator), the row of the most recent year available."""
        last = (
            self.model.objects.filter(territory=models.OuterRef("territory"), indicator=models.OuterRef("indicator"))
            .values("territory", "indicator")
            .annotate(last=Max("year"))
            .values("last")
        )
        return self.filter(year=models.Subquery(last[:1]))

    def series(self):
        """Chronological order, for trends."""
        return self.order_by("indicator__position", "indicator__code", "year")

    def with_territory_level(self):
        return self.annotate(level=F("territory__level"))


class IndicatorValue(models.Model):
    """The value of an indicator for one territory and one year.

    Commune rows come from an import or the demonstration generator; EPCI, département, région and
    France rows are computed from the communes. ``numerator`` (the count for a sum indicator) and
    ``denominator`` are kept even when the value is masked so that parents can be recomputed;
    pages and the API must show a masked value as « secret statistique » and never expose its
    numerator or denominator.
    """

    # Two indexes only: the unique (territory, indicator, year) one serves every read by territory (a territory
    # has fewer than 100 rows, all years included) and (indicator, year) the maps, rankings and signals. No
    # single-column index on the foreign keys: those two serve them as prefixes (smaller database, faster loads).
    territory = models.ForeignKey(
        "territories.Territory", on_delete=models.CASCADE, related_name="indicator_values", db_index=False
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values", db_index=False)
    year = models.PositiveSmallIntegerField("année")
    value = models.FloatField("valeur", null=True, blank=True)
    numerator = models.FloatField("numérateur", null=True, blank=True)
    denominator = models.FloatField("dénominateur", null=True, blank=True)
    is_masked = models.BooleanField("secret statistique", default=False)
    is_demo = models.BooleanField("données de démonstration", default=False)

    objects = IndicatorValueQuerySet.as_manager()

    class Meta:
        verbose_name = "valeur d'indicateur"
        verbose_name_plural = "valeurs d'indicateurs"
        constraints = [
            models.UniqueConstraint(fields=["territory", "indicator", "year"], name="indicator_value_unique"),
            models.CheckConstraint(condition=Q(year__gte=1990, year__lte=2100), name="indicator_value_year_range"),
            models.CheckConstraint(
                condition=Q(is_masked=False) | Q(value__isnull=True), name="indicator_value_masked_has_no_value"
            ),
            models.CheckConstraint(
                condition=Q(denominator__isnull=True) | Q(denominator__gt=0),
                name="indicator_value_denominator_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["indicator", "year"], name="indicator_value_ind_year"),
        ]

    def __str__(self):
        return f"{self.indicator_id} {self.territory_id} {self.year}"


class ZoningQuerySet(models.QuerySet):
    def in_force(self, *, on):
        """Zonings in force on the date ``on`` (valid_from ≤ on, and valid_until empty or ≥ on)."""
        return self.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on), valid_from__lte=on)

    def for_commune(self, commune):
        return self.filter(commune=commune)


class Zoning(models.Model):
    """ARS zoning of a commune for one profession (ZIP / ZAC / hors zone), dated by its arrêté.

    Real zonings come from the ARS arrêtés; the demonstration generator produces two successive demo
    arrêtés per commune for GPs.
    """

    commune = models.ForeignKey("territories.Territory", on_delete=models.CASCADE, related_name="zonings")
    profession = models.CharField("profession", max_length=12, choices=Profession.choices)
    zone = models.CharField("zone", max_length=4, choices=Zone.choices)
    reference = models.CharField("arrêté", max_length=200, blank=True)
    valid_from = models.DateField("en vigueur du")
    valid_until = models.DateField("jusqu'au", null=True, blank=True)
    is_demo = models.BooleanField("données de démonstration", default=False)

    objects = ZoningQuerySet.as_manager()

    class Meta:
        verbose_name = "zonage ARS"
        verbose_name_plural = "zonages ARS"
        ordering = ["commune", "profession", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["commune", "profession", "valid_from"], name="zoning_unique_start"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")), name="zoning_dates_ordered"
            ),
        ]
        indexes = [models.Index(fields=["profession", "valid_from"], name="zoning_profession_from")]

    def __str__(self):
        return f"{self.commune_id} {self.profession} {self.zone} ({self.valid_from})"
