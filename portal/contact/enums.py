from django.db import models

from portal.accounts.enums import ReferentDomain


class RequestStatus(models.TextChoices):
    """Life cycle of a request to the CPAM: nouvelle → en cours → répondue → clôturée.

    A reply of the élu re-opens an answered or closed request (en cours when a referent has taken it, else
    nouvelle); a referent may set any status.
    """

    NEW = "nouvelle", "nouvelle"
    IN_PROGRESS = "en_cours", "en cours"
    ANSWERED = "repondue", "répondue"
    CLOSED = "cloturee", "clôturée"


# Statuses waiting for the CPAM: the ones whose due date can pass.
OPEN_STATUSES = (RequestStatus.NEW, RequestStatus.IN_PROGRESS)

# What each referent domain handles, shown under the topic choices of the request form (CPAM booklet, 004:L968-972).
TOPIC_HELP = {
    ReferentDomain.ELUS_TERRITORIAUX: (
        "Votre interlocuteur général à la CPAM : toute question sur l'accès aux soins de votre territoire, "
        "ou si vous ne savez pas quel domaine choisir."
    ),
    ReferentDomain.EXERCICE_COORDONNE: (
        "Projet de maison de santé (MSP), de centre de santé ou de CPTS, installation ou départ d'un "
        "professionnel de santé, aides à l'installation."
    ),
    ReferentDomain.PREVENTION: (
        "Actions de prévention et de dépistage, vaccination, « M'T dents », santé des publics prioritaires."
    ),
    ReferentDomain.ACCES_AUX_DROITS: (
        "Couverture maladie, complémentaire santé solidaire, habitants sans médecin traitant, renoncement aux soins."
    ),
    ReferentDomain.DONNEES_TERRITORIALES: (
        "Diagnostic de territoire, indicateurs, fiche territoire, données de consommation de soins."
    ),
}
