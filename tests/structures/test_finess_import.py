"""FINESS importer: the official « extraction du fichier des établissements » layout, all-or-nothing.

``fixtures/etalab-cs1100507-stock-20250602-0335.csv`` follows the published layout (header line, 32-field
``structureet`` lines, ``geolocalisation`` lines in Lambert 93 / UTM, Windows-1252) with made-up FINESS
numbers: an MSP in Mens, centres de santé in Grenoble, Ajaccio (2A) and Paris 13e, an MSP in Les Abymes
(Guadeloupe, « 9A »), and a CHU (category 101, skipped).
"""

from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from structures.enums import Stage, StructureKind
from structures.models import Structure, TeamCount
from structures.services.finess_import import SOURCE_NAME, import_finess_file, insee_code
from territories.enums import Level, Profession
from territories.models import DataSource, Territory

from .factories import StructureFactory

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "etalab-cs1100507-stock-20250602-0335.csv"
COMMUNES = [("38226", "Mens", "38"), ("38185", "Grenoble", "38"), ("2A004", "Ajaccio", "2A")]
COMMUNES += [("97101", "Les Abymes", "971"), ("75056", "Paris", "75")]


@pytest.fixture
def communes():
    out = {}
    for code, name, department_code in COMMUNES:
        department, _ = Territory.objects.get_or_create(
            level=Level.DEPARTMENT, code=department_code, defaults={"name": f"Département {department_code}"}
        )
        out[code] = Territory.objects.create(
            level=Level.COMMUNE, code=code, name=name, department=department, population=10_000
        )
    return out


def text() -> str:
    return FIXTURE.read_bytes().decode("cp1252")


def write(tmp_path, content: str, name="finess.csv", encoding="cp1252") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode(encoding))
    return path


def snapshot():
    return sorted(
        Structure.objects.values_list(
            "finess", "kind", "name", "stage", "address", "postal_code", "commune__code", "latitude", "longitude",
            "opened_on", "is_demo", "france_sante",
        )
    )  # fmt: skip


def test_import_creates_msp_and_centres_de_sante_with_wgs84_coordinates(communes):
    source = import_finess_file(path=FIXTURE)
    assert source.name == SOURCE_NAME and not source.is_demo and len(source.checksum) == 64
    assert source.version == "2025-06-02 (etalab 111)"
    counts = source.row_counts
    assert counts["retenus"] == 5 and counts["autres_categories"] == 1 and counts["crees"] == 5
    assert counts["par_type"] == {"msp": 2, "cds": 3}
    by_finess = {s.finess: s for s in Structure.objects.select_related("commune")}
    assert set(by_finess) == {"380012345", "380098765", "2A0001234", "970101234", "750056789"}  # no CHU

    mens = by_finess["380012345"]
    assert (mens.kind, mens.stage, mens.is_demo, mens.source_id) == (StructureKind.MSP, Stage.OPEN, False, source.pk)
    assert mens.name == "MAISON DE SANTE PLURIPROFESSIONNELLE DE MENS" and mens.commune == communes["38226"]
    assert mens.address == "12 rue DU BREUIL" and mens.postal_code == "38710"
    assert mens.opened_on == date(2015, 3, 2)
    # Lambert 93 → WGS84 (pyproj): (882408.3, 6543019.6) is 5.35565° E, 45.96240° N.
    assert mens.longitude == pytest.approx(5.355651, abs=1e-5) and mens.latitude == pytest.approx(45.962402, abs=1e-5)

    grenoble = by_finess["380098765"]
    assert grenoble.name == "CENTRE DE SANTÉ MUNICIPAL DE GRENOBLE"  # Windows-1252 accents read
    assert grenoble.address == "3B place DE LA GARE" and grenoble.kind == StructureKind.CDS
    assert 45.1 < grenoble.latitude < 45.3 and 5.6 < grenoble.longitude < 5.8
    ajaccio = by_finess["2A0001234"]
    assert ajaccio.commune == communes["2A004"] and 41.8 < ajaccio.latitude < 42.1 and 8.6 < ajaccio.longitude < 8.9
    abymes = by_finess["970101234"]  # « 9A » + « 101 » → 97101, UTM 20N coordinates
    assert abymes.commune == communes["97101"] and abymes.address == "LOTISSEMENT DUGAZON"
    assert 16.0 < abymes.latitude < 16.5 and -61.8 < abymes.longitude < -61.3
    paris = by_finess["750056789"]  # municipal arrondissement 75113 → Paris
    assert paris.commune == communes["75056"] and paris.opened_on is None
    assert 48.8 < paris.latitude < 48.9 and 2.3 < paris.longitude < 2.4


def test_reimport_is_idempotent_and_keeps_admin_data(communes):
    import_finess_file(path=FIXTURE)
    mens = Structure.objects.get(finess="380012345")
    mens.france_sante, mens.france_sante_on = True, date(2025, 10, 1)
    mens.save()
    TeamCount.objects.create(structure=mens, profession=Profession.GP, headcount=3, fte=3)
    before = snapshot()
    again = import_finess_file(path=FIXTURE)
    assert snapshot() == before
    assert again.row_counts["crees"] == 0 and again.row_counts["mis_a_jour"] == 0
    assert DataSource.objects.filter(name=SOURCE_NAME).count() == 1
    assert mens.team.get().headcount == 3


