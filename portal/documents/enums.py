from django.db import models


class DocumentKind(models.TextChoices):
    FICHE_PDF = "fiche_pdf", "fiche territoire (PDF)"
    MAP_HTML = "map_html", "carte interactive (HTML)"


class DocumentStatus(models.TextChoices):
    """Life cycle of a generated document: en_attente → en_cours → pret | echec (back to en_attente on retry)."""

    PENDING = "en_attente", "en attente"
    RUNNING = "en_cours", "en cours"
    READY = "pret", "prêt"
    FAILED = "echec", "échec"
