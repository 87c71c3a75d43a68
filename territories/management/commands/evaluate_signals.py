from django.core.management.base import BaseCommand

from territories.services.signals import evaluate_signals, sync_signal_rules


class Command(BaseCommand):
    help = (
        "Crée les règles de signaux d'alerte par défaut qui manquent (sans toucher aux règles modifiées), puis "
        "recalcule les signaux de toutes les communes, EPCI, départements et régions à partir des indicateurs "
        "en base. À lancer après generate_demo_data ou tout import d'indicateurs."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-sync", action="store_true", help="ne pas créer les règles par défaut manquantes")

    def handle(self, *args, no_sync: bool, **options):
        if not no_sync:
            rules = sync_signal_rules()
            self.stdout.write(
                f"Règles : {rules['created']} créées, {rules['existing']} existantes, "
                f"{rules['skipped']} ignorées (indicateur absent)."
            )
        report = evaluate_signals()
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.signals} signaux pour {report.territories} territoires en {report.duration_s} s "
                f"({', '.join(f'{k} {v}' for k, v in sorted(report.by_level.items()))})."
            )
        )
