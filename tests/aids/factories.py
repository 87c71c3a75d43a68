"""Aids and terms for tests (the real catalogue is loaded by the ``catalogue`` fixture of conftest)."""

from datetime import date
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from aids.enums import AmountKind, Funder, ZoningCondition
from aids.models import Aid, AidTerms


class AidFactory(DjangoModelFactory):
    class Meta:
        model = Aid

    slug = factory.Sequence(lambda n: f"aide-{n}")
    name = factory.Sequence(lambda n: f"Aide de test {n}")
    funder = Funder.HEALTH_INSURANCE
    beneficiaries = factory.LazyFunction(lambda: ["gp"])
    zoning_condition = ZoningCondition.ZIP
    description = "Aide de test."
    source = "Test"


class AidTermsFactory(DjangoModelFactory):
    class Meta:
        model = AidTerms

    aid = factory.SubFactory(AidFactory)
    valid_from = date(2026, 1, 1)
    amount_kind = AmountKind.ONE_OFF
    amount = Decimal("10000")
