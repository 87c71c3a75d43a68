import argparse
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from territories.enums import Profession, Zone
from territories.services.zoning_import import import_zoning_file


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"date attendue au format AAAA-MM-JJ, reçu « {text} »") from error


class Command(BaseCommand):
    help = (
        "Importe la liste de zonage d'une ARS (une ligne par commune : code commune INSEE et zonage ZIP, ZAC, "
        "zone de vigilance, hors vivier…), tout ou rien, datée par --valid-from : le zonage précédent de chaque "
        "commune est clos la veille (historique conservé), les zonages de démonstration des communes couvertes "
        "sont clos ou supprimés. Sort en erreur avec un rapport numéroté par ligne si le fichier est refusé "
        "(base inchangée)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="liste de zonage (CSV ; ou , en UTF-8 ou Windows-1252)")
        parser.add_argument("--profession", choices=Profession.values, required=True, help="profession zonée")
        parser.add_argument(
            "--valid-from", type=iso_date, required=True, help="date d'entrée en vigueur de l'arrêté (AAAA-MM-JJ)"
        )
        parser.add_argument("--reference", default="", help="référence de l'arrêté ARS (facultative)")
        parser.add_argument("--dry-run", action="store_true", help="vérifier et compter sans rien enregistrer")

    def handle(self, *args, file: Path, profession: str, valid_from: date, reference: str, dry_run: bool, **options):
        if not file.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        try:
            result = import_zoning_file(
                path=file, profession=profession, valid_from=valid_from, reference=reference, dry_run=dry_run
            )
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from error
        zones = ", ".join(f"{Zone(z).label} : {n}" for z, n in sorted(result.zones.items()))
        summary = (
            f"{result.created} zonage(s) créé(s), {result.corrected} corrigé(s), {result.unchanged} inchangé(s), "
            f"{result.closed} clos la veille, {result.demo_closed} de démonstration clos, "
            f"{result.demo_deleted} de démonstration supprimé(s) ; {zones}"
        )
        if result.skipped_other_region:
            summary += f" ; {result.skipped_other_region} ligne(s) d'une autre région ignorée(s)"
        if dry_run:
            self.stdout.write(f"Simulation (--dry-run), rien n'est enregistré : {summary}.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Zonage {Profession(profession).label} au {valid_from:%d/%m/%Y} importé : {summary}."
                )
            )
