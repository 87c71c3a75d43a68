from django.core.management.base import BaseCommand, CommandError

from territories.services import ReferenceDataError, import_iris


class Command(BaseCommand):
    help = (
        "Importe un fichier officiel CONTOURS-IRIS (GeoPackage, GeoJSON ou Shapefile ; champs CODE_IRIS, NOM_IRIS, "
        "INSEE_COM, NOM_COM, IRIS, TYP_IRIS) : ses IRIS remplacent ceux des communes qu'il couvre. Tout ou rien."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Fichier CONTOURS-IRIS (.gpkg, .geojson, .shp).")

    def handle(self, *args, path, verbosity=1, **options):
        try:
            counts = import_iris(path=path)
        except ReferenceDataError as exc:
            raise CommandError(f"Import annulé, base inchangée : {exc}") from exc
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{counts['iris']} IRIS importés pour {counts['communes']} communes "
                    f"({counts['iris_remplaces']} IRIS remplacés)."
                )
            )
