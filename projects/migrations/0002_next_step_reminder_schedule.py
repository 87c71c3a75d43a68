from django.db import migrations

REMINDER_TASK_NAME = "Rappel des prochaines étapes de projets en retard"


def register(apps, schema_editor):
    """The daily next-step reminder (working days, 7:45 Paris time, after the requests' digest), editable in the
    admin."""
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    daily, _ = CrontabSchedule.objects.get_or_create(
        minute="45", hour="7", day_of_week="1-5", day_of_month="*", month_of_year="*", timezone="Europe/Paris"
    )
    PeriodicTask.objects.get_or_create(
        name=REMINDER_TASK_NAME, defaults={"task": "projects.tasks.send_next_step_reminders", "crontab": daily}
    )


def unregister(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=REMINDER_TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0001_health_projects_and_levers"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
