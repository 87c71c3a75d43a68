"""``load_initiatives``: the committed file loads, a second run changes nothing, bad data writes nothing."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from prevention.enums import Axis, CollectivityRole, Lever, SourceDocument
from prevention.models import Initiative
from prevention.services.initiatives import DEFAULT_FILE, SOURCE_NAME, InitiativesError, load_initiatives
from territories.models import DataSource
from tests.factories import CommuneFactory, DepartmentFactory, RegionFactory

pytestmark = pytest.mark.django_db

DATA = json.loads(DEFAULT_FILE.read_text())


def write(tmp_path, entries, version="test"):
    path = tmp_path / "initiatives.json"
    path.write_text(json.dumps({"version": version, "initiatives": entries}, ensure_ascii=False))
    return path


def test_the_committed_file_is_complete_and_cites_its_sources():
    entries = DATA["initiatives"]
    slugs = {e["slug"] for e in entries}
    # The initiatives DATA.md lists, and city examples of the Villes-Santé guide.
    for slug in (
        "grigny-incubateur-solidaire-sante",
        "occitanie-service-public-regional-sante",
        "e-meuse-sante",
        "ain-maitres-de-stage",
        "amplepuis-centre-municipal-sante",
        "roannais-villa-des-internes",
    ):
        assert slug in slugs
    assert sum(e["source"]["document"] == "002" for e in entries) >= 15
    assert {e["axis"] for e in entries} == set(Axis.values)
    assert all(e["source"]["lines"].startswith("L") for e in entries)


def test_load_resolves_places_and_a_second_load_changes_nothing():
    rhone = DepartmentFactory(code="69", region=RegionFactory(code="84"))
    grigny = CommuneFactory(code="69096", name="Grigny-sur-Rhône", epci=None, department=rhone)
    report = load_initiatives()
    assert report.created == len(DATA["initiatives"]) and not report.updated
    item = Initiative.objects.get(slug="grigny-incubateur-solidaire-sante")
    assert item.commune == grigny and item.department == rhone and item.region == rhone.region
    assert item.source_label.endswith("L1-8") and "Grigny" in item.get_source_document_display()
    amplepuis = Initiative.objects.get(slug="amplepuis-centre-municipal-sante")
    assert amplepuis.commune is None and amplepuis.place_label == "Amplepuis (Rhône)"
    assert any("69006" in w for w in report.warnings)  # commune not loaded: said, not fatal
    history = Initiative.history.count()
    sources = DataSource.objects.filter(name=SOURCE_NAME).count()

    again = load_initiatives()
    assert not again.changed and again.unchanged == len(DATA["initiatives"])
    assert Initiative.history.count() == history and DataSource.objects.filter(name=SOURCE_NAME).count() == sources

    # An admin edit survives a re-run of the same file; --force re-applies the file.
    item.title = "Titre revu dans l'administration"
    item.save()
    load_initiatives()
    assert Initiative.objects.get(pk=item.pk).title == "Titre revu dans l'administration"
    forced = load_initiatives(force=True)
    assert forced.updated == 1 and Initiative.objects.get(pk=item.pk).title == "Incubateur solidaire de santé de Grigny"


def test_a_commune_loaded_later_is_filled_in_by_a_rerun():
    load_initiatives()
    assert Initiative.objects.get(slug="brest-point-h").commune is None
    brest = CommuneFactory(code="29019", name="Brest")
    report = load_initiatives()
    assert report.updated == 2  # Point H and the unité mobile
    assert Initiative.objects.get(slug="brest-point-h").commune == brest


def entry(**overrides):
    base = {
        "slug": "essai",
        "title": "Essai",
        "summary": "Résumé",
        "place_label": "Quelque part",
        "axis": Axis.C.value,
        "lever": Lever.C3.value,
        "role": CollectivityRole.FUNDER.value,
        "source": {"document": SourceDocument.VILLES_SANTE.value, "lines": "L10-20"},
    }
    return base | overrides


def test_bad_data_writes_nothing_and_names_entry_and_field(tmp_path):
    entries = [
        entry(slug="bonne"),
        entry(slug="axe-faux", axis="E"),
        entry(slug="levier-hors-axe", lever="B2"),
        entry(slug="role-inconnu", role="mecene"),
        entry(slug="bonne"),
        entry(slug="code-faux", commune="ABCDE"),
        entry(slug="lignes", source={"document": "002", "lines": "page 3"}),
        {"slug": "incomplete", "title": "x"},
    ]
    with pytest.raises(InitiativesError) as error:
        load_initiatives(path=write(tmp_path, entries))
    text = "\n".join(error.value.errors)
    assert "Initiative « axe-faux » : valeur inconnue pour « axis » : « E »." in text
    assert "le levier B2 n'appartient pas à l'axe C" in text
    assert "Initiative « role-inconnu » : valeur inconnue pour « role »" in text
    assert "Initiative « bonne » : identifiant en double." in text
    assert "code INSEE invalide pour « commune »" in text
    assert "lignes citées invalides « page 3 »" in text
    assert "Initiative « incomplete » : champ obligatoire manquant" in text
    assert not Initiative.objects.exists() and not DataSource.objects.filter(name=SOURCE_NAME).exists()

    with pytest.raises(CommandError) as command_error:
        call_command("load_initiatives", file=write(tmp_path, entries))
    assert "Initiatives non chargées (aucune modification)" in str(command_error.value)
    assert not Initiative.objects.exists()


def test_an_error_after_valid_rows_rolls_everything_back(tmp_path, monkeypatch):
    """A failure while writing (here: the second row) leaves the first one unwritten too (one transaction)."""
    from prevention.services import initiatives as service

    original = service.Initiative.full_clean
    calls = {"n": 0}

    def failing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("panne")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(service.Initiative, "full_clean", failing)
    with pytest.raises(RuntimeError):
        load_initiatives(path=write(tmp_path, [entry(slug="un"), entry(slug="deux")]))
    assert not Initiative.objects.exists()


def test_command_reports_in_french(capsys):
    call_command("load_initiatives")
    call_command("load_initiatives")
    out = capsys.readouterr().out
    assert "Initiatives inspirantes 2026.1 chargées : 32 créée(s)" in out
    assert "déjà chargées : rien à faire" in out
