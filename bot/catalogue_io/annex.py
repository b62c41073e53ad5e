"""The layout of a sheet as staff keep it: title rows, the header (one row, or two with merged
group labels), the column-number row, group rows per district or product group, total rows and
notes. The column names are data (data/import/columns.toml).

find_layout() reads a Grid (reader.py) into the table it lists, its data rows as
{column: text} with their row numbers, the rows it skipped and why, and what the titles say
(the decision number and date of an annex: "kèm theo Quyết định số 1234/QĐ-UBND ngày
12/10/2024").
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from bot.catalogue_io.reader import Grid
from bot.config import DATA_DIR
from bot.text import fold

COLUMNS_FILE = DATA_DIR / "import" / "columns.toml"
HEADER_ROWS = 20  # the header is looked for in the first rows

# Columns a row of data fills (a group row or a note fills none of them).
_ROW_FACTS = frozenset(
    ("star", "points", "producer", "producer_type", "address", "category", "year", "decision", "decision_date",
     "start_date", "end_date", "place", "organiser", "lat", "lon", "coordinates", "map_url", "phone", "kind",
     "opening_hours", "products_hint", "source_url", "area")
)  # fmt: skip
_PLACE_ONLY = frozenset(
    ("opening_hours", "opening_hours_en", "products_hint", "products_hint_en", "commune_or_ward", "lat", "lon",
     "coordinates", "map_url", "kind", "phone")
)  # fmt: skip
_PRODUCT_ONLY = frozenset(("star", "points", "producer", "decision", "decision_date", "year", "category"))
_EVENT_ONLY = frozenset(("start_date", "end_date", "organiser"))

_ROMAN_RE = re.compile(r"^(?=[IVXLC])(C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})\.?$")
_INDEX_RE = re.compile(r"^(?:[A-Z]|[a-z])[.)]?$")
_COLUMN_NUMBER_RE = re.compile(r"^\(?\d{1,2}\)?$")
_TOTAL_RE = re.compile(r"^(?:tong cong|tong so|tong|cong|total)\b")
_NOTE_WORDS = ("ghi chu", "kt ", "tm ", "chu tich", "pho chu tich", "nguoi lap", "noi nhan", "note")
_GROUP_WORDS = ("huyen ", "thi xa ", "thanh pho ", "tp ", "nhom ", "bo san pham", "phan nhom", "nganh ", "linh vuc")
_DECISION_RE = re.compile(r"(?:quyết\s*định|QĐ)\s*(?:số)?\s*:?\s*(\d+\s*/\s*[^\s,;)]+)", re.IGNORECASE)
_DATE_RE = re.compile(r"ngày\s*(\d{1,2})\s*(?:[/\-.]|tháng)\s*(\d{1,2})\s*(?:[/\-.]|năm)\s*(\d{4})", re.IGNORECASE)
_PARENS_RE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


@dataclass(frozen=True)
class ColumnNames:
    names: dict[str, str]  # folded label -> column
    under: dict[str, dict[str, str]]  # folded group label -> folded sub label -> column
    tables: dict[str, dict[str, str]]  # table -> column -> column
    categories: dict[str, str]  # folded word -> category key

    def column(self, label: str) -> str | None:
        for key in _label_keys(label):
            if key in self.names:
                return self.names[key]
        return None

    def column_under(self, group: str, label: str) -> str | None:
        for group_key in _label_keys(group):
            table = self.under.get(group_key)
            if table:
                for key in _label_keys(label):
                    if key in table:
                        return table[key]
        return None

    def category(self, text: str) -> str | None:
        key = fold(text)
        for prefix in ("nhom san pham ", "nhom ", "bo san pham ", "nganh hang ", "nganh "):
            if key.startswith(prefix) and key[len(prefix) :] in self.categories:
                return self.categories[key[len(prefix) :]]
        return self.categories.get(key)


def _label_keys(label: str) -> list[str]:
    full = fold(label.replace("_", " "))
    bare = fold(_PARENS_RE.sub(" ", label.replace("_", " ")))
    return [full, bare] if bare != full else [full]


@lru_cache(maxsize=1)
def column_names() -> ColumnNames:
    raw = tomllib.loads(COLUMNS_FILE.read_text(encoding="utf-8"))
    names = {fold(label.replace("_", " ")): column for column, labels in raw["columns"].items() for label in labels}
    for column in raw["columns"]:  # the column's own name always works ("opening_hours_en")
        names.setdefault(fold(column.replace("_", " ")), column)
    under = {fold(group): {fold(k): v for k, v in table.items()} for group, table in raw.get("under", {}).items()}
    categories = {fold(word): key for key, words in raw.get("categories", {}).items() for word in words}
    return ColumnNames(names, under, raw.get("tables", {}), categories)


@dataclass
class Titles:
    """What the rows above the header say about every row below."""

    decision: str = ""
    decision_date: tuple[int, int, int] | None = None  # day, month, year as written
    text: str = ""


@dataclass
class Layout:
    table: str | None
    header_line: int = 0
    header_rows: int = 0
    columns: dict[int, str] = field(default_factory=dict)  # cell index -> column
    labels: dict[str, str] = field(default_factory=dict)  # column -> the label it was read from
    unknown: list[str] = field(default_factory=list)  # header labels we do not know
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # line, reason key, detail
    titles: Titles = field(default_factory=Titles)


def find_layout(grid: Grid, area_of: Callable[[str], str | None]) -> Layout:
    """The table and rows of a grid. `area_of` names the district a group row's text means."""
    names = column_names()
    found = _find_header(grid.rows[:HEADER_ROWS], names)
    if found is None:
        return Layout(None)
    index, header_rows, columns, labels, unknown = found
    table = detect_table(set(columns.values()))
    overrides = names.tables.get(table, {})
    columns = {i: overrides.get(c, c) for i, c in columns.items()}
    labels = {overrides.get(c, c): label for c, label in labels.items()}
    layout = Layout(table, grid.rows[index][0], header_rows, columns, labels, unknown)
    for line, cells in grid.rows[:index]:
        text = " ".join(c.strip() for c in cells if c.strip())
        if text:
            layout.skipped.append((line, "title", ""))
            _read_title(text, layout.titles)
        else:
            layout.skipped.append((line, "blank", ""))
    group_area, group_category = "", ""
    for line, cells in grid.rows[index + header_rows :]:
        filled = [(i, c.strip()) for i, c in enumerate(cells) if c.strip()]
        values: dict[str, str] = {}
        for i, text in filled:
            column = columns.get(i)
            if column and column not in values:
                values[column] = text
        if not filled:
            layout.skipped.append((line, "blank", ""))
            continue
        first = filled[0][1]
        if _TOTAL_RE.match(fold(first)) and not values.get("star") and not values.get("points"):
            layout.skipped.append((line, "total", first[:60]))
            continue
        if len(filled) >= 3 and all(_COLUMN_NUMBER_RE.match(t) for _, t in filled):
            layout.skipped.append((line, "numbers", ""))
            continue
        facts = {c for c in values if c in _ROW_FACTS}
        if not facts and len(filled) <= 2 and fold(filled[-1][1]).startswith(_NOTE_WORDS):
            layout.skipped.append((line, "note", filled[-1][1][:60]))  # a signature block, a note
            continue
        if not facts and len(filled) <= 2:
            group = _group(filled, values, area_of, names)
            if group is not None:
                area, category, text = group
                if area:
                    group_area, group_category = area, group_category if category is None else category
                elif category:
                    group_category = category
                layout.skipped.append((line, "group", text[:80]))
                continue
        if not facts and not values.get("name"):
            layout.skipped.append((line, "note", first[:60]))
            continue
        if group_area and not values.get("area"):
            values["_group_area"] = group_area
        if group_category and not values.get("category"):
            values["_group_category"] = group_category
        layout.rows.append((line, values))
    return layout


