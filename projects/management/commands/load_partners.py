from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from projects.partners import load_partners


class Command(BaseCommand):
    help = "Charge l'annuaire des partenaires (« qui fait quoi ») : idempotent, ne remplace jamais une fiche existante."

    def handle(self, *args, **options):
        try:
            stats = load_partners()
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        self.stdout.write(
            f"Partenaires : {stats['created']} créés, {stats['skipped']} déjà présents ou sans département."
        )
