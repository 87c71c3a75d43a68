"""The « Aides à l'installation et leviers » section of the fiche: aids in force on the fiche's date, amounts in
French, how many communes and inhabitants qualify, sources."""

import io
import re
from datetime import date

import pytest
from django.utils import timezone
from pypdf import PdfReader

from aids.services.catalogue import load_catalogue
from portal.documents.fiche import build_fiche_context, section_aids
from portal.documents.models import GeneratedDocument
from portal.documents.rendering import html_to_pdf, render_fiche_html
from territories.models import Zoning


def _norm(value: str) -> str:
    return re.sub(r"[\s\u00a0\u202f]+", " ", value).replace("&#x27;", "'")


@pytest.fixture
def fiche_day(monkeypatch):
    """The fiche's date (the terms in force that day): fixed, so that the test does not depend on the clock."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: date(2026, 3, 2))


def test_fiche_lists_the_aids_in_force_with_amounts_and_sources(fiche_world, fiche_day, tmp_path):
    w = fiche_world
    load_catalogue()
    document = GeneratedDocument.objects.create(kind="fiche_pdf", cache_key="k", territory=w.e1, requested_by=w.elu_e1)
    context = build_fiche_context(document)
    section = next(s for s in context["sections"] if s.anchor == "aides")
    assert section.template == "documents/fiche/sections/aids.html"
    html = _norm(render_fiche_html(context))
    start = html.index('id="aides"')
    part = html[start : html.index("</section>", start)]
    assert "montants en vigueur le 2 mars 2026" in part
    for name in ("Isère Médecins", "Aide à la première installation en ZIP (Assurance Maladie)", "Label France Santé"):
        assert name in part
    assert "10 000 € (forfait unique)" in part and "56 000 € (sur 3 ans)" in part
    assert "0,5 ETP : 19 000 € / 14 000 € / 11 000 €" in part
    assert "Livret CPAM de l'Isère, 2026, p. 25-27" in part and "décret n° 2025-231" in part
    assert "004 L" not in part and "ANCHORS" not in part  # never an internal reference
    assert section.context["summary"].demo_zoning and "Zonage de démonstration" in part  # generated zonings
    # Communes that qualify for the ZIP-only aid: those of the EPCI in ZIP for GPs that day.
    in_zip = Zoning.objects.in_force(on=date(2026, 3, 2)).filter(profession="gp", zone="zip", commune__epci=w.e1)
    gp = next(g for g in section.context["summary"].groups if g.beneficiary == "gp")
    line = next(line for line in gp.aids if line.aid.slug == "am-primo-installation-zip")
    assert line.communes == in_zip.count()
    assert line.population == sum(z.commune.population for z in in_zip)
    # The PDF carries the same text.
    html_to_pdf(render_fiche_html(context), tmp_path / "fiche.pdf")
    text = _norm(
        "\n".join(p.extract_text() for p in PdfReader(io.BytesIO((tmp_path / "fiche.pdf").read_bytes())).pages)
    )
    assert "Isère Médecins" in text and "10 000 €" in text


def test_territorial_aids_stay_in_their_perimeter_and_an_empty_catalogue_says_so(fiche_world, fiche_day):
    w = fiche_world
    document = GeneratedDocument.objects.create(kind="fiche_pdf", cache_key="k", territory=w.c, requested_by=w.elu_c)
    from portal.documents.fiche import load_subject

    subject = load_subject(document)
    empty = section_aids(subject, None)
    assert empty.context["summary"].groups == [] and empty.context["loaded"] is False
    load_catalogue()
    savoie = section_aids(subject, None)  # commune C is in Savoie: no Isère aid
    slugs = {line.aid.slug for g in savoie.context["summary"].groups for line in g.aids}
    assert "cesp" in slugs and "isere-medecins" not in slugs


def test_a_change_of_aid_terms_gives_a_new_fiche(fiche_world, fiche_day, django_capture_on_commit_callbacks):
    from aids.models import AidTerms
    from portal.documents import services

    w = fiche_world
    load_catalogue()
    first = services.request_fiche(user=w.elu_e1, territory=w.e1)
    assert services.request_fiche(user=w.elu_e1, territory=w.e1).pk == first.pk  # nothing changed: same row
    terms = AidTerms.objects.in_force(on=date(2026, 3, 2)).get(aid__slug="am-primo-installation-zip")
    terms.amount += 1000  # an administrator updates the amount
    terms.save()
    second = services.request_fiche(user=w.elu_e1, territory=w.e1)
    assert second.pk != first.pk and second.cache_key != first.cache_key
