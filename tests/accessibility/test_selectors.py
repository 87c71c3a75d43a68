"""The computed accessibility beside the DREES APL (pages, fiche): figures, gap explained, outlook."""

import pytest
from django.template.loader import render_to_string

from accessibility import selectors, services
from accessibility.indicators import APL_COMPUTED
from portal.documents.fiche import Subject, section_accessibility
from territories.models import IndicatorValue, Territory

from .conftest import YEAR, stored


def test_summary_of_an_epci_is_its_stored_aggregate_beside_the_drees_apl(world, django_assert_num_queries):
    services.store_france()
    communes = Territory.objects.communes_of(world.e1)
    with django_assert_num_queries(2):
        summary = selectors.summary(communes)
    assert summary.year == YEAR and summary.is_demo
    assert summary.computed == pytest.approx(stored(APL_COMPUTED, world.e1))
    assert summary.drees is None and summary.difference is None  # no DREES APL loaded in this world
    for commune in communes:
        IndicatorValue.objects.create(
            territory=commune,
            indicator=world.indicators["apl_gp"],
            year=YEAR,
            numerator=3.0 * commune.population,
            denominator=commune.population,
            value=3.0,
        )
    summary = selectors.summary(communes)
    assert summary.drees == pytest.approx(3.0) and summary.difference == pytest.approx(summary.computed - 3.0)
    assert summary.outlook < summary.computed
    hameau = world.communes["Hameau"]
    expected_under = sum(c.population for c in communes if stored(APL_COMPUTED, c) < 2.5)
    assert summary.population_under == expected_under and hameau.population <= summary.population


def test_fiche_section_shows_both_figures_and_explains_the_gap(world):
    services.store_france()
    section = section_accessibility(Subject(territory=world.e1, communes=[], title=world.e1.name), None)
    html = render_to_string(section.template, {"ctx": section.context})
    assert "Accessibilité calculée par le portail" in html and "APL publiée par la DREES" in html
    assert "Pourquoi les deux chiffres diffèrent" in html and "vol d&#x27;oiseau × 1,3 à 50 km/h" in html
    assert "Dans 5 ans si les médecins de 67 ans ne sont pas remplacés" in html


def test_fiche_section_without_computation_says_so(world):
    section = section_accessibility(Subject(territory=world.e1, communes=[], title=world.e1.name), None)
    html = render_to_string(section.template, {"ctx": section.context})
    assert "pas encore disponible" in html


def test_method_parameters_are_stated_in_french():
    labels = dict(selectors.method_parameters())
    assert labels["Décroissance par bandes de temps"].startswith("1,00 de 0 à 10 min ; 0,67 de 10 à 20 min")
    assert "4\u202f000 consultations par an" in labels["Offre"]
