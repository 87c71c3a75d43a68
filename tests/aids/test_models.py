"""Database invariants of Aid / AidTerms, the overlap rule (clean, services, PostgreSQL constraint), queryset."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from aids.enums import AmountKind
from aids.models import AidTerms, periods_overlap
from aids.services.terms import save_terms, supersede_terms
from tests.factories import CommuneFactory, IrisFactory

from .factories import AidFactory, AidTermsFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "fields",
    [
        {"amount": Decimal("-1")},
        {"cap": Decimal("-5")},
        {"valid_until": date(2026, 1, 1)},  # not after valid_from
        {"valid_until": date(2025, 6, 1)},
        {"amount": None},  # a number is required unless « non chiffré »
        {"amount_kind": AmountKind.UNSPECIFIED},  # « non chiffré » with an amount
        {"amount_kind": AmountKind.PERCENT, "amount": Decimal("120"), "cap": Decimal("1000")},
        {"amount_kind": AmountKind.PERCENT, "amount": Decimal("50"), "cap": None},
        {"amount_kind": AmountKind.PER_HALF_DAY, "amount": Decimal("200"), "cap": None},
        {"amount_kind": "bogus"},
    ],
)
def test_database_refuses_invalid_terms(fields):
    aid = AidFactory()
    values = {"aid": aid, "valid_from": date(2026, 1, 1), "amount_kind": AmountKind.ONE_OFF, "amount": Decimal(1)}
    values.update(fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        AidTerms.objects.create(**values)


def test_unique_start_per_aid():
    terms = AidTermsFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        AidTerms.objects.create(aid=terms.aid, valid_from=terms.valid_from, amount_kind="one_off", amount=1)
    AidTermsFactory(valid_from=terms.valid_from)  # another aid may start the same day


def test_invalid_aid_values_are_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        AidFactory(funder="mairie-de-paris")
    with pytest.raises(IntegrityError), transaction.atomic():
        AidFactory(zoning_condition="zrr")
    with pytest.raises(IntegrityError), transaction.atomic():
        AidFactory(once_per_years=0)


def test_clean_gives_french_messages():
    aid = AidFactory()
    terms = AidTerms(aid=aid, valid_from=date(2026, 1, 1), valid_until=date(2025, 1, 1), amount_kind="one_off")
    with pytest.raises(ValidationError) as error:
        terms.full_clean()
    messages = error.value.message_dict
    assert "La date de fin doit être postérieure à la date de début." in messages["valid_until"]
    assert "Indiquez le montant." in messages["amount"]
    aid.beneficiaries = ["gp", "astronaute"]
    aid.career_stages = ["jamais"]
    with pytest.raises(ValidationError) as error:
        aid.full_clean()
    assert error.value.message_dict["beneficiaries"] == ["Bénéficiaire inconnu : astronaute."]
    assert error.value.message_dict["career_stages"] == ["Étape de carrière inconnue : jamais."]


def test_perimeter_cannot_be_an_iris():
    aid = AidFactory(funder_territory=IrisFactory(with_geometry=False))
    with pytest.raises(ValidationError) as error:
        aid.full_clean()
    assert "funder_territory" in error.value.message_dict


@pytest.mark.parametrize(
    "schedule, message",
    [
        ({}, "Le barème doit indiquer"),
        ({"years": ["1re année"], "rows": [{"fte": 1, "amounts": [1, 2]}]}, "1 montants attendus"),
        ({"years": ["1re année"], "rows": [{"fte": -1, "amounts": [1]}]}, "nombre d'ETP positif"),
        ({"years": ["1re année"], "rows": [{"fte": 1, "amounts": [-3]}]}, "positifs ou nuls"),
        ({"years": ["1re année"], "rows": [{"fte": 1, "amounts": [100]}]}, "le montant annuel le plus élevé"),
    ],
)
def test_schedule_is_validated(schedule, message):
    terms = AidTerms(aid=AidFactory(), valid_from=date(2026, 1, 1), amount_kind="schedule", amount=38000)
    terms.schedule = schedule
    with pytest.raises(ValidationError) as error:
        terms.full_clean()
    assert any(message in m for m in error.value.message_dict["schedule"])


def test_overlapping_terms_are_refused_by_clean_and_the_service():
    """The service check works on every database (SQLite has no exclusion constraint)."""
    first = AidTermsFactory(valid_from=date(2025, 1, 1), valid_until=date(2025, 12, 31))
    aid = first.aid
    overlapping = AidTerms(aid=aid, valid_from=date(2025, 12, 31), amount_kind="one_off", amount=5)
    with pytest.raises(ValidationError) as error:
        save_terms(terms=overlapping)
    assert "Les périodes de validité se chevauchent" in error.value.message_dict["valid_from"][0]
    assert "du 1er janvier 2025 au 31 décembre 2025" in error.value.message_dict["valid_from"][0]
    assert AidTerms.objects.filter(aid=aid).count() == 1
    # The day after the end is fine; an open-ended period before it is not.
    save_terms(terms=AidTerms(aid=aid, valid_from=date(2026, 1, 1), amount_kind="one_off", amount=5))
    with pytest.raises(ValidationError):
        save_terms(terms=AidTerms(aid=aid, valid_from=date(2024, 1, 1), amount_kind="one_off", amount=5))
    # Another aid's periods are independent.
    save_terms(terms=AidTerms(aid=AidFactory(), valid_from=date(2025, 6, 1), amount_kind="one_off", amount=5))


def test_supersede_terms_ends_the_current_terms_the_day_before():
    current = AidTermsFactory(valid_from=date(2025, 1, 1), amount=Decimal("50000"))
    new = supersede_terms(aid=current.aid, valid_from=date(2026, 1, 1), amount_kind="one_off", amount=Decimal("10000"))
    current.refresh_from_db()
    assert current.valid_until == date(2025, 12, 31)
    assert new.valid_until is None
    assert current.history.count() == 2  # created, then ended
    on = AidTerms.objects.in_force
    assert [t.amount for t in on(on=date(2025, 12, 31))] == [Decimal("50000")]
    assert [t.amount for t in on(on=date(2026, 1, 1))] == [Decimal("10000")]
    with pytest.raises(ValidationError):
        supersede_terms(aid=current.aid, valid_from=date(2025, 6, 1), amount_kind="one_off", amount=1)


def test_in_force_includes_both_ends():
    terms = AidTermsFactory(valid_from=date(2025, 1, 1), valid_until=date(2025, 12, 31))
    in_force = AidTerms.objects.in_force
    assert list(in_force(on=date(2025, 1, 1))) == [terms]
    assert list(in_force(on=date(2025, 12, 31))) == [terms]
    assert not in_force(on=date(2024, 12, 31)).exists()
    assert not in_force(on=date(2026, 1, 1)).exists()


def test_periods_overlap():
    d = date
    assert periods_overlap(d(2025, 1, 1), d(2025, 12, 31), d(2025, 12, 31), None)
    assert not periods_overlap(d(2025, 1, 1), d(2025, 12, 31), d(2026, 1, 1), None)
    assert periods_overlap(d(2025, 1, 1), None, d(2030, 1, 1), d(2030, 2, 1))


def test_aid_covers_its_perimeter_only():
    commune = CommuneFactory(with_geometry=False)
    other = CommuneFactory(with_geometry=False)
    assert AidFactory().covers(commune)  # national
    for perimeter in (commune.department, commune.region, commune.epci, commune):
        aid = AidFactory(funder_territory=perimeter)
        assert aid.covers(commune)
        assert not aid.covers(other)


@pytest.mark.services
def test_postgresql_exclusion_constraint_refuses_overlaps_written_directly():
    """Rows written without the service (raw bulk writes, concurrent transactions) still cannot overlap."""
    assert connection.vendor == "postgresql"
    first = AidTermsFactory(valid_from=date(2025, 1, 1), valid_until=date(2025, 12, 31))
    with pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS aids_terms_no_overlap IMMEDIATE")
        AidTerms.objects.bulk_create(
            [AidTerms(aid=first.aid, valid_from=date(2025, 6, 1), amount_kind="one_off", amount=1)]
        )
    # Adjacent periods are fine.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS aids_terms_no_overlap IMMEDIATE")
        AidTerms.objects.create(aid=first.aid, valid_from=date(2026, 1, 1), amount_kind="one_off", amount=1)
