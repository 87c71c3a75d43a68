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


class TeamRole(models.TextChoices):
    """The extended care team (« équipe élargie ») counted apart from the professions of ``TeamCount``.

    Source: CPAM Isère booklet, « Les principaux leviers de délégation de tâches » (IPA, assistant médical,
    pharmacien correspondant, sage-femme référente), and the Grigny MSP's infirmière Asalée; docteurs juniors
    are the interns hosted in their last year (« Accueillir un Docteur Junior »).
    """

    IPA = "ipa", "infirmier en pratique avancée (IPA)"
    MEDICAL_ASSISTANT = "medical_assistant", "assistant médical"
    ASALEE = "asalee", "infirmière Asalée"
    CORRESPONDING_PHARMACIST = "corr_pharmacist", "pharmacien correspondant"
    REFERENT_MIDWIFE = "referent_midwife", "sage-femme référente"
    JUNIOR_DOCTOR = "junior_doctor", "docteur junior"


TEAM_ROLE_PLURALS = {
    TeamRole.IPA: "IPA",
    TeamRole.MEDICAL_ASSISTANT: "assistants médicaux",
    TeamRole.ASALEE: "infirmières Asalée",
    TeamRole.CORRESPONDING_PHARMACIST: "pharmaciens correspondants",
    TeamRole.REFERENT_MIDWIFE: "sages-femmes référentes",
    TeamRole.JUNIOR_DOCTOR: "docteurs juniors",
}
# The extended team of the booklet's levers (docteurs juniors belong to the training pipeline instead).
EXTENDED_TEAM_ROLES = (
    TeamRole.IPA,
    TeamRole.MEDICAL_ASSISTANT,
    TeamRole.ASALEE,
    TeamRole.CORRESPONDING_PHARMACIST,
    TeamRole.REFERENT_MIDWIFE,
)


class Sector(models.TextChoices):
    """Convention sector of the structure's doctors (secteur 1: no dépassements d'honoraires)."""

    SECTOR_1 = "1", "secteur 1 (sans dépassements d'honoraires)"
    SECTOR_2 = "2", "secteur 2 (dépassements possibles)"
    MIXED = "mixed", "secteurs 1 et 2"


class Weekday(models.IntegerChoices):
    MONDAY = 1, "lundi"
    TUESDAY = 2, "mardi"
    WEDNESDAY = 3, "mercredi"
    THURSDAY = 4, "jeudi"
    FRIDAY = 5, "vendredi"
    SATURDAY = 6, "samedi"
    SUNDAY = 7, "dimanche"


class CptsMission(models.TextChoices):
    """The CPTS missions of the ACI (accord conventionnel interprofessionnel)."""

    ACCESS = "access", "accès aux soins (médecin traitant, soins non programmés)"
    UNSCHEDULED = "unscheduled", "soins non programmés"
    PREVENTION = "prevention", "prévention"
    PATHWAYS = "pathways", "parcours pluriprofessionnels"
