from django.db import models

from structures.enums import StructureKind


class ProjectKind(models.TextChoices):
    """Kinds of health projects an élu, the CPAM and the ARS follow together (Grigny incubator: seed text)."""

    MSP = "msp", "maison de santé pluriprofessionnelle (MSP)"
    CDS_MUNICIPAL = "cds_municipal", "centre de santé municipal"
    CDS_INTERCOMMUNAL = "cds_intercommunal", "centre de santé intercommunal"
    CDS_ASSOCIATIVE = "cds_associative", "centre de santé associatif"
    CPTS = "cpts", "communauté professionnelle territoriale de santé (CPTS)"
    ESP = "esp", "équipe de soins primaires (ESP)"
    SECONDARY_PRACTICE = "secondary", "cabinet secondaire"
    INCUBATOR = "incubator", "incubateur de santé"


# The structure a project becomes when it opens; cabinets secondaires and incubators are not structures of the
# register (an incubator usually becomes an MSP later: a new project of that kind).
STRUCTURE_KIND_OF = {
    ProjectKind.MSP: StructureKind.MSP,
    ProjectKind.CDS_MUNICIPAL: StructureKind.CDS,
    ProjectKind.CDS_INTERCOMMUNAL: StructureKind.CDS,
    ProjectKind.CDS_ASSOCIATIVE: StructureKind.CDS,
    ProjectKind.CPTS: StructureKind.CPTS,
    ProjectKind.ESP: StructureKind.ESP,
}


class ProjectStage(models.TextChoices):
    """The nine ordered stages of a coordinated-care project (Villes-Santé guide's shared pipeline, CPAM
    booklet « du diagnostic à la mise en œuvre »). Their order is the enum order (:data:`STAGE_RANK`)."""

    IDEA = "idea", "idée"
    TEAM = "team", "équipe constituée"
    DIAGNOSIS = "diagnosis", "diagnostic partagé"
    HEALTH_PROJECT = "health_project", "projet de santé rédigé"
    ARS_VALIDATED = "ars_validated", "validé ARS"
    PREMISES = "premises", "locaux trouvés"
    WORKS = "works", "travaux"
    OPENING = "opening", "ouverture"
    AGREEMENT = "agreement", "accord conventionnel signé"


STAGE_RANK = {stage: i for i, stage in enumerate(ProjectStage.values)}


class EventKind(models.TextChoices):
    CREATED = "created", "création"
    STAGE = "stage", "changement de stade"
    NEXT_STEP = "next_step", "prochaine étape"
    BLOCKERS = "blockers", "points de blocage"
    DETAILS = "details", "modification"
    AID = "aid", "aide"
    DOCUMENT = "document", "document"
    STRUCTURE = "structure", "fiche structure"
    REMINDER = "reminder", "rappel"


class AidStatus(models.TextChoices):
    REQUESTED = "requested", "demandée"
    OBTAINED = "obtained", "obtenue"
    REFUSED = "refused", "refusée"


class OfferKind(models.TextChoices):
    PREMISES = "premises", "locaux professionnels"
    HOUSING = "housing", "logement pour professionnels ou internes"


class HousingAudience(models.TextChoices):
    PROFESSIONALS = "professionals", "professionnels de santé"
    INTERNS = "interns", "internes et docteurs juniors"
    BOTH = "both", "professionnels et internes"


class PartnerKind(models.TextChoices):
    """Who does what for an élu (CPAM Isère booklet, « Qui fait quoi pour l'accès aux soins ? »)."""

    ARS_DD = "ars_dd", "ARS, délégation départementale"
    CPAM = "cpam", "CPAM, référents"
    MSA = "msa", "MSA"
    DEPARTMENT = "department", "Conseil départemental"
    URPS = "urps", "URPS"
    MSP_FEDERATION = "msp_federation", "fédération des maisons de santé"
    ORDER = "order", "Ordre des médecins"
    CLS_COORDINATOR = "cls_coordinator", "coordination du contrat local de santé"
