import time

from django.core.management.base import BaseCommand, CommandError

from portal.accounts.models import User
from territories.enums import Level
from territories.models import Territory

from ... import services
from ...enums import DocumentStatus
from ...models import GeneratedDocument


class Command(BaseCommand):
    help = (
        "Generate the fiches territoire of every EPCI (or commune) of a département (--department 38) or of all "
        "France (--all-france). Enqueues them for the Celery workers, or renders them in this process with "
        "--sync. Ready fiches of the same data vintage are reused. Rows are made on behalf of an administrator "
        "(--as, default: the first active administrator)."
    )

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group(required=True)
        scope.add_argument("--department", help="code du département (ex. 38, 2A)")
        scope.add_argument("--all-france", action="store_true", help="tous les départements")
        parser.add_argument("--level", choices=["epci", "commune"], default="epci")
        parser.add_argument("--sync", action="store_true", help="générer dans ce processus, sans worker")
        parser.add_argument("--as", dest="email", help="adresse e-mail du compte administrateur demandeur")

    def handle(self, *args, department, all_france, level, sync, email, **options):
        user = self._user(email)
        if all_france:
            departments = list(Territory.objects.filter(level=Level.DEPARTMENT).order_by("code"))
        else:
            departments = list(Territory.objects.filter(level=Level.DEPARTMENT, code=department))
            if not departments:
                raise CommandError(f"Département inconnu : {department}.")
        if sync:
            # Rendered in this process, one after the other: the enqueue hook runs the task eagerly.
            from config.celery import app

            app.conf.task_always_eager = True
        started = time.monotonic()
        documents: list[GeneratedDocument] = []
        for dep in departments:
            batch = services.request_batch(user=user, department=dep, level=level)
            docs = list(batch.documents.all())
            documents += docs
            self.stdout.write(f"{dep.code} {dep.name} : {len(docs)} fiche(s) demandée(s) (lot {batch.pk}).")
        elapsed = time.monotonic() - started
        statuses = dict.fromkeys(DocumentStatus.values, 0)
        for status in GeneratedDocument.objects.filter(pk__in=[d.pk for d in documents]).values_list(
            "status", flat=True
        ):
            statuses[status] += 1
        summary = ", ".join(f"{DocumentStatus(s).label} : {n}" for s, n in statuses.items() if n)
        self.stdout.write(f"{len(documents)} fiche(s) en {elapsed:.1f} s ({summary or 'aucune'}).")
        if statuses[DocumentStatus.FAILED]:
            raise CommandError(f"{statuses[DocumentStatus.FAILED]} fiche(s) en échec.")

    def _user(self, email):
        admins = User.objects.filter(is_active=True).filter(role="admin") | User.objects.filter(
            is_active=True, is_superuser=True
        )
        if email:
            user = admins.filter(email=email.lower()).first()
            if user is None:
                raise CommandError(f"Aucun administrateur actif avec l'adresse {email}.")
            return user
        user = admins.order_by("pk").first()
        if user is None:
            raise CommandError("Aucun administrateur actif : créez-en un (createsuperuser) ou passez --as.")
        return user
