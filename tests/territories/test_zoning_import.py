"""import_zoning on small files in the layouts of the ARS zoning lists (Zonage_ARS table, Carto Santé export):
dated history, demo zonings replaced, idempotence, all-or-nothing with French line-numbered reports."""

import subprocess
import sys
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from territories.models import DataSource, Zoning
from territories.services.zoning_import import import_zoning_file
from tests.factories import CommuneFactory, build_hierarchy

pytestmark = pytest.mark.django_db

JAN_2026 = date(2026, 1, 1)


@pytest.fixture
def communes():
    """Three communes of one EPCI, each with the two demo GP arrêtés of the generator, and a commune of
    another région (a commune of a straddling territoire de vie-santé)."""
    tree = build_hierarchy(communes=3, with_geometry=False)
    a, b, c = tree.communes
    for commune, first, second in ((a, "zac", "none"), (b, "none", "zac"), (c, "zip", "zip")):
        demo = {
            "commune": commune,
            "profession": "gp",
            "reference": "Arrêté de zonage de démonstration",
            "is_demo": True,
        }
        Zoning.objects.create(**demo, zone=first, valid_from=date(2021, 1, 1), valid_until=date(2023, 12, 31))
        Zoning.objects.create(**demo, zone=second, valid_from=date(2024, 1, 1))
    other = CommuneFactory(epci=None, with_geometry=False)
    return a, b, c, other


def zonage_ars(a, b, c, other):
    """The « Zonage_ARS » download for médecins: one row per commune of the ARS's territoires de vie-santé."""
    return (
        "Nom du territoire de vie-santé;Code du territoire de vie-santé;Nom de la commune;Code de la commune;"
        "dansMaRegion;Population;Zonage\n"
        f"Vals du Nord;{a.code};{a.name};{a.code};oui;6200;Zone d'intervention prioritaire\n"
        f"Vals du Nord;{a.code};{b.name};{b.code};oui;1000;Zone d'action complémentaire\n"
        f"Vals du Nord;{a.code};{c.name};{c.code};oui;800;Zone de vigilance\n"
        f"Vals du Nord;{a.code};{other.name};{other.code};non;230;Hors-vivier\n"
    )


