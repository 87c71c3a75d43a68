from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from structures.services.finess_import import import_finess_file


class Command(BaseCommand):
    help = (
        "Importe les maisons de santé (catégorie 603) et centres de santé (124) d'une extraction FINESS des "
        "établissements géolocalisés (data.gouv.fr, etalab-cs1100507-stock-AAAAMMJJ-HHMM.csv), tout ou rien, "
        "par numéro FINESS (création ou mise à jour). Sort en erreur avec un rapport numéroté par ligne si le "
        "fichier est refusé (base inchangée)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="fichier FINESS à importer")
        parser.add_argument(
            "--encoding",
            default="auto",
            help="encodage : auto (UTF-8 si valide, sinon Windows-1252, par défaut), utf-8 ou cp1252",
        )
        parser.add_argument(
            "--close-missing",
            action="store_true",
            help="marquer « fermée » les MSP et centres de santé FINESS déjà en base et absents du fichier",
        )

    def handle(self, *args, file: Path, encoding: str, close_missing: bool, **options):
        if not file.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        try:
            source = import_finess_file(path=file, encoding=encoding, close_missing=close_missing)
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from error
        self.stdout.write(self.style.SUCCESS(f"{source.name} ({source.version}) importé : {source.row_counts}"))
