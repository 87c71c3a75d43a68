"""The fiche's contacts section lists the département's partners; a partner edited gives a new fiche."""

from types import SimpleNamespace

import pytest

from portal.documents.enums import DocumentKind
from portal.documents.fiche import section_contacts
from portal.documents.services import compute_cache_key
from projects.enums import PartnerKind
from projects.models import Partner

pytestmark = pytest.mark.django_db


def test_contacts_section_lists_the_partners_and_the_cache_key_follows_them(world):
    Partner.objects.create(department=world.d1, kind=PartnerKind.MSA, name="MSA Alpes du Nord", role_for_elus="Rural.")
    Partner.objects.create(department=world.d2, kind=PartnerKind.ORDER, name="Ordre de Savoie", role_for_elus="…")
    section = section_contacts(SimpleNamespace(territory=world.d1), None)
    assert [p.name for p in section.context["partners"]] == ["MSA Alpes du Nord"]
    key = compute_cache_key(kind=DocumentKind.FICHE_PDF, user=world.referent_d1, territory=world.d1, communes=[])
    Partner.objects.filter(name="MSA Alpes du Nord").update(email="contact@msa.exemple.fr")
    assert (
        compute_cache_key(kind=DocumentKind.FICHE_PDF, user=world.referent_d1, territory=world.d1, communes=[]) != key
    )
