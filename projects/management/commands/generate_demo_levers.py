from django.core.management.base import BaseCommand

from projects.demo import generate_demo_levers
from projects.models import TrainingCount


class Command(BaseCommand):
    help = (
        "Génère l'équipe élargie des structures de démonstration et les effectifs de formation de démonstration "
        "par EPCI (graine fixe, idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--if-empty", action="store_true", help="Ne rien faire si des effectifs existent déjà.")

    def handle(self, *args, seed, if_empty, **options):
        if if_empty and TrainingCount.objects.exists():
            self.stdout.write("Effectifs de formation déjà présents : rien à faire.")
            return
        stats = generate_demo_levers(seed=seed)
        self.stdout.write(
            f"Démonstration : {stats['team_roles']} effectifs d'équipe élargie, {stats['training']} effectifs de formation."
        )
