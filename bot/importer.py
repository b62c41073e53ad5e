"""CSV import with validation: every bad row is named, and any bad row means nothing is written."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from bot.models import Locality
from bot.storage import Repository
from bot.text import clean_input, fold, nfc

# Bounding box of Lào Cai province since the 2025 merger (old Lào Cai plus old Yên Bái), with margin.
# Files staff send to the bot: a province list of a few thousand rows is well under these.
MAX_UPLOAD_BYTES = 5_000_000  # as sent
MAX_UNPACKED_BYTES = 100_000_000  # an XLSX is a zip: what it unpacks to
MAX_UPLOAD_ROWS = 100_000


class UploadTooLarge(ValueError):
    """An upload over the size limits; nothing of it was read."""


LAT_RANGE = (21.2, 22.95)
LON_RANGE = (103.4, 105.2)

# Headers as folded text -> our column. Province sheets use the Vietnamese ones.
HEADER_ALIASES: dict[str, str] = {
    "id": "id",
    "name": "name", "ten san pham": "name", "ten": "name", "san pham": "name", "product": "name",
    "product name": "name", "ten su kien": "name", "ten dia diem": "name", "ten diem ban": "name",
    "qualifier": "qualifier", "ghi chu ten": "qualifier",
    "star": "star", "stars": "star", "hang sao": "star", "so sao": "star", "sao": "star",
    "xep hang": "star", "hang": "star",
    "producer": "producer", "chu the": "producer", "chu the san xuat": "producer", "co so san xuat": "producer",
    "don vi san xuat": "producer", "ten chu the": "producer",
    "producer type": "producer_type", "producer_type": "producer_type", "loai hinh chu the": "producer_type",
    "loai hinh": "producer_type",
    "area": "area", "district": "area", "old district": "area", "old_district": "area", "huyen": "area",
    "dia ban": "area", "huyen thi xa thanh pho": "area", "huyen cu": "area",
    "former province": "former_province", "former_province": "former_province", "tinh cu": "former_province",
    "tinh": "former_province",
    "category": "category", "nhom san pham": "category", "nhom": "category", "phan nhom": "category",
    "nganh hang": "category",
    "year": "year", "nam": "year", "nam cong nhan": "year",
    "decision": "decision", "quyet dinh": "decision", "so quyet dinh": "decision",
    "decision date": "decision_date", "decision_date": "decision_date", "ngay quyet dinh": "decision_date",
    "ngay cong nhan": "decision_date", "ngay cap": "decision_date",
    "english name": "english_name", "english_name": "english_name", "ten tieng anh": "english_name",
    "aliases": "aliases", "ten goi khac": "aliases",
    "source url": "source_url", "source_url": "source_url", "source": "source_url", "nguon": "source_url",
    "address": "address", "dia chi": "address",
    "commune or ward": "commune_or_ward", "commune_or_ward": "commune_or_ward", "xa phuong": "commune_or_ward",
    "kind": "kind", "loai": "kind", "loai diem": "kind",
    "opening hours": "opening_hours", "opening_hours": "opening_hours", "gio mo cua": "opening_hours",
    "lat": "lat", "latitude": "lat", "vi do": "lat",
    "lon": "lon", "lng": "lon", "longitude": "lon", "kinh do": "lon",
    "products hint": "products_hint", "products_hint": "products_hint", "mat hang": "products_hint",
    "notes": "notes", "ghi chu": "notes",
    "start date": "start_date", "start_date": "start_date", "ngay bat dau": "start_date", "tu ngay": "start_date",
    "end date": "end_date", "end_date": "end_date", "ngay ket thuc": "end_date", "den ngay": "end_date",
    "place": "place", "dia diem": "place",
    "organiser": "organiser", "organizer": "organiser", "don vi to chuc": "organiser", "to chuc": "organiser",
    # Text in other languages (migration 004). "(VI)"/"(EN)" suffixes fold to " vi"/" en"; the
    # researched files name the Vietnamese columns opening_hours_vi / products_hint_vi.
    "name zh": "name_zh", "chinese name": "name_zh", "ten tieng trung": "name_zh",
    "ten zh": "name_zh", "zh name": "name_zh",
    "name ko": "name_ko", "korean name": "name_ko", "ten tieng han": "name_ko",
    "ten ko": "name_ko", "ko name": "name_ko",
    "opening hours vi": "opening_hours", "gio mo cua vi": "opening_hours",
    "opening hours en": "opening_hours_en", "opening hours english": "opening_hours_en",
    "gio mo cua en": "opening_hours_en", "gio mo cua tieng anh": "opening_hours_en",
    "products hint vi": "products_hint", "mat hang vi": "products_hint",
    "products hint en": "products_hint_en", "products hint english": "products_hint_en",
    "mat hang en": "products_hint_en", "mat hang tieng anh": "products_hint_en",
    "name en": "name_en", "event name en": "name_en", "ten su kien en": "name_en",
    "ten su kien tieng anh": "name_en",
}  # fmt: skip
# The same header means a different column in another table: "Tên tiếng Anh" of an event is
# its English name, "name_en" of a product is its english_name.
TABLE_HEADER_OVERRIDES: dict[str, dict[str, str]] = {
    "events": {"english_name": "name_en"},
    "products": {"name_en": "english_name"},
}

CATEGORY_WORDS = {
    "food": "food", "thuc pham": "food",
    "beverage": "beverage", "do uong": "beverage", "drinks": "beverage",
    "herbal": "herbal", "thao duoc": "herbal", "duoc lieu": "herbal",
    "textile": "textile", "vai va may mac": "textile", "det may": "textile",
    "handicraft": "handicraft", "thu cong my nghe": "handicraft", "thu cong": "handicraft",
    "tourism": "tourism", "du lich": "tourism", "dich vu du lich nong thon": "tourism",
    "du lich cong dong": "tourism",
    "ornamental": "ornamental", "sinh vat canh": "ornamental",
}  # fmt: skip
# A sheet with any of these (and no star) lists places.
PLACE_ONLY_COLUMNS = frozenset(
    ("address", "opening_hours", "opening_hours_en", "products_hint_en", "commune_or_ward", "lat", "lon", "kind")
)
_STAR_RE = re.compile(r"^\s*([0-9])\s*(?:sao|star|stars|\*|★|⭐)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


@dataclass
class ImportPlan:
    table: str
    records: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)


def _header(name: str) -> str | None:
    key = fold(name.replace("_", " "))
    return HEADER_ALIASES.get(key) or HEADER_ALIASES.get(name.strip().lower())


def detect_table(columns: Iterable[str]) -> str | None:
    cols = set(columns)
    if "name" not in cols:
        return None
    if cols & {"start_date", "end_date", "organiser"}:
        return "events"
    if cols & PLACE_ONLY_COLUMNS and "star" not in cols:
        return "places"
    return "products"


def parse_date(value: str) -> date:
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


class AreaResolver:
    """Maps what people write ('Lào Cai city', 'huyện Bắc Hà', 'bac ha') to a locality name."""

    def __init__(self, localities: Sequence[Locality]) -> None:
        self._names: dict[str, str] = {}
        for loc in localities:
            district = loc.district or loc.name
            for alias in (loc.name, *loc.aliases):
                self._names.setdefault(fold(alias), district)
        for loc in localities:  # a district's own name wins over a seat town's alias
            if loc.district == loc.name:
                self._names[fold(loc.name)] = loc.name
        for suffix in (" city", " town", " district"):
            for loc in localities:
                self._names.setdefault(fold(loc.name + suffix), loc.district or loc.name)

    def resolve(self, value: str) -> str | None:
        key = fold(value)
        for prefix in ("huyen ", "thi xa ", "thanh pho ", "tp "):
            if key.startswith(prefix) and key[len(prefix) :] in self._names:
                return self._names[key[len(prefix) :]]
        return self._names.get(key)


def read_rows(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Rows of a CSV (UTF-8, optional BOM) or XLSX file with their line numbers."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    text = path.read_bytes().decode("utf-8-sig")
    return read_csv_text(text)


def read_upload(file_name: str, content: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """A file sent to the bot: XLSX (the province publishes Excel) or CSV in UTF-8 or UTF-16.
    Slow for big files: call it in a worker thread. Over the limits: UploadTooLarge."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise UploadTooLarge(f"{len(content)} bytes")
    if file_name.lower().endswith((".xlsx", ".xlsm")):
        _check_unpacked_size(content)
        header, rows = _read_xlsx(io.BytesIO(content), max_rows=MAX_UPLOAD_ROWS)
    else:
        for encoding in ("utf-8-sig", "utf-16"):
            try:
                header, rows = read_csv_text(content.decode(encoding))
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValueError("not UTF-8 or UTF-16 text")
    if len(rows) > MAX_UPLOAD_ROWS:
        raise UploadTooLarge(f"over {MAX_UPLOAD_ROWS} rows")
    return header, rows


