from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.accounts.demo import DemoTerritoriesMissing, create_demo_accounts, demo_scopes


class Command(BaseCommand):
    help = (
        "Crée les comptes de démonstration (élu de Mens, élu de la CC du Trièves, référent CPAM de l'Isère, "
        "administrateur) et affiche leurs identifiants à la création. Idempotent ; refusé hors mode "
        "démonstration (PORTAL_DEMO_MODE) ; exige le référentiel des territoires (load_reference)."
    )

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("Mode démonstration désactivé (PORTAL_DEMO_MODE=false) : aucun compte créé.")
        try:
            scopes = demo_scopes()
        except DemoTerritoriesMissing as exc:
            raise CommandError(
                f"Territoires des comptes de démonstration absents de la base ({exc}). "
                "Chargez d'abord le référentiel : python manage.py load_reference"
            ) from exc
        created, existing = create_demo_accounts(scopes=scopes)
        if created:
            self.stdout.write(
                self.style.SUCCESS("Comptes de démonstration créés (identifiants affichés une seule fois) :")
            )
            for account in created:
                self.stdout.write(f"  - {account.function}")
                self.stdout.write(f"    identifiant : {account.email}   mot de passe : {account.password}")
        for account in existing:
            self.stdout.write(f"Compte de démonstration déjà présent : {account.email} (mot de passe inchangé).")
