"""CSV and XLSX exports of a territorial dashboard: exactly what the page shows.

Sections: key figures with their comparisons, trends (long format), ranking of the subdivisions and
similar territories. Every row names its source, vintage and whether it is demonstration data; masked
values are written « secret statistique » and values the user may not see « non communiqué » (never a
number). CSV: UTF-8 with BOM (Excel opens it as UTF-8), ``;`` separator, decimal comma, no thousands
separator; sections separated by an empty line. XLSX: one sheet per section, numbers as numbers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils import timezone

from portal.territory.dashboard import Dashboard, Figure

Cell = str | float | int | None


@dataclass
class Section:
    sheet: str  # XLSX sheet name (31 characters at most)
    title: str
    headers: list[str]
    rows: list[list[Cell]]


def _cell(figure: Figure) -> Cell:
    if figure.available:
        return round(figure.value, figure.decimals) if figure.decimals else round(figure.value)
    return figure.display


def _yes_no(flag: bool) -> str:
    return "oui" if flag else "non"


def sections(dashboard: Dashboard) -> list[Section]:
    territory = dashboard.territory
    comparators = [c.name if c.label == "France" else f"{c.label} : {c.name}" for c in dashboard.comparators]
    out = [
        Section(
            sheet="Chiffres clés",
            title=f"Chiffres clés : {territory.name} ({territory.get_level_display()} {territory.code})",
            headers=["Thème", "Indicateur", "Code", "Unité", "Année", territory.name, *comparators]
            + ["Source", "Millésime", "Données de démonstration"],
            rows=[
                [block.label, row.indicator.label, row.indicator.code, row.indicator.unit, row.year]
                + [_cell(row.figure)]
                + [_cell(f) for f in row.comparisons]
                + [
                    row.indicator.source,
                    row.indicator.vintage,
                    _yes_no(row.indicator.is_demo or row.figure.is_demo or any(f.is_demo for f in row.comparisons)),
                ]
                for block in dashboard.themes
                for row in block.rows
            ],
        ),
        Section(
            sheet="Évolutions",
            title="Évolutions",
            headers=["Indicateur", "Code", "Unité", "Territoire", "Année", "Valeur"]
            + ["Source", "Millésime", "Données de démonstration"],
            rows=[
                [trend.indicator.label, trend.indicator.code, trend.indicator.unit, line.label, year, _cell(point)]
                + [trend.indicator.source, trend.indicator.vintage, _yes_no(trend.indicator.is_demo or point.is_demo)]
                for trend in dashboard.trends
                for line in trend.lines
                for year, point in zip(trend.years, line.points, strict=True)
            ],
        ),
    ]
    ranking = dashboard.ranking
    if ranking and ranking.indicator:
        indicator = ranking.indicator
        out.append(
            Section(
                sheet="Classement",
                title=f"Classement des {ranking.title.lower()} : {indicator.label} ({indicator.unit}), {ranking.year}",
                headers=["Rang", "Nom", "Code", "Population", f"{indicator.label} ({indicator.unit})", "Année"]
                + ["Source", "Millésime", "Données de démonstration"],
                rows=[
                    [row.rank, row.name, row.code, row.population, _cell(row.figure), ranking.year]
                    + [indicator.source, indicator.vintage, _yes_no(indicator.is_demo or row.figure.is_demo)]
                    for row in ranking.rows
                ],
            )
        )
    if dashboard.peers:
        indicators = dashboard.peer_indicators
        out.append(
            Section(
                sheet="Territoires comparables",
                title="Territoires comparables (population et densité proches)",
                headers=["Nom", "Code", "Population", "Densité (hab./km²)"]
                + [f"{i.label} ({i.unit})" for i in indicators]
                + ["Sources", "Données de démonstration"],
                rows=[
                    [
                        peer.territory.name,
                        peer.territory.code,
                        peer.territory.population,
                        round(peer.territory.density, 1),
                    ]
                    + [_cell(f) for f in peer.figures]
                    + [
                        " | ".join(f"{i.label} : {i.source}, {i.vintage}" for i in indicators),
                        _yes_no(any(i.is_demo for i in indicators) or any(f.is_demo for f in peer.figures)),
                    ]
                    for peer in dashboard.peers
                ],
            )
        )
    return out


def filename(dashboard: Dashboard, extension: str) -> str:
    return f"indicateurs-{dashboard.territory.code}-{timezone.localdate().isoformat()}.{extension}"


def _csv_value(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value).replace(".", ",") if value != int(value) else str(int(value))
    return str(value)


def to_csv(dashboard: Dashboard) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for index, section in enumerate(sections(dashboard)):
        if index:
            writer.writerow([])
        writer.writerow([section.title])
        writer.writerow(section.headers)
        writer.writerows([_csv_value(v) for v in row] for row in section.rows)
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def to_xlsx(dashboard: Dashboard) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for section in sections(dashboard):
        sheet = workbook.create_sheet(section.sheet)
        sheet.append([section.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append(section.headers)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in section.rows:
            sheet.append(row)
        sheet.freeze_panes = "A3"
        for column in sheet.iter_cols(min_row=2, max_row=2):
            sheet.column_dimensions[column[0].column_letter].width = min(max(len(str(column[0].value)) + 2, 10), 45)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
