import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from territories.models import Signal
from territories.services.indicator_demo import DEFAULT_YEARS
from territories.services.indicators import current_demo_source, generate_demo_data
from territories.services.signals import evaluate_signals, sync_signal_rules


class Command(BaseCommand):
    help = (
        "Génère les données de santé de démonstration (seedées, déterministes) pour toutes les communes en base, "
        "les agrège jusqu'à la France, journalise le chargement (DataSource), puis calcule les signaux d'alerte."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="graine (même graine → mêmes valeurs)")
        parser.add_argument("--years", type=int, nargs="+", default=list(DEFAULT_YEARS), help="années générées")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Ne rien faire (rapidement) si les valeurs de démonstration de cette graine et de cette version "
            "du générateur sont déjà en base.",
        )
        parser.add_argument("--no-signals", action="store_true", help="ne pas calculer les signaux d'alerte ensuite")

    def progress(self, message: str) -> None:
        self.stdout.write(f"  {message}")
        self.stdout.flush()

    def handle(self, *args, seed: int, years: list[int], if_empty: bool, no_signals: bool, verbosity=1, **options):
        started = time.perf_counter()
        log = self.progress if verbosity else None
        current = current_demo_source(seed=seed, years=tuple(years)) if if_empty else None
        if current is None:
            if verbosity:
                self.progress("données de démonstration pour toute la France (environ une minute) :")
            try:
                source = generate_demo_data(seed=seed, years=tuple(years), log=log)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
            if verbosity:
                self.stdout.write(self.style.SUCCESS(f"{source} : {source.row_counts} en {source.duration_s} s"))
        elif verbosity:
            self.stdout.write(f"Données de démonstration déjà en base ({current}) : rien à générer.")
        if no_signals or (current is not None and Signal.objects.exists()):
            return
        mark = time.perf_counter()
        sync_signal_rules()
        report = evaluate_signals()
        if verbosity:
            self.progress(
                f"signaux d'alerte : {report.signals} pour {report.territories} territoires "
                f"en {time.perf_counter() - mark:.1f} s"
            )
            self.stdout.write(self.style.SUCCESS(f"Terminé en {time.perf_counter() - started:.1f} s."))
