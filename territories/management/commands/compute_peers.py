from django.core.management.base import BaseCommand

from territories.models import TerritoryPeer
from territories.services.peers import compute_peers


class Command(BaseCommand):
    help = (
        "Recalcule les « territoires comparables » (même niveau, population et densité proches) de toutes les "
        "communes, EPCI, départements et régions. À lancer après load_reference."
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Ne rien faire s'ils sont déjà calculés.")

    def handle(self, *args, if_empty: bool = False, **options):
        if if_empty and TerritoryPeer.objects.exists():
            self.stdout.write("Territoires comparables déjà calculés.")
            return
        report = compute_peers()
        duration = report.pop("duration_s")
        self.stdout.write(
            self.style.SUCCESS(
                f"Territoires comparables : {', '.join(f'{k} {v}' for k, v in report.items())} en {duration} s."
            )
        )
