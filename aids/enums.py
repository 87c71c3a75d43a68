"""Vocabulary of the aid catalogue (CPAM Isère booklet, seed 004 L660-758; DOMAIN.md §5.2)."""

from django.db import models

from territories.enums import Profession, Zone


class Funder(models.TextChoices):
    ARS = "ars", "ARS (agence régionale de santé)"
    HEALTH_INSURANCE = "assurance_maladie", "Assurance Maladie (CPAM)"
    DEPARTMENT = "departement", "Département"
    REGION = "region", "Région"
    EPCI = "epci", "intercommunalité (EPCI)"
    COMMUNE = "commune", "commune"
    STATE = "etat", "État"
    OTHER = "autre", "autre financeur"


class AidKind(models.TextChoices):
    """What the aid is: money, a contract that guarantees income, a label, or a regulatory lever to know."""

    GRANT = "grant", "aide financière"
    CONTRACT = "contract", "contrat (rémunération ou complément de revenu)"
    LABEL = "label", "label avec financement"
    LEVER = "lever", "levier réglementaire (information)"


class Beneficiary(models.TextChoices):
    """Who receives the aid: the six professions of the zoning (same values as ``territories.enums.Profession``,
    so that a profession is a beneficiary as is), plus beneficiaries that are not a zoned profession."""

    GP = Profession.GP.value, Profession.GP.label
    NURSE = Profession.NURSE.value, Profession.NURSE.label
    PHYSIO = Profession.PHYSIO.value, Profession.PHYSIO.label
    DENTIST = Profession.DENTIST.value, Profession.DENTIST.label
    MIDWIFE = Profession.MIDWIFE.value, Profession.MIDWIFE.label
    PHARMACIST = Profession.PHARMACIST.value, Profession.PHARMACIST.label
    MEDICAL_STUDENT = "medical_student", "étudiant ou interne en médecine"
    GP_STUDENT = "gp_student", "étudiant ou interne en médecine générale"
    IPA = "ipa", "infirmier en pratique avancée (IPA)"
    STRUCTURE = "structure", "structure d'exercice coordonné (MSP, centre de santé, ESP)"
    ASSISTANT_EMPLOYER = "assistant_employer", "médecin employeur d'un assistant médical"


# The ARS zoning that decides an aid's zoning condition, by beneficiary. Zonings are published per profession;
# a beneficiary that is not a zoned profession is read on the zoning of the profession it will practise:
# medical students, doctors employing an assistant and coordinated structures on the GP zoning (the
# « zonage médecins » the booklet refers to, 004:L662), IPA on the nurses' zoning.
ZONING_PROFESSION: dict[str, str] = {
    **{p.value: p.value for p in Profession},
    Beneficiary.MEDICAL_STUDENT: Profession.GP,
    Beneficiary.GP_STUDENT: Profession.GP,
    Beneficiary.IPA: Profession.NURSE,
    Beneficiary.STRUCTURE: Profession.GP,
    Beneficiary.ASSISTANT_EMPLOYER: Profession.GP,
}


class CareerStage(models.TextChoices):
    STUDENT = "student", "étudiant ou en formation"
    FIRST_INSTALLATION = "first_installation", "primo-installation"
    INSTALLED = "installed", "déjà installé"
    RETIRED_WORKING = "retired_working", "retraité en cumul emploi-retraite"


class ZoningCondition(models.TextChoices):
    """Where, in the ARS zoning of the commune of practice, the aid may be granted.

    ``zac`` alone exists because the Assurance Maladie pays a different amount in ZIP and in ZAC
    (004:L728-732): the ZAC aid is not granted in a ZIP, which has its own.

    ``any``: granted whatever the zone, the zoning is shown for information (aids « notamment en zone
    sous-dense »); ``none``: the zoning plays no part (a student's allowance, an employer's aid).
    """

    ZIP = "zip", "en ZIP uniquement"
    ZAC = "zac", "en ZAC uniquement"
    ZIP_OR_ZAC = "zip_or_zac", "en ZIP ou en ZAC"
    ANY = "any", "toute zone (zonage indicatif)"
    NONE = "none", "sans condition de zonage"


# Zones that satisfy each condition (``None``: no zoning needed).
ZONES_REQUIRED: dict[str, frozenset[str] | None] = {
    ZoningCondition.ZIP: frozenset({Zone.ZIP}),
    ZoningCondition.ZAC: frozenset({Zone.ZAC}),
    ZoningCondition.ZIP_OR_ZAC: frozenset({Zone.ZIP, Zone.ZAC}),
    ZoningCondition.ANY: None,
    ZoningCondition.NONE: None,
}


class AmountKind(models.TextChoices):
    ONE_OFF = "one_off", "forfait unique"
    TOTAL = "total", "montant global"
    MONTHLY = "monthly", "par mois"
    YEARLY = "yearly", "par an"
    PER_HALF_DAY = "per_half_day", "par demi-journée, avec plafond mensuel"
    PERCENT = "percent", "pourcentage de la dépense, avec plafond"
    SCHEDULE = "schedule", "barème annuel par année et ETP"
    UNSPECIFIED = "unspecified", "montant non chiffré"
