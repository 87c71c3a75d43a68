"""The fiche's « Structures d'exercice coordonné » section: counts, a capped list, the CPTS, constant queries."""

import datetime
import re

import pytest
from django.template.loader import render_to_string

from portal.documents.fiche import Subject, build_fiche_context, section_structures
from portal.documents.models import GeneratedDocument
from portal.documents.rendering import render_fiche_html
from structures.enums import Stage, StructureKind
from territories.enums import Profession
from tests.factories import DepartmentFactory, build_hierarchy
from tests.structures.factories import StructureFactory


def section_html(section) -> str:
    html = render_to_string(section.template, {"ctx": section.context})
    return re.sub(r"[\s\u00a0\u202f]+", " ", html)


def test_structures_section_of_an_epci_fiche(fiche_world):
    w = fiche_world
    StructureFactory(commune=w.a, name="Maison de santé de Mens", demo=True, team={Profession.GP: 3})
    StructureFactory(
        commune=w.a2,
        kind=StructureKind.CDS,
        name="Centre de santé du Trièves",
        france_sante=True,
        france_sante_on=datetime.date(2026, 1, 15),
    )
    StructureFactory(commune=w.a2, name="Maison fermée", stage=Stage.CLOSED)
    StructureFactory(commune=w.b, name="Maison de santé hors EPCI")
    StructureFactory(cpts=True, commune=w.b, name="CPTS Sud Isère", covers=[w.a, w.a2, w.b], population_covered=31_000)
    document = GeneratedDocument.objects.create(kind="fiche_pdf", cache_key="k", territory=w.e1, requested_by=w.elu_e1)

    context = build_fiche_context(document)
    (section,) = [s for s in context["sections"] if s.anchor == "structures"]
    assert section.template == "documents/fiche/sections/structures.html"
    html = render_fiche_html(context)
    for name in ("Maison de santé de Mens", "Centre de santé du Trièves", "CPTS Sud Isère"):
        assert name in html
    assert "Maison fermée" not in html and "Maison de santé hors EPCI" not in html
    text = section_html(section)
    assert "3 médecins généralistes" in text and "labellisée" in text
    assert "31 000" in text  # population covered by the CPTS
    assert "Une partie de ces structures est fictive" in text
    assert "Maisons de santé (MSP)" in text and "Centres de santé" in text


def test_long_lists_are_capped_and_queries_constant(db, django_assert_num_queries):
    department = DepartmentFactory()
    small = build_hierarchy(department=department, communes=1)
    large = build_hierarchy(department=department, communes=15)
    for tree in (small, large):
        for commune in tree.communes:
            for _ in range(3):
                StructureFactory(commune=commune, team={Profession.GP: 2, Profession.NURSE: 1})
        StructureFactory(cpts=True, commune=tree.communes[0], covers=tree.communes)
    for tree in (small, large):
        subject = Subject(territory=tree.epci, communes=[], title=tree.epci.name)
        with django_assert_num_queries(4):  # counts, list, teams, CPTS (with their communes count)
            section = section_structures(subject, dashboard=None)
    structures = section.context["structures"]
    assert len(structures.rows) == 40 and structures.more == 45 - 40
    assert "… et 5 autres" in section_html(section)
    assert structures.cpts[0].communes_count == 15
    # An ad-hoc set of communes (a CPTS project's territory) works the same way.
    adhoc = Subject(territory=None, communes=large.communes[:2], title="Projet de CPTS")
    section = section_structures(adhoc, dashboard=None)
    assert section.context["structures"].counts.total == 6 + 1


@pytest.mark.django_db
def test_section_without_structures():
    tree = build_hierarchy(communes=1)
    section = section_structures(Subject(territory=tree.epci, communes=[], title="x"), dashboard=None)
    assert "Aucune structure d'exercice coordonné recensée" in section_html(section)
