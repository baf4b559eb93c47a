"""report.html and svsim.xlsx for a comparison folder (placeholder, filled in below)."""

from __future__ import annotations

from .present import FolderData


def compare_report(data: FolderData, charts: list[str]) -> str:
    from .report import image, page, table_html

    body = "<h1>Comparison</h1>" + table_html(data.tables["differences"])
    body += "".join(image(data.folder, c, c) for c in charts)
    return page("svsim comparison", body)


def write_compare_workbook(data: FolderData, wb) -> None:  # noqa: ANN001
    from .workbook import add_sheet

    for stem, df in data.tables.items():
        add_sheet(wb, stem, df)
