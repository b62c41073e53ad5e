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
            grid.append([ROMAN[g % len(ROMAN)], f"HUYỆN {district.upper()}"])
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
