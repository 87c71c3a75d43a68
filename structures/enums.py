from django.db import models


class StructureKind(models.TextChoices):
    """Coordinated-care and primary-care structures élus should know (RfVS guide, DOMAIN.md §2.1)."""

    CPTS = "cpts", "communauté professionnelle territoriale de santé (CPTS)"
    MSP = "msp", "maison de santé pluriprofessionnelle (MSP)"
    CDS = "cds", "centre de santé"
    ESP = "esp", "équipe de soins primaires (ESP)"
    MMG = "mmg", "maison médicale de garde"
    PASS = "pass", "permanence d'accès aux soins de santé (PASS)"


# Short labels for tables, counters and map legends (same order as the enum).
KIND_SHORT_LABELS = {
    StructureKind.CPTS: "CPTS",
    StructureKind.MSP: "MSP",
    StructureKind.CDS: "Centre de santé",
    StructureKind.ESP: "ESP",
    StructureKind.MMG: "Maison médicale de garde",
    StructureKind.PASS: "PASS",
}
KIND_PLURAL_LABELS = {
    StructureKind.CPTS: "CPTS",
    StructureKind.MSP: "maisons de santé (MSP)",
    StructureKind.CDS: "centres de santé",
    StructureKind.ESP: "équipes de soins primaires",
    StructureKind.MMG: "maisons médicales de garde",
    StructureKind.PASS: "PASS",
}


class Stage(models.TextChoices):
    """Life cycle of a structure: projet → ouverte → fermée; a CPTS goes projet → préfiguration → ACI signé.

    The ACI (accord conventionnel interprofessionnel) signed with the CPAM and the ARS funds a CPTS's
    missions: a CPTS with a signed ACI is « in operation ».
    """

    PROJECT = "project", "en projet"
    PREFIGURATION = "prefiguration", "en préfiguration"
    SIGNED = "signed", "ACI signé"
    OPEN = "open", "ouverte"
    CLOSED = "closed", "fermée"


CPTS_STAGES = (Stage.PROJECT, Stage.PREFIGURATION, Stage.SIGNED, Stage.CLOSED)
OTHER_STAGES = (Stage.PROJECT, Stage.OPEN, Stage.CLOSED)
# Stages of a structure in operation (what `StructureQuerySet.open()` returns).
OPERATING_STAGES = (Stage.OPEN, Stage.SIGNED)
