"""Importers: generic CSV, INSEE population by age, DREES APL; all-or-nothing with line-numbered French reports."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from territories.models import DataSource, Indicator, IndicatorValue
from territories.services.indicator_import import import_indicator_file

from .indicator_tree import build_tree

pytestmark = pytest.mark.django_db

GENERIC = """code_territoire;niveau;indicateur;annee;valeur;numerateur;denominateur
38185;commune;gp_count;2024;150;;
38151;commune;gp_count;2024;30;;
38001;commune;gp_count;2024;5;;
38002;commune;gp_count;2024;1;;
38185;commune;patients_without_gp_share;2024;;12000;120000
38151;commune;patients_without_gp_share;2024;;3000;30000
38001;commune;patients_without_gp_share;2024;;400;5000
38002;commune;patients_without_gp_share;2024;;4;800
"""


@pytest.fixture
def tree():
    return build_tree()


def write(tmp_path, text, name="valeurs.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def snapshot():
    return sorted(
        IndicatorValue.objects.values_list(
            "territory__code", "indicator__code", "year", "value", "numerator", "denominator", "is_masked", "is_demo"
        )
    )


def value(code, indicator, year=2024):
    return IndicatorValue.objects.get(territory__code=code, indicator__code=indicator, year=year)


def test_generic_import_aggregates_ratios_of_sums_and_is_idempotent(tree, tmp_path):
    path = write(tmp_path, GENERIC)
    source = import_indicator_file(path=path, file_format="generic")
    assert source.row_counts["valeurs_communales"] == 8 and not source.is_demo and len(source.checksum) == 64
    assert value("38", "gp_count").value == 186
    share = value("38", "patients_without_gp_share")
    assert (share.numerator, share.denominator) == (15_404, 155_800)
    assert share.value == pytest.approx(15_404 / 155_800 * 100)  # not the mean of the four shares
    assert value("38002", "patients_without_gp_share").is_masked  # 4 patients < 10
    assert value("FR", "gp_count").value == 186
    assert not Indicator.objects.get(code="gp_count").is_demo
    before = snapshot()
    import_indicator_file(path=path, file_format="generic")
    assert snapshot() == before
    assert DataSource.objects.filter(is_demo=False).count() == 1


def test_secret_is_not_reversible_by_subtraction(tree, tmp_path):
    import_indicator_file(path=write(tmp_path, GENERIC), file_format="generic")
    # Only Les Adrets is under the threshold; EPCI 200068567 − Les Abrets would reveal it: another cell is masked.
    masked = IndicatorValue.objects.filter(indicator__code="patients_without_gp_share", year=2024, is_masked=True)
    assert masked.count() >= 2
    assert not masked.exclude(value=None).exists()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("99999;commune;gp_count;2024;3;;", "ligne 10 : code commune inconnu « 99999 »"),
        ("38185;commune;gp_nope;2024;3;;", "ligne 10 : indicateur inconnu « gp_nope »"),
        ("38185;commune;nurse_count;2024;-3;;", "ligne 10 : effectif négatif"),
        ("38185;commune;gp_density;2024;;3;0", "ligne 10 : dénominateur nul"),
        ("38185;commune;gp_count;2024;7;;", "ligne 10 : doublon de la ligne 2"),
        ("38185;commune;gp_count", "ligne 10 : 3 colonnes au lieu de 7 (ligne tronquée ?)"),
        ("38;department;gp_count;2024;3;;", "ligne 10 : niveau « department »"),
        ("38185;commune;gp_density;2024;12;;", "ligne 10 : l'indicateur « gp_density » est un rapport"),
        ("38185;commune;gp_count;deux;3;;", "ligne 10 : année invalide"),
    ],
)
def test_bad_lines_are_reported_and_nothing_is_written(tree, tmp_path, line, message):
    import_indicator_file(path=write(tmp_path, GENERIC, "avant.csv"), file_format="generic")
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        import_indicator_file(path=write(tmp_path, GENERIC + line + "\n"), file_format="generic")
    assert any(m.startswith(message) for m in error.value.messages), error.value.messages
    assert error.value.messages[0].startswith("Import refusé, base inchangée")
    assert snapshot() == before


def test_non_utf8_file_is_refused_unless_latin1_is_given(tree, tmp_path):
    text = GENERIC.replace("38002;commune;gp_count;2024;1;;", "38002;commune;gp_count;2024;1;;;« Adrets »")
    path = write(tmp_path, text.replace("« Adrets »", "Adrets é"), encoding="latin-1")
    with pytest.raises(ValidationError, match="ligne 5 : le fichier n'est pas encodé en UTF-8"):
        import_indicator_file(path=path, file_format="generic")
    assert not IndicatorValue.objects.exists()
    import_indicator_file(path=path, file_format="generic", encoding="latin-1")
    assert value("38002", "gp_count").value == 1


INSEE = """CODGEO;LIBGEO;P21_POP;P21_POP0014;P21_POP1529;P21_POP3044;P21_POP4559;P21_POP6074;P21_POP75P
38185;Grenoble;156389,5;22000;45000;30000;26000;20000,5;13389
38151;Échirolles;36916;7500;7600;7000;6816;5000;3000
"""


def test_insee_population_by_age_detects_the_year_from_the_columns(tree, tmp_path):
    source = import_indicator_file(
        path=write(tmp_path, INSEE, "base-ic-evol-struct-pop-2021.csv"), file_format="insee-pop"
    )
    assert source.row_counts["annees"] == [2021]
    assert value("38185", "population", 2021).value == pytest.approx(156_389.5)
    share = value("38", "pop_60_plus_share", 2021)
    assert share.value == pytest.approx((20_000.5 + 13_389 + 5_000 + 3_000) / (156_389.5 + 36_916) * 100)
    assert value("38151", "pop_75_plus_share", 2021).value == pytest.approx(3_000 / 36_916 * 100)


def test_insee_file_without_age_columns_is_refused(tree, tmp_path):
    with pytest.raises(ValidationError, match="P21_POP75P"):
        import_indicator_file(path=write(tmp_path, "CODGEO;P21_POP;P21_POP6074\n38185;1;1\n"), file_format="insee-pop")


APL = """Code commune INSEE;Commune;APL aux médecins généralistes;APL aux médecins généralistes de moins de 65 ans
38185;Grenoble;4,2;3,9
38151;Échirolles;3,1;2,8
73002;Aiguebelle;NA;NA
29003;Argol;1,5;1,4
"""


def test_drees_apl_is_population_weighted_and_year_comes_from_the_name(tree, tmp_path):
    source = import_indicator_file(path=write(tmp_path, APL, "APL_mg_2023.csv"), file_format="drees-apl")
    assert source.row_counts["valeurs_communales"] == 3
    assert value("38185", "apl_gp", 2023).value == pytest.approx(4.2)
    epci = value("200040715", "apl_gp", 2023)
    assert epci.value == pytest.approx((4.2 * 156_000 + 3.1 * 37_000) / (156_000 + 37_000))


def test_drees_apl_needs_a_year(tree, tmp_path):
    with pytest.raises(ValidationError, match="précisez --year"):
        import_indicator_file(path=write(tmp_path, APL, "apl.csv"), file_format="drees-apl")


def test_command_exits_non_zero_with_the_report(tree, tmp_path):
    path = write(tmp_path, GENERIC + "99999;commune;gp_count;2024;3;;\n")
    with pytest.raises(CommandError, match="ligne 10 : code commune inconnu"):
        call_command("import_indicators", str(path), "--format", "generic")
    call_command("import_indicators", str(write(tmp_path, APL, "apl.csv")), "--format", "drees-apl", "--year", "2022")
    assert value("29003", "apl_gp", 2022).value == pytest.approx(1.5)
