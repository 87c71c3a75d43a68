import uuid

from django.db import models


class WorkerCheck(models.Model):
    """One round trip through the task queue: a row written here, completed by a Celery worker.

    Operators request one with ``manage.py check_worker``; the row records which worker process answered.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "en attente"
        DONE = "done", "traité"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_at = models.DateTimeField("demandé le", auto_now_add=True)
    status = models.CharField("statut", max_length=16, choices=Status.choices, default=Status.PENDING)
    done_at = models.DateTimeField("traité le", null=True, blank=True)
    worker_hostname = models.CharField("nom du worker", max_length=255, blank=True)
    worker_pid = models.PositiveIntegerField("processus du worker", null=True, blank=True)

    class Meta:
        verbose_name = "vérification du worker"
        verbose_name_plural = "vérifications du worker"
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "done"]),
                name="workercheck_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status="pending") | models.Q(done_at__isnull=False, worker_pid__isnull=False),
                name="workercheck_done_has_worker",
            ),
        ]

    def __str__(self):
        return f"{self.requested_at:%Y-%m-%d %H:%M:%S} ({self.get_status_display()})"