def detect_table(columns: set[str]) -> str | None:
    if "name" not in columns:
        return None
    if columns & _EVENT_ONLY:
        return "events"
    if columns & _PLACE_ONLY and not columns & _PRODUCT_ONLY:
        return "places"
    return "products"


def _find_header(rows: Sequence[tuple[int, list[str]]], names: ColumnNames):
    """(index, rows in the header, cell index -> column, column -> label, unknown labels) of the
    best header among the first rows, or None. Two rows when the second holds the sub-labels
    of merged group cells above it ("Chủ thể sản xuất" over "Tên chủ thể" and "Địa chỉ")."""
    best = None
    for index, (_, cells) in enumerate(rows):
        single = _map_row(cells, names)
        candidates = [(1, single)]
        if index + 1 < len(rows):
            double = _map_two_rows(cells, rows[index + 1][1], names)
            if double is not None:
                candidates.append((2, double))
        for height, (columns, labels, unknown) in candidates:
            if "name" not in columns.values():
                continue
            score = (len(set(columns.values())), -len(unknown), -height)
            if best is None or score > best[0]:
                best = (score, (index, height, columns, labels, unknown))
    return best[1] if best else None


def _map_row(cells: Sequence[str], names: ColumnNames):
    columns: dict[int, str] = {}
    labels: dict[str, str] = {}
    unknown = []
    for i, cell in enumerate(cells):
        label = " ".join(cell.split())
        if not label:
            continue
        column = names.column(label)
        if column and column not in labels:
            columns[i], labels[column] = column, label
        elif not column:
            unknown.append(label)
    return columns, labels, unknown


