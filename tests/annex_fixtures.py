"""Synthetic OCOP decision annexes for tests and bench/import_bench.py.

Everything here is made up ("thử nghiệm" = test): product names, producers, points, stars and
decision numbers are fixtures, not facts, and never reach the shipped catalogue. The layouts
copy how the province's annexes look: title rows, a one- or two-row header with merged group
cells, a row of column numbers, group rows per district, a total row.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass

TITLE = [
    ["ỦY BAN NHÂN DÂN TỈNH LÀO CAI (THỬ NGHIỆM)"],
    ["DANH SÁCH SẢN PHẨM ĐẠT TIÊU CHUẨN OCOP (DỮ LIỆU THỬ NGHIỆM)"],
    ["(Kèm theo Quyết định số 9999/QĐ-TEST ngày 12/10/2024 của UBND tỉnh)"],
    [],
]
DISTRICTS = ["Bảo Thắng", "Sa Pa", "Bắc Hà", "Văn Bàn"]
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]


@dataclass
class Row:
    name: str
    producer: str
    address: str
    points: int
    district: str

    @property
    def star(self) -> int:
        return 5 if self.points >= 90 else 4 if self.points >= 70 else 3


def synthetic_rows(n: int, *, start: int = 1) -> list[Row]:
    rows = []
    for i in range(start, start + n):
        district = DISTRICTS[i % len(DISTRICTS)]
        rows.append(
            Row(
                name=f"Sản phẩm thử nghiệm số {i}",
                producer=f"Hợp tác xã thử nghiệm {i % 97}",
                address=f"Thôn Thử {i % 13}, xã Thử Nghiệm, huyện {district}",
                points=50 + (i * 7) % 51,
                district=district,
            )
        )
    return rows


def annex_grid(rows: list[Row], *, two_row: bool = True, points_only: bool = False, groups: bool = True,
               numbers: bool = True, title: bool = True) -> tuple[list[list], list[str]]:  # fmt: skip
    """The cells of an annex and the ranges to merge (Excel notation)."""
    grid: list[list] = [list(r) for r in TITLE] if title else []
    merges: list[str] = []
    header_row = len(grid) + 1
    if two_row:
        top = ["STT", "Tên sản phẩm", "Chủ thể sản xuất", None, "Kết quả đánh giá", None]
        sub = [None, None, "Tên chủ thể", "Địa chỉ", "Số điểm", "Hạng sao"]
        if points_only:
            top, sub = top[:5], sub[:5]
            top[4] = "Số điểm"
            sub[4] = None
        grid += [top, sub]
        merges += [f"A{header_row}:A{header_row + 1}", f"B{header_row}:B{header_row + 1}",
                   f"C{header_row}:D{header_row}"]  # fmt: skip
        merges += [f"E{header_row}:E{header_row + 1}"] if points_only else [f"E{header_row}:F{header_row}"]
    else:
        grid.append(["STT", "Tên sản phẩm", "Tên chủ thể", "Địa chỉ"] + (["Số điểm"] if points_only else ["Hạng sao"]))
    width = len(grid[-1])
    if numbers:
        grid.append([f"({i})" for i in range(1, width + 1)])
    by_district: dict[str, list[Row]] = {}
    for row in rows:
        by_district.setdefault(row.district if groups else "", []).append(row)
    number = 0
    for g, (district, members) in enumerate(by_district.items()):
        if groups:
            grid.append([ROMAN[g % len(ROMAN)], f"HUYỆN {district.upper()} ({len(members):02d} sản phẩm)"])
        for row in members:
            number += 1
            if points_only:
                result = [row.points]
            elif two_row:
                result = [row.points, f"{row.star} sao"]
            else:
                result = [f"{row.star}*"]
            grid.append([number, row.name, row.producer, row.address, *result])
    grid.append(["Tổng cộng", f"{number} sản phẩm"])
    grid += [[], [None, "KT. CHỦ TỊCH (THỬ NGHIỆM)"], [None, "PHÓ CHỦ TỊCH"]]
    return grid, merges


def annex_xlsx(rows: list[Row], **layout) -> bytes:
    from openpyxl import Workbook

    grid, merges = annex_grid(rows, **layout)
    book = Workbook()
    sheet = book.active
    sheet.title = "Phụ lục"
    for cells in grid:
        sheet.append(cells)
    for merged in merges:
        sheet.merge_cells(merged)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def annex_csv(rows: list[Row], *, delimiter: str = ",", **layout) -> str:
    import csv

    grid, _ = annex_grid(rows, **layout)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for cells in grid:
        writer.writerow(["" if c is None else c for c in cells])
    return out.getvalue()


_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Text as Excel on a Vietnamese Windows saves it: Windows-1258, the vowel letter precomposed
    (â, ơ, ư …) and the tone mark as a separate combining character after it."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", ch)
        tones = [c for c in parts if c in _TONES]
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        out.append(base + "".join(tones))
    return "".join(out).encode("cp1258")


# -- hostile workbooks (tests/test_hostile_files.py, bench/import_bench.py) ---------------------------


def workbook_with_rows(target, rows, *, dimension: str | None = None) -> None:
    """A valid workbook (the annex's parts) whose sheet holds the XML `rows` (bytes chunks),
    streamed into `target` (a path or a binary file), never held whole; `dimension` is what
    the sheet claims its size is ("A1:XFD1048576")."""
    import re
    import zipfile

    with (
        zipfile.ZipFile(io.BytesIO(annex_xlsx(synthetic_rows(2)))) as source,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info.filename, data)
                continue
            head = data.partition(b"<sheetData>")[0]
            if dimension:
                head = re.sub(rb"<dimension [^>]*/>", f'<dimension ref="{dimension}"/>'.encode(), head)
            with out.open(info.filename, "w", force_zip64=True) as member:
                member.write(head + b"<sheetData>")
                for chunk in rows:
                    member.write(chunk)
                member.write(b"</sheetData></worksheet>")


def repeated_rows(total_bytes: int):
    """Rows of 200 x's, `total_bytes` of XML in 1 MB chunks: what a zip bomb inflates to."""
    row = b'<row><c t="inlineStr"><is><t>' + b"x" * 200 + b"</t></is></c></row>"
    chunk = row * max(1, min(total_bytes, 1_000_000) // len(row))
    for _ in range(max(1, total_bytes // len(chunk))):
        yield chunk


def named_rows(count: int):
    """A 'Tên sản phẩm' header cell, then `count` - 1 rows of one synthetic product name."""
    yield '<row r="1"><c r="A1" t="inlineStr"><is><t>Tên sản phẩm</t></is></c></row>'.encode()
    for i in range(2, count + 1):
        yield f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>Sản phẩm thử {i}</t></is></c></row>'.encode()
