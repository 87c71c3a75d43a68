from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from territories.services.indicator_import import FORMATS, import_indicator_file


class Command(BaseCommand):
    help = (
        "Importe un fichier d'indicateurs communaux (CSV générique, population INSEE par âge, APL de la DREES), "
        "tout ou rien, puis recalcule EPCI, départements, régions et France. Sort en erreur avec un rapport "
        "numéroté par ligne si le fichier est refusé (base inchangée)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="fichier à importer")
        parser.add_argument("--format", dest="file_format", choices=sorted(FORMATS), required=True)
        parser.add_argument("--year", type=int, help="année des valeurs (APL DREES : lue dans le nom sinon)")
        parser.add_argument("--encoding", default="utf-8", help="encodage du fichier (utf-8 par défaut, ou latin-1)")

    def handle(self, *args, file: Path, file_format: str, year: int | None, encoding: str, **options):
        if not file.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        try:
            source = import_indicator_file(path=file, file_format=file_format, year=year, encoding=encoding)
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from error
        self.stdout.write(self.style.SUCCESS(f"{source.name} ({source.version}) importé : {source.row_counts}"))