def _map_two_rows(top: Sequence[str], sub: Sequence[str], names: ColumnNames):
    if not any(c.strip() for c in sub):
        return None
    columns: dict[int, str] = {}
    labels: dict[str, str] = {}
    unknown = []
    group = ""
    for i in range(max(len(top), len(sub))):
        above = " ".join((top[i] if i < len(top) else "").split())
        below = " ".join((sub[i] if i < len(sub) else "").split())
        if above:
            group = above
        elif not below:
            group = ""
        if below:
            if _COLUMN_NUMBER_RE.match(below):
                return None  # a row of column numbers, not sub-labels
            column = names.column_under(group, below) or names.column(below)
            if column is None:
                return None  # data, not a header
            label = f"{group} / {below}" if group else below
        elif above:
            column, label = names.column(above), above
        else:
            continue
        if column and column not in labels:
            columns[i], labels[column] = column, label
        elif not column:
            unknown.append(label)
    return columns, labels, unknown


def _group(filled, values, area_of, names: ColumnNames) -> tuple[str, str | None, str] | None:
    """(district or "", category or None, text) when a row is a group row ("I | HUYỆN BẢO THẮNG",
    "A. Nhóm thực phẩm"), else None."""
    texts = [t for _, t in filled]
    index = values.get("stt", "")
    text = next((t for t in texts if t != index), index)
    label = " ".join(text.split())
    stripped = re.sub(r"^(?:[IVXLC]+|[A-Za-z])[.)]\s+", "", label)
    area = area_of(_PARENS_RE.sub(" ", stripped).strip()) or ""
    category = names.category(stripped)
    marked = bool(index) and (_ROMAN_RE.match(index) or _INDEX_RE.match(index))
    loud = stripped.isupper() and len(stripped) > 3
    worded = fold(stripped).startswith(_GROUP_WORDS)
    if marked or loud or worded or area or category or stripped != label:
        return area, category, label
    return None


def _read_title(text: str, titles: Titles) -> None:
    titles.text = (titles.text + " " + text).strip()[:500]
    if not titles.decision:
        match = _DECISION_RE.search(text)
        if match:
            titles.decision = re.sub(r"\s+", "", match.group(1))
            date = _DATE_RE.search(text, match.end())
            if date:
                titles.decision_date = (int(date.group(1)), int(date.group(2)), int(date.group(3)))