def test_a_new_vintage_updates_by_finess_number_and_can_close_the_missing(communes, tmp_path):
    import_finess_file(path=FIXTURE)
    lines = text().splitlines()
    newer = [
        line.replace("MAISON DE SANTE PLURIPROFESSIONNELLE DE MENS", "MSP DU TRIEVES")
        for line in lines
        if "750056789" not in line  # the Paris centre is gone
    ]
    newer[0] = "finess;etalab;112;2025-07-01"
    import_finess_file(path=write(tmp_path, "\n".join(newer)), close_missing=True)
    assert Structure.objects.get(finess="380012345").name == "MSP DU TRIEVES"
    assert Structure.objects.get(finess="750056789").stage == Stage.CLOSED
    assert Structure.objects.filter(stage=Stage.OPEN).count() == 4
    assert DataSource.objects.filter(name=SOURCE_NAME).count() == 2


def test_real_msp_and_centres_replace_the_demo_ones(communes):
    demo_msp = StructureFactory(commune=communes["38226"], demo=True)
    demo_cpts = StructureFactory(cpts=True, commune=communes["38226"], demo=True, covers=[communes["38226"]])
    source = import_finess_file(path=FIXTURE)
    assert source.row_counts["demo_supprimees"] == 1
    assert not Structure.objects.filter(pk=demo_msp.pk).exists()
    assert Structure.objects.filter(pk=demo_cpts.pk).exists()  # no CPTS in FINESS


def replace_field(line: str, index: int, value: str) -> str:
    fields = line.split(";")
    fields[index] = value
    return ";".join(fields)


def mens_line() -> str:
    return next(line for line in text().splitlines() if line.startswith("structureet;380012345"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda: replace_field(mens_line(), 12, "999"), "ligne 14 : commune inconnue 38999"),
        (lambda: replace_field(mens_line(), 13, "XX"), "ligne 14 : commune inconnue département « XX »"),
        (lambda: replace_field(mens_line(), 1, "38001234"), "ligne 14 : numéro FINESS invalide « 38001234 »"),
        (lambda: replace_field(mens_line(), 28, "2021-13-45"), "ligne 14 : date d'ouverture invalide « 2021-13-45 »"),
        (lambda: ";".join(mens_line().split(";")[:20]), "ligne 14 : 20 champs au lieu de 32 (ligne tronquée ?)"),
        (lambda: mens_line(), "ligne 14 : numéro FINESS 380012345 en double (déjà ligne 2)"),
        (lambda: "geolocalisation;380098765;9136OO;6458200.0;x;2024-01-01", "ligne 14 : coordonnées non numériques"),
        (
            lambda: "geolocalisation;380098765;6458200.0;913600.0;1,IGN,LAMBERT_93;2024-01-01",
            "ligne 14 : coordonnées (6.4582e+06 ; 913600) hors de France",
        ),
        (lambda: "geolocalisation;380098765;913600.0", "ligne 14 : 3 champs au lieu de 6"),
    ],
)
def test_bad_lines_are_reported_with_their_number_and_nothing_is_written(communes, tmp_path, change, message):
    import_finess_file(path=FIXTURE)
    before, sources = snapshot(), DataSource.objects.count()
    content = text().rstrip("\r\n") + "\r\n" + change() + "\r\n"
    with pytest.raises(ValidationError) as error:
        import_finess_file(path=write(tmp_path, content))
    assert error.value.messages[0].startswith("Import refusé, base inchangée")
    assert any(m.startswith(message) for m in error.value.messages), error.value.messages
    assert snapshot() == before and DataSource.objects.count() == sources


def test_encoding_problems(communes, tmp_path):
    with pytest.raises(ValidationError, match="ligne 2 : le fichier n'est pas encodé en UTF-8"):
        import_finess_file(path=FIXTURE, encoding="utf-8")
    undecodable = FIXTURE.read_bytes().replace(b"CDS AJACCIO", b"CDS AJ\x81CCIO")
    path = tmp_path / "broken.csv"
    path.write_bytes(undecodable)
    with pytest.raises(ValidationError, match="ligne 5 : octet 0x81 illisible en cp1252"):
        import_finess_file(path=path)
    assert not Structure.objects.exists()
    # The latest vintages are UTF-8: read as such by « auto ».
    import_finess_file(path=write(tmp_path, text(), name="utf8.csv", encoding="utf-8"))
    assert Structure.objects.get(finess="380098765").name == "CENTRE DE SANTÉ MUNICIPAL DE GRENOBLE"


def test_not_a_finess_file(communes, tmp_path):
    with pytest.raises(ValidationError, match="ligne 1 : en-tête « finess;etalab;<version>;<date> » attendu"):
        import_finess_file(path=write(tmp_path, "code;nom\n38185;Grenoble\n"))
    only_hospitals = "\n".join(line for line in text().splitlines() if ";603;" not in line and ";124;" not in line)
    with pytest.raises(ValidationError, match="aucune maison de santé"):
        import_finess_file(path=write(tmp_path, only_hospitals))


@pytest.mark.parametrize(
    ("departement", "commune", "expected"),
    [
        ("01", "451", "01451"),
        ("2A", "004", "2A004"),
        ("2b", "033", "2B033"),
        ("9A", "101", "97101"),
        ("9D", "411", "97411"),
        ("9F", "611", "97611"),
        ("971", "101", "97101"),
        ("971", "01", "97101"),
        ("972", "101", None),  # 972 + 101: not a Martinique commune code
        ("38", "12", None),
        ("", "101", None),
    ],
)
def test_insee_code_of_a_finess_commune(departement, commune, expected):
    assert insee_code(departement, commune) == expected


def test_command(communes, tmp_path, capsys):
    call_command("import_finess", str(FIXTURE))
    assert "importé" in capsys.readouterr().out
    with pytest.raises(CommandError, match="ligne 2 : commune inconnue 38999"):
        call_command("import_finess", str(write(tmp_path, text().replace(";226;38;", ";999;38;"))))
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("import_finess", str(tmp_path / "absent.csv"))
