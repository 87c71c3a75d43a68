"""Vocabulary of prevention and access to rights (DOMAIN.md §2.2-2.3 places, §4 taxonomy, §4.6 roles, §4.7 publics)."""

from django.db import models


class AccessPointKind(models.TextChoices):
    """Places where people get their health-insurance rights opened or are helped with them (DOMAIN.md §2.2-2.3)."""

    CPAM = "cpam", "accueil CPAM"
    FRANCE_SERVICES = "france_services", "France Services"
    PASS = "pass", "PASS (permanence d'accès aux soins de santé)"
    CCAS = "ccas", "CCAS (centre communal d'action sociale)"
    HEALTH_POINT = "point_sante", "point d'accueil santé / médiation"


ACCESS_POINT_LAYER_COLORS = {
    AccessPointKind.CPAM: "#000091",
    AccessPointKind.FRANCE_SERVICES: "#6a6af4",
    AccessPointKind.PASS: "#a94645",
    AccessPointKind.CCAS: "#716043",
    AccessPointKind.HEALTH_POINT: "#009081",
}


class AccessService(models.TextChoices):
    CSS = "css", "complémentaire santé solidaire (CSS)"
    AME = "ame", "aide médicale de l'État (AME)"
    PUMA = "puma", "protection universelle maladie (PUMa)"
    HEALTH_CHECK = "bilan_sante", "bilan de santé (examen de prévention)"
    PAPERWORK = "demarches", "aide aux démarches"
    MEDIATION = "mediation", "médiation en santé"
    FREE_CARE = "soins_gratuits", "consultations gratuites"


class PreventionTheme(models.TextChoices):
    CANCER_SCREENING = "depistage_cancers", "dépistage des cancers"
    VACCINATION = "vaccination", "vaccination"
    HEALTH_CHECK = "bilan_sante", "bilan de santé"
    ORAL_HEALTH = "bucco_dentaire", "santé bucco-dentaire"
    NUTRITION_SPORT = "nutrition_sport", "nutrition et sport-santé"
    MENTAL_HEALTH = "sante_mentale", "santé mentale"
    RIGHTS = "acces_droits", "accès aux droits"
    OUTREACH = "aller_vers", "aller-vers"


class ActionStatus(models.TextChoices):
    PLANNED = "planned", "prévue"
    ONGOING = "ongoing", "en cours"
    DONE = "done", "terminée"


class TargetPublic(models.TextChoices):
    """Publics named by the Villes-Santé guide's examples (DOMAIN.md §4.7)."""

    ALL = "tous", "tout public"
    NO_GP = "sans_medecin_traitant", "personnes sans médecin traitant"
    CHRONIC = "ald", "patients en ALD ou atteints de maladies chroniques"
    ELDERLY = "personnes_agees", "personnes âgées"
    CSS = "beneficiaires_css", "bénéficiaires de la CSS"
    HOMELESS = "sans_domicile", "personnes sans domicile"
    MIGRANTS = "migrants", "personnes migrantes"
    YOUNG = "jeunes", "jeunes de 16 à 25 ans et étudiants"
    HOSTEL = "foyers", "résidents de foyers de travailleurs"
    WOMEN = "femmes", "femmes"
    DIABETES = "diabete", "personnes diabétiques"
    MENTAL = "sante_mentale", "personnes en difficulté psychique"
    DISABILITY = "handicap", "personnes en situation de handicap"
    QPV = "qpv", "habitants des quartiers prioritaires (QPV)"
    CHILDREN = "enfants", "enfants et familles"


class Axis(models.TextChoices):
    """The four axes of the Villes-Santé guide (DOMAIN.md §4)."""

    A = "A", "A. Créer un contexte local favorable"
    B = "B", "B. Agir sur l'offre de soins"
    C = "C", "C. Rapprocher les habitants du soin"
    D = "D", "D. Articuler soin, prévention et promotion de la santé"


class Lever(models.TextChoices):
    """Levers of each axis (DOMAIN.md §4); the value starts with its axis' letter."""

    A1 = "A1", "A1. Connaître les réalités locales et les rendre lisibles"
    A2 = "A2", "A2. Se connaître et animer le territoire"
    A3 = "A3", "A3. S'organiser pour agir"
    B1 = "B1", "B1. Promouvoir le territoire auprès des professionnels"
    B2 = "B2", "B2. Locaux et immobilier de santé"
    B3 = "B3", "B3. Accompagner les projets d'exercice coordonné"
    B4 = "B4", "B4. (Co)gérer une structure d'exercice coordonné"
    C1 = "C1", "C1. Informer, orienter, accompagner"
    C2 = "C2", "C2. Rapprocher le soin des habitants (aller-vers)"
    C3 = "C3", "C3. Accès aux droits en santé"
    C4 = "C4", "C4. Organiser ou soutenir des soins gratuits"
    D1 = "D1", "D1. Faire connaître les dispositifs de prévention"
    D2 = "D2", "D2. Projets communs soin-prévention (sport-santé…)"
    D3 = "D3", "D3. Événements de prévention dans l'espace public"
    D4 = "D4", "D4. Soin, prévention et promotion en un même lieu"
    D5 = "D5", "D5. Le soin de premier recours, porte d'entrée de la promotion (ETP)"


class CollectivityRole(models.TextChoices):
    """« Rôle de la collectivité », normalised from the guide's example cards (DOMAIN.md §4.6)."""

    PILOT = "pilote", "pilote"
    PROJECT_OWNER = "porteur", "porteur du projet"
    MANAGER = "gestionnaire", "gestionnaire du dispositif"
    FUNDER = "financeur", "financeur"
    FACILITATOR = "facilitateur", "facilitateur, accompagnateur"
    COORDINATOR = "coordinateur", "coordinateur"
    PREMISES = "mise_a_disposition_locaux", "mise à disposition de locaux"
    COMMUNICATION = "communication", "communication, relais d'information"


class SourceDocument(models.TextChoices):
    """Documents the initiatives are transcribed from (the project's seeds, DATA.md)."""

    GRIGNY = "000", "« Incubateur de santé solidaire : une réponse locale et innovante… » (Grigny, Rhône)"
    INSPIRATION = (
        "001",
        "L'inspiration politique, « Du Lot à la Meuse, ces initiatives qui font la différence » (26 juin 2025)",
    )
    VILLES_SANTE = (
        "002",
        "Réseau français des Villes-Santé de l'OMS et Banque des Territoires, ouvrage sur l'accès aux soins de premier recours",
    )
    ARA = (
        "003",
        "« Accès territorial aux soins : les initiatives de la région Auvergne-Rhône-Alpes » (comité national de suivi du plan d'accès aux soins)",
    )
