import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

# (label, command, options): what `make run` needs before runserver, in order. Each step does nothing,
# quickly, when its data is already there, so a second `make run` starts in seconds.
STEPS = [
    ("migrations", "migrate", {"interactive": False, "verbosity": 0}),
    ("référentiel géographique", "load_reference", {"if_empty": True}),
    ("catalogue des aides à l'installation", "load_aids", {}),  # real data (seed 004), after the territories
    ("territoires comparables", "compute_peers", {"if_empty": True}),
    ("données de démonstration et signaux", "generate_demo_data", {"if_empty": True}),
    ("structures de démonstration (CPTS, MSP, centres de santé…)", "generate_demo_structures", {"if_empty": True}),
    ("initiatives inspirantes", "load_initiatives", {}),  # real data (seeds 000-003), after the territories
    ("prévention et accès aux droits de démonstration", "generate_demo_prevention", {"if_empty": True}),
    ("annuaire des partenaires (Isère)", "load_partners", {}),  # real data (CPAM booklet), never overwrites
    ("équipe élargie et formation de démonstration", "generate_demo_levers", {"if_empty": True}),
    ("comptes de démonstration", "create_demo_accounts", {}),
    ("demandes à la CPAM de démonstration", "create_demo_requests", {}),
]


class Command(BaseCommand):
    help = (
        "Prépare la démonstration en un seul processus : migrations, référentiel géographique, territoires "
        "comparables, données de santé de démonstration et signaux, structures de démonstration, comptes de "
        "démonstration. Chaque étape est "
        "affichée avec sa durée ; celles déjà faites ne refont rien (quelques secondes en tout)."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        for label, command, step_options in STEPS:
            self.stdout.write(f"==> {label}")
            self.stdout.flush()
            mark = time.perf_counter()
            call_command(command, stdout=self.stdout, stderr=self.stderr, **step_options)
            self.stdout.write(f"    {label} : {time.perf_counter() - mark:.1f} s")
        self.stdout.write(self.style.SUCCESS(f"Démonstration prête en {time.perf_counter() - started:.1f} s."))
