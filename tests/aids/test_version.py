"""``catalogue_version``: the key that makes a fiche showing aids change when the aids change."""

from datetime import date
from decimal import Decimal

import pytest

from aids.models import Aid, AidTerms
from aids.services import catalogue_version
from aids.services.catalogue import load_catalogue

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


def test_version_changes_with_any_edit_and_with_the_terms_in_force(catalogue, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        first = catalogue_version(on=DAY)
    assert first == catalogue_version(on=DAY)  # stable
    load_catalogue()  # same file: nothing written, same version
    assert catalogue_version(on=DAY) == first

    terms = AidTerms.objects.get(aid__slug="isere-dentistes")
    terms.amount = Decimal("36000")
    terms.save()
    second = catalogue_version(on=DAY)
    assert second != first

    aid = Aid.objects.get(slug="cesp")
    aid.description += " Modifiée."
    aid.save()
    third = catalogue_version(on=DAY)
    assert third != second

    AidTerms.objects.filter(aid__slug="cesp").delete()
    assert catalogue_version(on=DAY) != third

    # Crossing 1 January 2026 changes the terms in force, hence the version, without any edit.
    assert catalogue_version(on=date(2025, 12, 31)) != catalogue_version(on=date(2026, 1, 1))
    assert catalogue_version(on=date(2026, 5, 1)) == catalogue_version(on=date(2026, 6, 1))
