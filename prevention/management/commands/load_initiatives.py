from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from prevention.services.initiatives import DEFAULT_FILE, InitiativesError, load_initiatives


class Command(BaseCommand):
    help = (
        "Charge les initiatives inspirantes (prevention/data/initiatives.json, transcrites des documents sources "
        "avec les lignes citées) : création ou mise à jour par identifiant, tout ou rien, erreurs en français. "
        "Relancé avec le même fichier, il ne fait rien (les modifications faites dans l'administration sont "
        "conservées) ; --force réapplique le fichier."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="Fichier JSON des initiatives.")
        parser.add_argument("--force", action="store_true", help="Réappliquer le fichier déjà chargé tel quel.")

    def handle(self, *args, file: Path, force: bool, **options):
        try:
            report = load_initiatives(path=file, force=force)
        except InitiativesError as error:
            lines = "\n".join(f"  - {message}" for message in error.errors)
            raise CommandError(f"Initiatives non chargées (aucune modification) :\n{lines}") from None
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"Attention : {warning}"))
        if not report.changed:
            self.stdout.write(f"Initiatives inspirantes {report.version} déjà chargées : rien à faire.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Initiatives inspirantes {report.version} chargées : {report.created} créée(s), "
                f"{report.updated} modifiée(s), {report.unchanged} inchangée(s)."
            )
        )
