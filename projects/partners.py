"""Load the partners directory (« qui fait quoi ») from ``projects/data/partners.json``.

Contract: idempotent, all or nothing; creates the partners missing for their (département, institution, name)
and never overwrites a partner already there (the admin keeps the directory up to date). Errors are French and
name the entry's line number in the file's list (1 = first partner).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from territories.enums import Level
from territories.models import Territory

from .models import Partner

DEFAULT_FILE = Path(__file__).parent / "data" / "partners.json"
FIELDS = ("email", "phone", "website", "contact_name", "position")


@transaction.atomic
def load_partners(path: Path = DEFAULT_FILE) -> dict[str, int]:
    entries = json.loads(path.read_text(encoding="utf-8"))["partners"]
    codes = {e.get("department") for e in entries}
    departments = {t.code: t for t in Territory.objects.filter(level=Level.DEPARTMENT, code__in=codes)}
    errors, created, skipped = [], 0, 0
    for number, entry in enumerate(entries, start=1):
        department = departments.get(entry.get("department"))
        if department is None:
            skipped += 1  # département not loaded (a partial reference): nothing to attach the partner to
            continue
        partner = Partner(
            department=department,
            kind=entry.get("kind", ""),
            name=entry.get("name", ""),
            role_for_elus=entry.get("role_for_elus", ""),
            **{f: entry[f] for f in FIELDS if f in entry},
        )
        try:
            partner.full_clean()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.append(f"Partenaire n° {number}, champ « {field} » : {' '.join(messages)}")
            continue
        if Partner.objects.filter(department=department, kind=partner.kind, name=partner.name).exists():
            skipped += 1
            continue
        partner.save()
        created += 1
    if errors:
        raise ValidationError(errors)
    return {"created": created, "skipped": skipped}
