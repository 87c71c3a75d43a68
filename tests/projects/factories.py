"""Health projects and offers for tests: written through the services, so that the journal is what users get."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from projects import services
from projects.enums import OfferKind, ProjectKind


def make_project(user, territory, *, name="Maison de santé du bourg", kind=ProjectKind.MSP, **fields):
    return services.create_project(user=user, name=name, kind=kind, territory=territory, porteur="Commune", **fields)


def offer_fields(commune, **overrides) -> dict:
    fields = {
        "kind": OfferKind.PREMISES,
        "title": "Cabinet au rez-de-chaussée de la mairie annexe",
        "commune": commune,
        "surface_m2": Decimal("64.5"),
        "rooms": 3,
        "rent_eur": Decimal("450"),
        "accessible": True,
        "available_from": date(2027, 1, 4),
        "contact": "Secrétariat de mairie, 04 76 00 00 00",
    }
    fields.update(overrides)
    return fields