def _check_unpacked_size(content: bytes) -> None:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise UploadTooLarge("unpacks to too much")


def read_csv_text(text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = []
    header: list[str] = []
    for record in reader:
        if not header:
            header = [nfc(h).strip() for h in record]
            continue
        if not any(cell.strip() for cell in record):
            continue
        rows.append((reader.line_num, dict(zip(header, record, strict=False))))
    return header, rows


def _read_xlsx(path, max_rows: int | None = None) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    from openpyxl import load_workbook

    sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    header: list[str] = []
    rows = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = ["" if v is None else (v.date().isoformat() if isinstance(v, datetime) else str(v)) for v in values]
        if not header:
            header = [nfc(c).strip() for c in cells]
            continue
        if any(c.strip() for c in cells):
            rows.append((number, dict(zip(header, cells, strict=False))))
            if max_rows is not None and len(rows) > max_rows:
                raise UploadTooLarge(f"over {max_rows} rows")
    return header, rows


def plan_import(header: Sequence[str], rows: Sequence[tuple[int, dict[str, str]]], areas: AreaResolver) -> ImportPlan:
    mapping = {h: _header(h) for h in header}
    table = detect_table(c for c in mapping.values() if c)
    if table is None:
        plan = ImportPlan("unknown")
        plan.errors.append(RowError(1, "no name column: expected 'name' or 'Tên sản phẩm'"))
        return plan
    overrides = TABLE_HEADER_OVERRIDES.get(table, {})
    mapping = {h: overrides.get(c, c) if c else c for h, c in mapping.items()}
    plan = ImportPlan(table)
    seen: dict[tuple, int] = {}
    for line, raw in rows:
        row = {col: clean_input(raw.get(h) or "", 2000) for h, col in mapping.items() if col}
        reasons, record = _validate(table, row, areas, plan, line)
        key = _natural_key(table, record)
        if key is not None and key in seen:
            reasons.append(f"duplicate of line {seen[key]}")
        elif key is not None:
            seen[key] = line
        if reasons:
            plan.errors.extend(RowError(line, r) for r in reasons)
        else:
            plan.records.append(record)
    return plan


def _natural_key(table: str, record: dict) -> tuple | None:
    if not record.get("name"):
        return None
    if table == "products":
        return (fold(record["name"]), fold(record.get("qualifier") or ""))
    if table == "places":
        return (fold(record["name"]), fold(record.get("address") or ""))
    return (fold(record["name"]), record.get("start_date") or "")


def _validate(table: str, row: dict, areas: AreaResolver, plan: ImportPlan, line: int) -> tuple[list[str], dict]:
    from bot.text import split_qualifier

    reasons: list[str] = []
    record = dict(row)
    name = row.get("name", "").strip()
    if not name:
        reasons.append("missing name")
    elif table == "products" and not row.get("qualifier"):
        record["name"], record["qualifier"] = split_qualifier(name)
    if row.get("area"):
        resolved = areas.resolve(row["area"])
        if resolved:
            record["area"] = resolved
        else:
            plan.warnings.append(RowError(line, f"area {row['area']!r} is not a known locality; kept as written"))
    if table == "products" and "star" in row:
        star = row["star"].strip()
        if star:
            match = _STAR_RE.match(star)
            if not match or not 3 <= int(match.group(1)) <= 5:
                reasons.append(f"star {star!r} outside 3-5")
            else:
                record["star"] = int(match.group(1))
        else:
            record["star"] = None
    if table == "products" and "year" in row:
        year = row["year"].strip()
        if year:
            if not year.isdigit() or not 2000 <= int(year) <= date.today().year + 1:
                reasons.append(f"bad year {year!r}")
            else:
                record["year"] = int(year)
        else:
            record["year"] = None
    if table == "products":
        category = row.get("category", "").strip()
        if category:
            key = CATEGORY_WORDS.get(fold(category))
            if key is None:
                reasons.append(f"unknown category {category!r}")
            else:
                record["category"] = key
        _date_field(row, record, "decision_date", reasons)
        if record.get("decision_date") and not record.get("year"):
            record["year"] = int(record["decision_date"][:4])
    if table == "places":
        _coordinates(row, record, reasons)
    if table == "events":
        _date_field(row, record, "start_date", reasons)
        _date_field(row, record, "end_date", reasons)
        if record.get("start_date") and record.get("end_date") and record["end_date"] < record["start_date"]:
            reasons.append("end_date before start_date")
        if not record.get("start_date") and not record.get("end_date"):
            reasons.append("no date: an event needs a start_date or an end_date")
    if "id" in record:
        record["id"] = int(record["id"]) if str(record["id"]).isdigit() else None
    return reasons, record


def _date_field(row: dict, record: dict, column: str, reasons: list[str]) -> None:
    if column not in row:
        return  # a sheet without this column leaves the stored value alone
    value = row[column].strip()
    if not value:
        record[column] = None
        return
    try:
        record[column] = parse_date(value).isoformat()
    except ValueError:
        reasons.append(f"bad date in {column}: {value!r} (use YYYY-MM-DD or DD/MM/YYYY)")


def _coordinates(row: dict, record: dict, reasons: list[str]) -> None:
    if "lat" not in row and "lon" not in row:
        return
    lat, lon = row.get("lat", "").strip(), row.get("lon", "").strip()
    if not lat and not lon:
        record["lat"] = record["lon"] = None
        return
    try:
        lat_f, lon_f = float(lat.replace(",", ".")), float(lon.replace(",", "."))
    except ValueError:
        reasons.append(f"bad coordinates {lat!r}, {lon!r}")
        return
    if not (LAT_RANGE[0] <= lat_f <= LAT_RANGE[1] and LON_RANGE[0] <= lon_f <= LON_RANGE[1]):
        reasons.append(f"coordinates {lat_f}, {lon_f} outside Lào Cai")
        return
    record["lat"], record["lon"] = lat_f, lon_f


async def import_file(repo: Repository, path: Path, *, dry_run: bool) -> tuple[ImportPlan, tuple[int, int, int]]:
    header, rows = read_rows(path)
    catalogue = await repo.load_catalogue()
    plan = plan_import(header, rows, AreaResolver(catalogue.localities))
    if plan.errors or dry_run or not plan.records:
        return plan, (0, 0, 0)
    for record in plan.records:
        record.pop("id", None)  # ids are ours; an outside sheet never chooses them
    return plan, await repo.apply_import(plan.table, plan.records)
