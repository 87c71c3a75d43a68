"""CSV and XLSX exports of the dashboard: format, content, secret, access."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.territory import dashboard as dashboards
from tests.factories import AdminFactory, EluFactory, ReferentFactory, build_hierarchy
from tests.portal.indicator_data import fill, france, skip_geometry, value_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_geometry(monkeypatch):
    skip_geometry(monkeypatch)


@pytest.fixture(autouse=True)
def no_signals(monkeypatch):
    monkeypatch.setattr(dashboards, "_signals_provider", lambda: None)


def export(client, territory, fmt, **params):
    return client.get(reverse("portal:territory_export", args=[territory.level, territory.code, fmt]), params)


def csv_sections(response):
    body = response.content
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    out, current = {}, None
    for row in csv.reader(io.StringIO(text), delimiter=";"):
        if not row:
            current = None
        elif current is None:
            current = row[0]
            out[current] = []
        else:
            out[current].append(row)
    return out


@pytest.fixture
def tree():
    tree = build_hierarchy(communes=3)
    commune = tree.communes[0]
    fill([france(), tree.region, tree.department, tree.epci, *tree.communes], masked=(tree.communes[2],))
    commune.refresh_from_db()
    return tree


def test_csv_export_has_bom_semicolons_decimal_comma_sources_and_filename(client, tree):
    epci = tree.epci
    client.force_login(EluFactory(territory=epci))
    response = export(client, epci, "csv", classement="gp_count")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="indicateurs-{epci.code}-{today}.csv"'
    sections = csv_sections(response)
    titles = list(sections)
    assert titles[0].startswith(f"Chiffres clés : {epci.name}")
    assert titles[1] == "Évolutions" and titles[2].startswith("Classement des communes")
    header, *rows = sections[titles[0]]
    assert header[:6] == ["Thème", "Indicateur", "Code", "Unité", "Année", epci.name]
    assert header[-3:] == ["Source", "Millésime", "Données de démonstration"]
    gp = next(r for r in rows if r[2] == "gp_density")
    assert gp[5] == str(value_for(epci, "gp_density", 2025)).replace(".", ",")
    assert gp[-1] == "oui" and "RPPS" in gp[-3]
    ald = next(r for r in rows if r[2] == "ald_share")
    assert ald[6:9] == ["non communiqué"] * 3  # not compared: non-public indicator
    # Ranking on the chosen indicator; the masked commune reads « secret statistique », last, without rank.
    header, *ranking = sections[titles[2]]
    assert header[0] == "Rang" and [r[0] for r in ranking] == ["1", "2", ""]
    assert ranking[-1][4] == "secret statistique"
    assert "123" not in response.content.decode("utf-8-sig")  # the masked row's stored denominator
    evolutions = sections["Évolutions"][1:]
    assert {r[4] for r in evolutions} == {"2021", "2022", "2023", "2024", "2025"}


def test_xlsx_export_has_one_sheet_per_section_with_numbers(client, tree):
    from openpyxl import load_workbook

    commune = tree.communes[0]
    client.force_login(AdminFactory())
    response = export(client, commune, "xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].endswith(f'indicateurs-{commune.code}-{timezone.localdate()}.xlsx"')
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Chiffres clés", "Évolutions"]  # a commune: no ranking, no peers (no area)
    sheet = workbook["Chiffres clés"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    gp = next(r for r in rows if r[2] == "gp_density")
    assert gp[5] == value_for(commune, "gp_density", 2025) and isinstance(gp[5], float)
    assert gp[6] == value_for(tree.department, "gp_density", 2025)


def test_masked_territory_exports_secret_statistique(client, tree):
    masked = tree.communes[2]
    client.force_login(AdminFactory())
    sections = csv_sections(export(client, masked, "csv"))
    rows = next(iter(sections.values()))[1:]
    assert {r[5] for r in rows} == {"secret statistique"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_follow_the_page_access_rule(client, tree, fmt):
    other = build_hierarchy(communes=1)
    client.force_login(EluFactory(territory=tree.communes[0]))
    assert export(client, tree.communes[0], fmt).status_code == 200
    assert export(client, tree.communes[1], fmt).status_code == 404  # a neighbour commune
    assert export(client, other.communes[0], fmt).status_code == 404
    client.force_login(ReferentFactory(department=tree.department))
    assert export(client, tree.epci, fmt).status_code == 200
    assert export(client, other.department, fmt).status_code == 404
    client.logout()
    assert export(client, tree.epci, fmt).status_code == 302  # login required


def test_unknown_format_is_a_404(client, tree):
    client.force_login(AdminFactory())
    assert client.get(f"/territoires/epci/{tree.epci.code}/indicateurs.pdf").status_code == 404
