import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accessibility.services import store_france
from territories.services.signals import evaluate_signals, sync_signal_rules


class Command(BaseCommand):
    help = (
        "Calcule l'accessibilité aux médecins généralistes de toutes les communes (méthode à deux étapes avec "
        "décroissance) à partir des effectifs en base, l'enregistre comme indicateur puis recalcule les signaux."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-signals", action="store_true", help="ne pas recalculer les signaux d'alerte")

    def handle(self, *args, no_signals: bool, verbosity=1, **options):
        started = time.perf_counter()
        try:
            source = store_france(log=(lambda m: self.stdout.write(f"  {m}")) if verbosity else None)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if not no_signals:
            sync_signal_rules()
            evaluate_signals()
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(f"{source} : {source.row_counts} en {time.perf_counter() - started:.1f} s")
            )
