"""The fiche's « Prévention et accès aux droits » section: indicators, access points, actions, initiatives."""

import re
from types import SimpleNamespace

from django.template.loader import render_to_string

from portal.documents.fiche import Subject, build_fiche_context, section_prevention
from portal.documents.models import GeneratedDocument
from portal.documents.rendering import render_fiche_html
from prevention.enums import AccessPointKind, Axis, CollectivityRole, Lever, SourceDocument
from prevention.models import Initiative
from tests.factories import DepartmentFactory, build_hierarchy
from tests.prevention.factories import AccessPointFactory, PreventionActionFactory

NO_DASHBOARD = SimpleNamespace(themes=[])


def section_html(section) -> str:
    html = render_to_string(section.template, {"ctx": section.context})
    return re.sub(r"[\s\u00a0\u202f]+", " ", html).replace("&#x27;", "'")


def initiative(slug, **kwargs):
    values = {
        "title": slug,
        "summary": "Résumé.",
        "place_label": "Ailleurs",
        "axis": Axis.C,
        "lever": Lever.C3,
        "role": CollectivityRole.FUNDER,
        "source_document": SourceDocument.VILLES_SANTE,
        "source_lines": "L1-9",
    }
    return Initiative.objects.create(slug=slug, **(values | kwargs))


def test_prevention_section_of_an_epci_fiche(fiche_world):
    w = fiche_world
    AccessPointFactory(commune=w.a, kind=AccessPointKind.CPAM, name="Accueil de la CPAM — Mens", demo=True)
    AccessPointFactory(commune=w.b, name="France Services hors EPCI")
    PreventionActionFactory(commune=w.a2, title="Vaccination contre la grippe du Trièves")
    PreventionActionFactory(commune=w.a, title="Action finie", end_date=None, status="done")
    initiative("Mutuelle communale de l'Isère", department=w.d1, region=w.region, position=90)
    for i in range(6):
        initiative(f"Initiative lointaine {i}", axis=Axis.B, lever=Lever.B3, position=i)
    document = GeneratedDocument.objects.create(kind="fiche_pdf", cache_key="k", territory=w.e1, requested_by=w.elu_e1)

    context = build_fiche_context(document)
    (section,) = [s for s in context["sections"] if s.anchor == "prevention"]
    assert section.context["rows"]  # the dashboard's prevention indicators are still there
    html = render_fiche_html(context)
    assert "Accueil de la CPAM — Mens" in html and "Vaccination contre la grippe du Trièves" in html
    assert "France Services hors EPCI" not in html and "Action finie" not in html
    text = section_html(section)
    assert "Points d'accès et actions fictifs (données de démonstration)" in text
    assert "1 accueil CPAM" in text
    # 4 initiatives: the département's first, then one per axis (C then D then B…).
    initiatives = section.context["prevention"].initiatives
    assert len(initiatives) == 4 and initiatives[0].title == "Mutuelle communale de l'Isère"
    assert "Source : Réseau français des Villes-Santé" in text and "L1-9" in text
    assert "Rôle de la collectivité : financeur" in text


def test_long_lists_are_capped_and_queries_constant(db, django_assert_num_queries):
    department = DepartmentFactory()
    small = build_hierarchy(department=department, communes=1, with_geometry=False)
    large = build_hierarchy(department=department, communes=10, with_geometry=False)
    for tree in (small, large):
        for commune in tree.communes:
            AccessPointFactory.create_batch(3, commune=commune)
            PreventionActionFactory.create_batch(3, commune=commune)
    initiative("une")
    for tree in (small, large):
        subject = Subject(territory=tree.epci, communes=[], title=tree.epci.name)
        with django_assert_num_queries(5):  # points by kind, points, actions count, actions, initiatives
            section = section_prevention(subject, NO_DASHBOARD)
    p = section.context["prevention"]
    assert len(p.points) == 25 and p.points_more == 5 and len(p.actions) == 25 and p.actions_more == 5
    text = section_html(section)
    assert "… et 5 autres : la liste complète est sur le portail" in text
    # An ad-hoc set of communes works the same way, its département's initiatives first.
    adhoc = Subject(territory=None, communes=large.communes[:2], title="Projet")
    section = section_prevention(adhoc, NO_DASHBOARD)
    assert len(section.context["prevention"].points) == 6


def test_section_without_data(db):
    tree = build_hierarchy(communes=1, with_geometry=False)
    section = section_prevention(Subject(territory=tree.epci, communes=[], title="x"), NO_DASHBOARD)
    text = section_html(section)
    assert "Aucun point d'accès aux droits" in text and "Aucune action de prévention" in text
    assert "Aucune initiative inspirante n'est chargée" in text and "données de démonstration" not in text
