"""`ocop-bot export`: the catalogue in the columns `ocop-bot import` reads, so staff edit it in
Excel and load it back; a file loaded back unchanged changes nothing (tests prove it).

The first row is a note (the importer skips it as a title); the second is the header. Cells
that would start a formula (= + - @) are written as text in XLSX, and behind a ' in CSV (the
importer drops it again), never as formulas.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date
from pathlib import Path

from bot.storage import TABLE_COLUMNS, Repository

EXPORT_COLUMNS = {table: ("id", *columns) for table, columns in TABLE_COLUMNS.items()}
_NUMBERS = {"id", "star", "year", "lat", "lon"}
_FORMULA_START = ("=", "+", "-", "@")


def table_for(path: Path) -> str:
    """The table a file name suggests: places…/diem_ban… -> places, events…/su_kien… -> events."""
    name = path.stem.lower()
    if any(word in name for word in ("place", "diem", "shop", "cua_hang")):
        return "places"
    if any(word in name for word in ("event", "su_kien", "hoi_cho", "fair")):
        return "events"
    return "products"


def note(table: str) -> str:
    return (
        f"OCOP Lào Cai catalogue: {table}, exported {date.today().isoformat()}. Edit and load back with "
        f"`ocop-bot import`. Rows are matched by {'name and producer' if table == 'products' else 'name and address' if table == 'places' else 'name and start date'}; "
        "the id column is for reference only."
    )


async def export_file(repo: Repository, path: Path, table: str) -> int:
    rows = await repo.stored_rows(table)
    rows.sort(key=lambda r: r["id"])
    data = await asyncio.to_thread(render, path.suffix.lower(), table, rows)
    await asyncio.to_thread(path.write_bytes, data)
    return len(rows)


def render(suffix: str, table: str, rows: list[dict]) -> bytes:
    columns = EXPORT_COLUMNS[table]
    if suffix == ".csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([note(table)])
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_cell(row.get(c)) for c in columns])
        return out.getvalue().encode("utf-8-sig")
    from openpyxl import Workbook

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = table
    sheet.append([note(table)])
    sheet.append(list(columns))
    for row in rows:
        sheet.append([_xlsx_value(c, row.get(c)) for c in columns])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(_FORMULA_START):
                cell.data_type = "s"  # text, never a formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(column: str, value: object) -> object:
    if value is None:
        return None
    if column in _NUMBERS:
        return value
    return str(value)


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
