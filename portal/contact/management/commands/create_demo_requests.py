from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.contact.demo import create_demo_requests


class Command(BaseCommand):
    help = (
        "Crée quelques demandes à la CPAM de démonstration (élu de Mens, élu de la CC du Trièves, référent CPAM de "
        "l'Isère), sans envoyer d'e-mail. Idempotent ; refusé hors mode démonstration ; exige les comptes de "
        "démonstration (create_demo_accounts)."
    )

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("Mode démonstration désactivé (PORTAL_DEMO_MODE=false) : aucune demande créée.")
        created, existing = create_demo_requests()
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demandes à la CPAM de démonstration créées : {created}."))
        elif existing:
            self.stdout.write(f"Demandes à la CPAM de démonstration déjà présentes : {existing}.")
        else:
            self.stdout.write("Comptes de démonstration absents : aucune demande à la CPAM créée.")
