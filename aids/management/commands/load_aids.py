from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from aids.services.catalogue import DEFAULT_CATALOGUE, CatalogueError, load_catalogue


class Command(BaseCommand):
    help = (
        "Charge le catalogue des aides à l'installation (aids/data/catalogue_2026.json, transcrit du livret CPAM "
        "de l'Isère et des pages PAPS) : création ou mise à jour par identifiant, tout ou rien, erreurs en français. "
        "Relancé avec le même fichier, il ne fait rien (les modifications faites dans l'administration sont "
        "conservées) ; --force réapplique le fichier."
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=DEFAULT_CATALOGUE, help="Fichier JSON du catalogue.")
        parser.add_argument(
            "--force", action="store_true", help="Réappliquer le fichier même s'il a déjà été chargé tel quel."
        )

    def handle(self, *args, file: Path, force: bool, **options):
        try:
            report = load_catalogue(path=file, force=force)
        except CatalogueError as error:
            lines = "\n".join(f"  - {message}" for message in error.errors)
            raise CommandError(f"Catalogue des aides non chargé (aucune modification) :\n{lines}") from None
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"Attention : {warning}"))
        if not report.changed:
            self.stdout.write(f"Catalogue des aides {report.version} déjà chargé : rien à faire.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Catalogue des aides {report.version} chargé : {report.created} aide(s) créée(s), "
                f"{report.updated} modifiée(s), {report.unchanged} inchangée(s) ; conditions : "
                f"{report.terms_created} créée(s), {report.terms_updated} modifiée(s)."
            )
        )