def write(tmp_path, text, name="zonage_mg.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def snapshot():
    return sorted(
        Zoning.objects.values_list(
            "commune__code", "profession", "zone", "reference", "valid_from", "valid_until", "is_demo"
        )
    )


def zone_on(commune, on, profession="gp"):
    zonings = Zoning.objects.in_force(on=on).filter(commune=commune, profession=profession)
    assert zonings.count() <= 1, list(zonings)
    zoning = zonings.first()
    return (zoning.zone, zoning.is_demo) if zoning else None


def test_real_zoning_replaces_demo_from_its_date_and_keeps_the_history(communes, tmp_path):
    a, b, c, other = communes
    result = import_zoning_file(
        path=write(tmp_path, zonage_ars(*communes)),
        profession="gp",
        valid_from=JAN_2026,
        reference="Arrêté ARS ARA n° 2025-14-0123",
    )
    assert (result.created, result.demo_closed, result.demo_deleted, result.closed) == (3, 3, 0, 0)
    assert result.skipped_other_region == 1 and result.zones == {"zip": 1, "zac": 1, "none": 1}
    real = Zoning.objects.filter(is_demo=False).order_by("commune__code")
    assert [(z.commune.code, z.zone, z.valid_from, z.valid_until) for z in real] == [
        (a.code, "zip", JAN_2026, None),
        (b.code, "zac", JAN_2026, None),
        (c.code, "none", JAN_2026, None),
    ]
    assert {z.reference for z in real} == {"Arrêté ARS ARA n° 2025-14-0123"}
    # The demo arrêté in force the day before is closed on 31 December, not overwritten.
    closed = Zoning.objects.get(commune=a, is_demo=True, valid_from=date(2024, 1, 1))
    assert closed.valid_until == date(2025, 12, 31)
    assert Zoning.objects.filter(is_demo=True).count() == 6
    assert zone_on(a, date(2025, 12, 31)) == ("none", True)
    assert zone_on(a, JAN_2026) == ("zip", False)
    assert zone_on(b, date(2025, 6, 1)) == ("zac", True)
    assert zone_on(b, date(2026, 3, 1)) == ("zac", False)
    assert zone_on(c, date(2022, 1, 1)) == ("zip", True)
    assert zone_on(c, date(2026, 3, 1)) == ("none", False)
    assert not Zoning.objects.filter(commune=other).exists()  # « dansMaRegion = non »: another ARS zones it
    source = result.source
    assert source.name == "ARS, zonage (médecin généraliste)" and source.version == "en vigueur au 2026-01-01"
    assert not source.is_demo and len(source.checksum) == 64 and source.row_counts["crees"] == 3
    assert source.notes == "Arrêté ARS ARA n° 2025-14-0123"


def test_reimporting_the_same_file_changes_nothing(communes, tmp_path):
    path = write(tmp_path, zonage_ars(*communes))
    first = import_zoning_file(path=path, profession="gp", valid_from=JAN_2026)
    before, sources = snapshot(), list(DataSource.objects.values_list("pk", "loaded_at"))
    again = import_zoning_file(path=path, profession="gp", valid_from=JAN_2026)
    assert snapshot() == before
    assert list(DataSource.objects.values_list("pk", "loaded_at")) == sources
    assert (again.created, again.corrected, again.closed, again.demo_closed, again.unchanged) == (0, 0, 0, 0, 3)
    assert again.source == first.source


def test_next_arrete_closes_the_previous_real_zoning(communes, tmp_path):
    a, b, c, _ = communes
    import_zoning_file(path=write(tmp_path, zonage_ars(*communes)), profession="gp", valid_from=JAN_2026)
    later = f"depcom;libcom;zonage_regional\n{a.code};{a.name};2- Zone d'action complémentaire\n"
    result = import_zoning_file(path=write(tmp_path, later, "2027.csv"), profession="gp", valid_from=date(2027, 7, 1))
    assert (result.created, result.closed, result.demo_closed) == (1, 1, 0)
    history = list(Zoning.objects.filter(commune=a, is_demo=False).values_list("zone", "valid_from", "valid_until"))
    assert history == [("zip", JAN_2026, date(2027, 6, 30)), ("zac", date(2027, 7, 1), None)]
    assert zone_on(a, date(2027, 6, 30)) == ("zip", False)
    assert zone_on(a, date(2027, 7, 1)) == ("zac", False)
    assert zone_on(b, date(2028, 1, 1)) == ("zac", False)  # not in the second file: unchanged
    assert DataSource.objects.filter(is_demo=False).count() == 2  # a new vintage: caches refresh


def test_an_older_arrete_imported_late_ends_before_the_newer_one(communes, tmp_path):
    a, *_ = communes
    newer = f"depcom;libcom;zonage_regional\n{a.code};{a.name};4 - Hors-vivier\n"
    import_zoning_file(path=write(tmp_path, newer, "new.csv"), profession="gp", valid_from=date(2027, 1, 1))
    older = f"depcom;libcom;zonage_regional\n{a.code};{a.name};1 -Zone d'intervention prioritaire\n"
    import_zoning_file(path=write(tmp_path, older, "old.csv"), profession="gp", valid_from=JAN_2026)
    history = list(Zoning.objects.filter(commune=a, is_demo=False).values_list("zone", "valid_from", "valid_until"))
    assert history == [("zip", JAN_2026, date(2026, 12, 31)), ("none", date(2027, 1, 1), None)]
    assert zone_on(a, date(2025, 12, 31)) == ("none", True)


def test_demo_zonings_starting_on_or_after_the_date_are_deleted(communes, tmp_path):
    a, *_ = communes
    text = f"Code;Libellé;Zonage_MG\n{a.code};{a.name};1_ZIP\n"
    result = import_zoning_file(path=write(tmp_path, text), profession="gp", valid_from=date(2023, 7, 1))
    assert (result.demo_deleted, result.demo_closed) == (1, 1)
    assert list(Zoning.objects.filter(commune=a, is_demo=True).values_list("valid_from", "valid_until")) == [
        (date(2021, 1, 1), date(2023, 6, 30))
    ]
    assert zone_on(a, date(2023, 6, 30)) == ("zac", True)
    assert zone_on(a, date(2025, 1, 1)) == ("zip", False)


def test_carto_sante_export_in_windows_1252_with_commas(communes, tmp_path):
    a, b, c, _ = communes
    text = f"Code,Libellé,Zonage_MG\n{a.code},Saint-Étienne-lès-Bois,2_ZAC\n{b.code},Bâgé,6_HZ\n{c.code},Évosges,5_ZV\n"
    path = write(tmp_path, text, encoding="cp1252")
    result = import_zoning_file(path=path, profession="gp", valid_from=JAN_2026)
    assert result.zones == {"zac": 1, "none": 2}
    assert zone_on(a, JAN_2026) == ("zac", False)


def test_other_professions_are_kept_apart(communes, tmp_path):
    a, *_ = communes
    text = f"Code de la commune;Zonage\n{a.code};ZIP\n"
    import_zoning_file(path=write(tmp_path, text), profession="nurse", valid_from=JAN_2026)
    assert zone_on(a, JAN_2026, "nurse") == ("zip", False)
    assert zone_on(a, JAN_2026) == ("none", True)  # the GP demo zoning is untouched


BAD_LINES = [
    ("99999;99999;Nulle-Part;99999;oui;10;Zone d'intervention prioritaire", "ligne 6 : code commune inconnu « 99999 »"),
    (
        "{a};{a};Bis;{a};oui;10;Zone d'intervention prioritaire",
        "ligne 6 : commune {a} (Bis) en double (déjà à la ligne 2)",
    ),
    ("{z};{z};Zed;{z};oui;10;Zone franche", "ligne 6 : libellé de zonage inconnu « Zone franche »"),
    ("{z};{z};Zed;{z};oui;10;Non-spécifié", "ligne 6 : zonage non arrêté « Non-spécifié »"),
    ("{z};{z};Zed;{z};oui;10;", "ligne 6 : zonage manquant pour la commune {z} (Zed)"),
    ("{z};{z};Zed;{z};oui;10;Sous-doté", "ligne 6 : zonage en cinq niveaux « Sous-doté »"),
    ("{z};{z};Zed;{z}", "ligne 6 : 4 colonnes au lieu de 7 (ligne tronquée ?)"),
]


@pytest.mark.parametrize(("line", "message"), BAD_LINES)
def test_bad_lines_are_reported_with_their_number_and_nothing_is_written(communes, tmp_path, line, message):
    a, b, c, other = communes
    z = CommuneFactory(epci=None, with_geometry=False).code
    text = zonage_ars(*communes) + line.format(a=a.code, z=z) + "\n"
    before, sources = snapshot(), DataSource.objects.count()
    with pytest.raises(ValidationError) as error:
        import_zoning_file(path=write(tmp_path, text), profession="gp", valid_from=JAN_2026)
    messages = error.value.messages
    assert messages[0] == "Import refusé, base inchangée (1 erreur(s)) :"
    assert messages[1].startswith(message.format(a=a.code, z=z)), messages
    assert snapshot() == before and DataSource.objects.count() == sources


def test_infra_communal_code_of_carto_sante_is_refused(communes, tmp_path):
    a, *_ = communes
    text = f"Code;Libellé;Zonage_MG\n{a.code};{a.name};3_QPV_ZIP\n"
    with pytest.raises(ValidationError, match=r"ligne 2 : zonage infra-communal « 3_QPV_ZIP »"):
        import_zoning_file(path=write(tmp_path, text), profession="gp", valid_from=JAN_2026)


def test_every_error_of_the_file_is_reported_at_once(communes, tmp_path):
    a, *_ = communes
    text = f"Code;Zonage_MG\n99998;1_ZIP\n{a.code};7_ZZZ\n99997;2_ZAC\n"
    with pytest.raises(ValidationError) as error:
        import_zoning_file(path=write(tmp_path, text), profession="gp", valid_from=JAN_2026)
    messages = error.value.messages
    assert messages[0] == "Import refusé, base inchangée (3 erreur(s)) :"
    assert [m.split(" :")[0] for m in messages[1:]] == ["ligne 2", "ligne 3", "ligne 4"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "ligne 1 : fichier vide."),
        (b"Code de la commune;Zonage\n", "ligne 2 : aucune commune dans le fichier (en-tête seul)."),
        (
            b"Code de la commune;Nom de la commune\n38001;Les Abrets\n",
            "ligne 1 : colonne(s) manquante(s) : « Zonage » (ou zonage_regional, Zonage_MG).",
        ),
        (
            b"Nom de la commune;Zonage\nLes Abrets;ZIP\n",
            "ligne 1 : colonne(s) manquante(s) : « Code de la commune »",
        ),
        ("Code;Zonage\n38001;ZIP\n".encode("utf-16"), "ligne 1 : le fichier semble encodé en UTF-16"),
        (b"Code;Zonage\n38001;ZIP\n38002;Z\x81P\n", "ligne 3 : encodage non reconnu (octet 0x81"),
    ],
)
def test_unreadable_files_are_refused(communes, tmp_path, content, message):
    path = tmp_path / "zonage.csv"
    path.write_bytes(content)
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        import_zoning_file(path=path, profession="gp", valid_from=JAN_2026)
    assert error.value.messages[0].startswith(message), error.value.messages
    assert snapshot() == before and not DataSource.objects.exists()


