"""One reader for every catalogue file, whether it comes from `ocop-bot import` or a staff
member's upload in chat: CSV (UTF-8 with or without BOM, UTF-16 with BOM, Windows-1258; `,`
`;` or tab) and XLSX (the first sheet or a named one), as a grid of text cells with their row
numbers. The layout (titles, headers, groups) is annex.py's business.

Files are untrusted. Every limit of [import] is checked before the work it bounds: the size
before reading, an XLSX's unpacked size from the zip directory before unpacking (parts cannot
inflate past their declared sizes: zipfile stops there), rows while streaming (never the
sheet's declared dimension), columns and cell lengths as they come. A file over a limit or not
what it claims raises FileRefused with a one-line reason; nothing else escapes.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from bot.catalogue_io.reasons import FileRefused
from bot.config import ImportSection

ZIP_MAGIC = b"PK\x03\x04"
_MAGICS = ((b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"%PDF", "PDF"), (b"GIF8", "GIF"), (b"Rar!", "RAR"))
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 (.xls), old Word
# Tried in this order, each strictly; the first that decodes the whole file wins. UTF-16 only
# with its BOM (without one, any even-length bytes "decode"). Windows-1258 last: it is what
# Excel on a Vietnamese Windows saves as "CSV", with tone marks as combining characters.
ENCODINGS = ("utf-8-sig", "cp1258")
DELIMITERS = (",", ";", "\t")
SNIFF_LINES = 20


@dataclass
class Grid:
    """A sheet as text cells: (row number in the file, cells), blank rows included."""

    rows: list[tuple[int, list[str]]]
    kind: str  # "csv" or "xlsx"
    encoding: str = ""  # CSV: the encoding it decoded as
    delimiter: str = ""
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)


def read_path(path: Path, limits: ImportSection, sheet: str | None = None) -> Grid:
    """A file on disk: its size is checked before a byte is read."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FileRefused("unreadable", error=exc.strerror) from None
    _check_size(size, limits)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileRefused("unreadable", error=exc.strerror) from None
    return read_bytes(path.name, data, limits, sheet)


def read_bytes(name: str, data: bytes, limits: ImportSection, sheet: str | None = None) -> Grid:
    """The one reader (CLI and chat). Slow for big files: call it in a worker thread."""
    _check_size(len(data), limits)
    suffix = Path(name).suffix.lower()
    if data.startswith(ZIP_MAGIC):
        return _read_xlsx(data, limits, sheet)
    for magic, what in _MAGICS:
        if data.startswith(magic):
            raise FileRefused("other_format", what=what)
    if data.startswith(OLE_MAGIC):
        raise FileRefused("old_excel")
    if suffix in (".xlsx", ".xlsm"):
        raise FileRefused("not_zip")
    if sheet:
        raise FileRefused("csv_sheet")
    return _read_csv(data, limits)


def _check_size(size: int, limits: ImportSection) -> None:
    if size > limits.max_file_bytes:
        raise FileRefused("too_big", size=_mb(size), limit=_mb(limits.max_file_bytes))


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


# -- CSV ---------------------------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The text (NFC) and the encoding it decoded as, trying each encoding strictly in order."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates: tuple[str, ...] = ("utf-16",)
    else:
        candidates = ENCODINGS
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise FileRefused("binary")
        return unicodedata.normalize("NFC", text), encoding
    if candidates == ("utf-16",):
        raise FileRefused("bad_utf16")
    raise FileRefused("not_text")


def sniff_delimiter(text: str) -> str:
    """The delimiter seen most often on one line of the first lines (quotes skipped): the
    header line has the most. Ties go to ',' then ';'."""
    best, best_count = ",", 0
    lines = text.splitlines()[:SNIFF_LINES]
    for delimiter in DELIMITERS:
        count = max((_unquoted_count(line, delimiter) for line in lines), default=0)
        if count > best_count:
            best, best_count = delimiter, count
    return best


