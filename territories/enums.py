from django.db import models


class Level(models.TextChoices):
    COUNTRY = "country", "pays"
    REGION = "region", "région"
    DEPARTMENT = "department", "département"
    EPCI = "epci", "EPCI"
    COMMUNE = "commune", "commune"
    IRIS = "iris", "IRIS"


class GeometryUse(models.TextChoices):
    """Simplification levels, one per map use (tolerance in degrees, WGS84)."""

    DETAIL = "detail", "détail (carte d'un territoire)"
    LIGHT = "light", "allégée (carte d'un département ou d'une région)"


class Theme(models.TextChoices):
    POPULATION = "population", "population et besoins"
    SUPPLY = "supply", "offre de soins"
    ACCESS = "access", "accès aux soins"
    PREVENTION = "prevention", "prévention"


class Profession(models.TextChoices):
    GP = "gp", "médecin généraliste"
    NURSE = "nurse", "infirmier"
    PHYSIO = "physio", "masseur-kinésithérapeute"
    DENTIST = "dentist", "chirurgien-dentiste"
    MIDWIFE = "midwife", "sage-femme"
    PHARMACIST = "pharmacist", "pharmacien"


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher_is_better", "plus c'est haut, mieux c'est"
    HIGHER_IS_WORSE = "higher_is_worse", "plus c'est haut, plus c'est préoccupant"
    NEUTRAL = "neutral", "neutre"


class Aggregation(models.TextChoices):
    """How parents are computed from communes: counts are summed; ratios sum numerators and denominators."""

    SUM = "sum", "somme des effectifs"
    RATIO = "ratio", "rapport des sommes (numérateur / dénominateur)"


class SecretBasis(models.TextChoices):
    """Which count the statistical-secret threshold applies to."""

    NONE = "none", "aucun secret (donnée publique)"
    VALUE = "value", "effectif publié"
    NUMERATOR = "numerator", "numérateur"
    DENOMINATOR = "denominator", "dénominateur"


class Zone(models.TextChoices):
    """ARS zoning vocabulary (CPAM Isère booklet, 004:L662)."""

    ZIP = "zip", "zone d'intervention prioritaire (ZIP)"
    ZAC = "zac", "zone d'action complémentaire (ZAC)"
    NONE = "none", "hors zone"


# --- Early-warning signals (« signaux d'alerte », CPAM booklet 004:L74-82) --------------------------------


class SignalLevel(models.TextChoices):
    """Severity of a signal; ``SIGNAL_LEVEL_RANK`` orders them (alerte first)."""

    ALERT = "alert", "alerte"
    VIGILANCE = "vigilance", "vigilance"
    INFO = "info", "information"


SIGNAL_LEVEL_RANK = {SignalLevel.ALERT: 3, SignalLevel.VIGILANCE: 2, SignalLevel.INFO: 1}


class SignalComparison(models.TextChoices):
    """How a rule compares an indicator value (see ``territories/services/signals.py``)."""

    ABOVE_THRESHOLD = "above_threshold", "au-dessus d'un seuil"
    BELOW_THRESHOLD = "below_threshold", "en dessous d'un seuil"
    BELOW_REFERENCE = "below_reference", "en dessous du territoire de référence (écart en %)"
    ABOVE_REFERENCE = "above_reference", "au-dessus du territoire de référence (écart en %)"
    RISING = "rising", "en hausse sur N années"
    FALLING = "falling", "en baisse sur N années"


class ReportedSignalKind(models.TextChoices):
    """Weak signals an élu or a referent reports (CPAM booklet, rôle « Observer et alerter », 004:L250-252)."""

    DOCTOR_DEPARTURE = "doctor_departure", "départ annoncé d'un médecin"
    APPOINTMENT_TENSIONS = "appointment_tensions", "tensions sur les rendez-vous"
    FORGOING_CARE = "forgoing_care", "renoncement aux soins constaté par les services municipaux"
    OTHER = "other", "autre"


class ReportedSignalStatus(models.TextChoices):
    NEW = "new", "nouveau"
    ACKNOWLEDGED = "acknowledged", "pris en compte"
    CLOSED = "closed", "clos"