def test_command_imports_and_reports(communes, tmp_path):
    path = write(tmp_path, zonage_ars(*communes))
    out = StringIO()
    call_command(
        "import_zoning", str(path), "--profession", "gp", "--valid-from", "2026-01-01", "--dry-run", stdout=out
    )
    assert out.getvalue().startswith("Simulation (--dry-run), rien n'est enregistré : 3 zonage(s) créé(s)")
    assert not Zoning.objects.filter(is_demo=False).exists() and not DataSource.objects.exists()
    assert Zoning.objects.filter(is_demo=True, valid_until=None).count() == 3  # demo rows not closed either

    out = StringIO()
    call_command(
        "import_zoning", str(path), "--profession", "gp", "--valid-from", "2026-01-01",
        "--reference", "Arrêté ARS n° 2025-1", stdout=out,
    )  # fmt: skip
    assert "Zonage médecin généraliste au 01/01/2026 importé : 3 zonage(s) créé(s)" in out.getvalue()
    assert "1 ligne(s) d'une autre région ignorée(s)" in out.getvalue()
    assert set(Zoning.objects.filter(is_demo=False).values_list("reference", flat=True)) == {"Arrêté ARS n° 2025-1"}


def test_command_exits_non_zero_with_the_french_report(communes, tmp_path):
    path = write(tmp_path, zonage_ars(*communes) + "99999;x;x;99999;oui;1;ZIP\n")
    before = snapshot()
    with pytest.raises(CommandError) as error:
        call_command("import_zoning", str(path), "--profession", "gp", "--valid-from", "2026-01-01")
    assert error.value.returncode == 1
    assert "Import refusé, base inchangée (1 erreur(s)) :\nligne 6 : code commune inconnu « 99999 »" in str(error.value)
    assert snapshot() == before
    with pytest.raises(CommandError, match="AAAA-MM-JJ"):
        call_command("import_zoning", str(path), "--profession", "gp", "--valid-from", "01/01/2026")


def test_command_line_exit_code(tmp_path):
    manage = Path(__file__).resolve().parents[2] / "manage.py"
    done = subprocess.run(
        [sys.executable, str(manage), "import_zoning", str(tmp_path / "absent.csv"), "--profession", "gp",
         "--valid-from", "2026-01-01"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Fichier introuvable" in done.stderr


def test_regenerating_demo_data_leaves_communes_with_a_real_zoning_alone(communes, tmp_path):
    from territories.services.indicators import generate_demo_data

    a, b, c, other = communes
    import_zoning_file(path=write(tmp_path, zonage_ars(*communes)), profession="gp", valid_from=JAN_2026)
    generate_demo_data(seed=7)
    for commune in (a, b, c):  # one zoning in force, the real one, and no demo row overlapping it
        assert zone_on(commune, date(2026, 3, 1))[1] is False
        assert not Zoning.objects.filter(commune=commune, is_demo=True).exists()
    assert Zoning.objects.filter(commune=other, is_demo=True).exists()  # no real zoning: demo as before
