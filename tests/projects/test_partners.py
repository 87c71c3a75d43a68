"""The partners directory loader: idempotent, never overwrites the admin's edits, French numbered errors."""

import json

import pytest
from django.core.exceptions import ValidationError

from projects.models import Partner
from projects.partners import load_partners
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def test_loads_the_isere_directory_once_and_keeps_admin_edits():
    DepartmentFactory(code="38", name="Isère", with_geometry=False)
    assert load_partners()["created"] == 7
    msa = Partner.objects.get(kind="msa")
    msa.phone = "04 00 00 00 00"
    msa.save()
    assert load_partners() == {"created": 0, "skipped": 7}
    assert Partner.objects.get(kind="msa").phone == "04 00 00 00 00"
    assert Partner.objects.get(kind="department").email == "sante@isere.fr"


def test_a_bad_entry_names_its_number_and_loads_nothing(tmp_path):
    DepartmentFactory(code="38", with_geometry=False)
    path = tmp_path / "partners.json"
    entries = [
        {"department": "38", "kind": "msa", "name": "MSA", "role_for_elus": "Prévention."},
        {"department": "38", "kind": "inconnu", "name": "X", "role_for_elus": "Y", "email": "pas-un-email"},
    ]
    path.write_text(json.dumps({"partners": entries}))
    with pytest.raises(ValidationError) as error:
        load_partners(path)
    assert any(m.startswith("Partenaire n° 2, champ « email »") for m in error.value.messages)
    assert any(m.startswith("Partenaire n° 2, champ « kind »") for m in error.value.messages)
    assert not Partner.objects.exists()