def _unquoted_count(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


def _read_csv(data: bytes, limits: ImportSection) -> Grid:
    text, encoding = decode(data)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    rows: list[tuple[int, list[str]]] = []
    width = 0  # the widest row so far
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise FileRefused("bad_csv", line=line, error=str(exc)) from None
        if len(rows) >= limits.max_rows:
            raise FileRefused("too_many_rows", limit=f"{limits.max_rows:,}")
        width = max(width, len(record))
        for cell in record:
            _check_cell(cell, line, limits, csv_cell=True)
            if "\n" in cell:
                _check_swallowed(cell, line, delimiter, width)
        rows.append((line, _columns(record, line, limits)))
    return Grid(rows, "csv", encoding=encoding, delimiter=delimiter)


def _check_swallowed(cell: str, line: int, delimiter: str, width: int) -> None:
    """A quoted cell whose inner lines look like rows of the file (as many delimiters as a row
    has): a quote left open swallowed them. A line break in an address has a comma or two."""
    lines = cell.split("\n")[1:]
    looks_like_rows = sum(1 for text in lines if text.count(delimiter) >= max(3, width - 1))
    if looks_like_rows:
        raise FileRefused("swallowed_rows", line=line, rows=looks_like_rows)


def _check_cell(cell: str, line: int, limits: ImportSection, *, csv_cell: bool = False) -> None:
    if csv_cell and cell.count("\n") > limits.max_cell_lines:
        raise FileRefused("long_cell_lines", line=line, lines=cell.count("\n") + 1, limit=limits.max_cell_lines)
    if len(cell) > limits.max_cell_chars:
        raise FileRefused("long_cell", line=line, length=f"{len(cell):,}", limit=f"{limits.max_cell_chars:,}")


def _columns(cells: list[str], line: int, limits: ImportSection) -> list[str]:
    if len(cells) > limits.max_columns:
        while cells and not cells[-1].strip():
            cells = cells[:-1]
        if len(cells) > limits.max_columns:
            raise FileRefused("too_many_columns", line=line, count=len(cells), limit=limits.max_columns)
    return cells


# -- XLSX --------------------------------------------------------------------------------------------


def _read_xlsx(data: bytes, limits: ImportSection, sheet: str | None) -> Grid:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            names = {info.filename for info in parts}
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRefused("damaged_zip") from None
    if "xl/workbook.xml" not in names:
        raise FileRefused("no_workbook")
    unpacked = sum(info.file_size for info in parts)
    if unpacked > limits.max_unpacked_bytes:
        raise FileRefused("unpacked", size=_mb(unpacked), limit=_mb(limits.max_unpacked_bytes))
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken workbook
        raise FileRefused("unreadable_workbook", error=exc.__class__.__name__) from None
    try:
        sheets = list(book.sheetnames)
        if sheet is not None and sheet not in sheets:
            raise FileRefused("no_sheet", name=repr(sheet), sheets=", ".join(sheets))
        worksheet = book[sheet] if sheet else book.worksheets[0]
        if not hasattr(worksheet, "reset_dimensions"):
            raise FileRefused("chart_sheet", name=repr(worksheet.title))
        worksheet.reset_dimensions()  # the declared size may lie: read the rows that are there
        rows: list[tuple[int, list[str]]] = []
        try:
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                if number > limits.max_rows:
                    raise FileRefused("too_many_rows", limit=f"{limits.max_rows:,}")
                cells = [_text(v) for v in values]
                for cell in cells:
                    _check_cell(cell, number, limits)
                rows.append((number, _columns(cells, number, limits)))
        except FileRefused:
            raise
        except Exception as exc:
            raise FileRefused("bad_row", line=len(rows) + 1, error=exc.__class__.__name__) from None
        return Grid(rows, "xlsx", sheet=worksheet.title, sheets=sheets)
    finally:
        book.close()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return unicodedata.normalize("NFC", str(value))
