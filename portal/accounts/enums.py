from django.db import models


class Role(models.TextChoices):
    ELU = "elu", "élu"
    REFERENT = "referent", "référent CPAM"
    ADMIN = "admin", "administrateur"


class ReferentDomain(models.TextChoices):
    """The CPAM referent domains named in the CPAM booklet for élus (seed 004)."""

    ELUS_TERRITORIAUX = "elus_territoriaux", "élus territoriaux"
    EXERCICE_COORDONNE = "exercice_coordonne", "exercice coordonné"
    PREVENTION = "prevention", "prévention"
    ACCES_AUX_DROITS = "acces_aux_droits", "accès aux droits"
    DONNEES_TERRITORIALES = "donnees_territoriales", "données territoriales"
