import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.core.models import WorkerCheck
from portal.core.services import request_worker_check


class Command(BaseCommand):
    help = (
        "Send a check through the task queue and wait for a Celery worker to complete it. "
        "Exits non-zero when no worker answered in time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=30, help="seconds to wait (default: 30)")

    def handle(self, *args, timeout: float, **options):
        if settings.CELERY_TASK_ALWAYS_EAGER:
            self.stderr.write(
                "Celery est en mode synchrone (CELERY_TASK_ALWAYS_EAGER) : la tâche s'exécute dans ce processus, "
                "aucun worker n'est interrogé."
            )
        started = time.monotonic()
        check = request_worker_check()
        while True:
            check.refresh_from_db()
            elapsed = time.monotonic() - started
            if check.status == WorkerCheck.Status.DONE:
                self.stdout.write(
                    f"Le worker {check.worker_hostname} (processus {check.worker_pid}) a répondu en {elapsed:.1f} s."
                )
                return
            if elapsed >= timeout:
                raise CommandError(
                    f"Aucun worker n'a répondu en {timeout:g} s (vérification {check.pk} toujours en attente). "
                    "Vérifiez que Redis répond et qu'un worker Celery tourne."
                )
            time.sleep(0.2)
