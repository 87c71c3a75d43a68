"""Premises and housing offers: French field errors, the élu's scope, expiry unless renewed, logged-in users only."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from projects import services
from projects.enums import HousingAudience, OfferKind
from projects.models import Offer

from .factories import offer_fields

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 3)


def publish(user, commune, **overrides):
    return services.publish_offer(user=user, today=TODAY, **offer_fields(commune, **overrides))


def test_an_elu_publishes_premises_for_ninety_days(world):
    offer = publish(world.elu_a, world.a)
    assert (offer.published_on, offer.expires_on) == (TODAY, TODAY + timedelta(days=90))
    assert offer.published_by == world.elu_a


def test_an_epci_elu_publishes_on_its_communes_housing_for_interns(world):
    offer = publish(
        world.elu_e1, world.a2, kind=OfferKind.HOUSING, title="Villa des internes", audience=HousingAudience.INTERNS
    )
    assert offer.audience == HousingAudience.INTERNS


def test_bad_input_gets_french_field_errors(world):
    with pytest.raises(ValidationError) as error:
        publish(world.elu_a, world.b, surface_m2=Decimal("-12"), available_from=TODAY - timedelta(days=1))
    assert error.value.message_dict == {
        "surface_m2": ["La surface doit être un nombre de m² positif."],
        "available_from": ["La date de disponibilité ne peut pas être passée."],
        "commune": ["Cette commune n'est pas dans votre territoire."],
    }
    assert not Offer.objects.exists()


def test_zero_surface_negative_rent_and_audience_of_premises_are_refused(world):
    with pytest.raises(ValidationError) as error:
        publish(world.elu_a, world.a, surface_m2=Decimal("0"), rent_eur=Decimal("-1"), audience=HousingAudience.BOTH)
    assert set(error.value.message_dict) == {"surface_m2", "rent_eur", "audience"}


def test_the_database_refuses_a_negative_surface_too(world):
    offer = publish(world.elu_a, world.a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Offer.objects.filter(pk=offer.pk).update(surface_m2=Decimal("-1"))


def test_referents_publish_nowhere(world):
    with pytest.raises(ValidationError) as error:
        publish(world.referent_d1, world.a)
    assert error.value.message_dict == {"commune": ["Cette commune n'est pas dans votre territoire."]}


def test_offers_expire_unless_renewed(world):
    offer = publish(world.elu_a, world.a)
    assert Offer.objects.current(on=offer.expires_on).exists()
    assert not Offer.objects.current(on=offer.expires_on + timedelta(days=1)).exists()
    services.renew_offer(user=world.elu_a, offer_id=offer.pk, today=offer.expires_on)
    assert Offer.objects.current(on=offer.expires_on + timedelta(days=1)).exists()
    services.withdraw_offer(user=world.elu_a, offer_id=offer.pk)
    assert not Offer.objects.current(on=TODAY).exists()


def test_only_the_elus_of_the_commune_change_an_offer(world):
    offer = publish(world.elu_a, world.a)
    for user in (world.elu_b, world.referent_d1, world.elu_a2):
        with pytest.raises(Offer.DoesNotExist):
            services.renew_offer(user=user, offer_id=offer.pk)
    services.update_offer(user=world.elu_e1, offer_id=offer.pk, today=TODAY, rooms=4)
    offer.refresh_from_db()
    assert offer.rooms == 4


def test_offers_are_seen_by_logged_in_users_only(world):
    publish(world.elu_a, world.a)
    assert Offer.objects.visible_to(world.elu_c).count() == 1  # shared across the portal
    assert Offer.objects.visible_to(world.referent_d2).count() == 1
    assert not Offer.objects.visible_to(AnonymousUser()).exists()
