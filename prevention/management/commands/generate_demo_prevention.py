from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from prevention.services.demo import current_demo_source, generate_demo_prevention


class Command(BaseCommand):
    help = (
        "Génère les points d'accès aux droits (accueils CPAM, France Services, PASS, CCAS, points santé) et les "
        "actions de prévention de démonstration pour toutes les communes en base : seedés, déterministes, ils "
        "remplacent les seules données de démonstration (les lignes saisies dans l'administration sont conservées)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="graine (même graine → mêmes lignes)")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Ne rien faire (rapidement) si les données de cette graine et de cette version sont déjà en base.",
        )

    def handle(self, *args, seed: int, if_empty: bool, verbosity=1, **options):
        current = current_demo_source(seed=seed) if if_empty else None
        if current is not None:
            if verbosity:
                self.stdout.write(f"Prévention de démonstration déjà en base ({current}) : rien à générer.")
            return
        log = (lambda message: self.stdout.write(f"  {message}")) if verbosity else None
        try:
            source = generate_demo_prevention(seed=seed, log=log)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if verbosity:
            counts = source.row_counts
            self.stdout.write(
                self.style.SUCCESS(
                    f"{source} : {counts['points']} points d'accès aux droits {counts['points_par_type']}, "
                    f"{counts['actions']} actions de prévention, en {source.duration_s} s"
                )
            )
