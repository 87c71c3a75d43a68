"""Reading the simulator's profile from query parameters (shared by the API and the page)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from aids.services.profile import read_profile, relevant_fields
from territories.models import Territory

pytestmark = pytest.mark.django_db


def test_values_are_read_and_empty_ones_are_not_given(world):
    communes = Territory.objects.all()
    profile = read_profile(
        {"fte": "0,5", "years": "3", "equipment_cost": "15 000", "home_commune": world.hz.code, "replacement": "oui",
         "study_year": "", "age": " "},
        communes=communes,
    )  # fmt: skip
    assert profile.fte == Decimal("0.5") and profile.years == 3 and profile.equipment_cost == Decimal("15000")
    assert profile.home_commune == world.hz and profile.replacement is True
    assert profile.study_year is None and profile.age is None


@pytest.mark.parametrize(
    "params, field",
    [
        ({"fte": "NaN"}, "fte"),
        ({"fte": "sNaN"}, "fte"),
        ({"equipment_cost": "Infinity"}, "equipment_cost"),
        ({"equipment_cost": "1e400"}, "equipment_cost"),
        ({"half_days_per_month": "-1"}, "half_days_per_month"),
        ({"age": "12"}, "age"),
        ({"home_commune": "3822"}, "home_commune"),
        ({"replacement": "2"}, "replacement"),
    ],
)
def test_bad_values_name_their_field(world, params, field):
    with pytest.raises(ValidationError) as error:
        read_profile(params, communes=Territory.objects.all())
    assert list(error.value.message_dict) == [field]


def test_relevant_fields_follow_the_profession_and_the_stage():
    assert relevant_fields("assistant_employer", None) == ["fte", "years"]
    assert relevant_fields("gp_student", "student") == ["study_year", "years"]
    assert "age" in relevant_fields("gp", "retired_working") and "equipment_cost" not in relevant_fields(
        "gp", "retired_working"
    )
    assert relevant_fields("gp", "installed") == ["home_commune", "half_days_per_month", "years", "replacement"]
    assert relevant_fields("dentist", "first_installation") == []
    assert relevant_fields(None, None) == []
