from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from structures.services.demo import current_demo_source, generate_demo_structures


class Command(BaseCommand):
    help = (
        "Génère les structures de démonstration (CPTS avec leur périmètre, MSP, centres de santé, ESP, maisons "
        "médicales de garde, PASS, équipes) pour toutes les communes en base : seedées, déterministes, "
        "elles remplacent les seules structures de démonstration (les types déjà importés ne sont pas générés)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="graine (même graine → mêmes structures)")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Ne rien faire (rapidement) si les structures de cette graine et de cette version du générateur "
            "sont déjà en base.",
        )

    def handle(self, *args, seed: int, if_empty: bool, verbosity=1, **options):
        current = current_demo_source(seed=seed) if if_empty else None
        if current is not None:
            if verbosity:
                self.stdout.write(f"Structures de démonstration déjà en base ({current}) : rien à générer.")
            return
        log = (lambda message: self.stdout.write(f"  {message}")) if verbosity else None
        try:
            source = generate_demo_structures(seed=seed, log=log)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if verbosity:
            counts = source.row_counts
            self.stdout.write(
                self.style.SUCCESS(
                    f"{source} : {counts['structures']} structures {counts['par_type']}, CPTS couvrant "
                    f"{counts['population_couverte_cpts_pct']} % de la population, en {source.duration_s} s"
                )
            )
