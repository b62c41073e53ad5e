"""Import of catalogue files: read (bot.catalogue_io.reader), find the layout
(bot.catalogue_io.annex), validate each row, match it to the catalogue by identity
(bot.catalogue_io.identity) and say what would change. Any bad row means nothing is written;
applying is one transaction (CatalogueRepository.apply_import).

The plan is the report: added, updated (with the changed fields), unchanged, skipped rows and
why, and the catalogue entries the file lacks. `ocop-bot import` and a staff upload in chat
build the same plan from the same reader and print the same report (bot.catalogue_io.report).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bot.catalogue_io.annex import Layout, column_names, find_layout
from bot.catalogue_io.identity import AMBIGUOUS, Matcher, as_written, differences, producer_key, row_key
from bot.catalogue_io.reader import Grid, read_bytes, read_path
from bot.catalogue_io.reasons import FileRefused, Reason
from bot.config import ImportSection
from bot.models import Locality
from bot.storage import TABLE_COLUMNS, Repository
from bot.text import clean_input, fold, split_qualifier

# Bounding box of Lào Cai province since the 2025 merger (old Lào Cai plus old Yên Bái), with margin.
LAT_RANGE = (21.2, 22.95)
LON_RANGE = (103.4, 105.2)
MAX_TEXT = 2000  # one stored text field

_STAR_RE = re.compile(r"^\s*([0-9])(?:[.,]0+)?\s*(?:sao|star|stars|\*|★|⭐)?\s*(?:\(.*\))?\s*$", re.IGNORECASE)
_STAR_IN_TEXT_RE = re.compile(r"\b([0-9])\s*(?:sao|star|stars|\*|★|⭐)", re.IGNORECASE)
_STAR_WORDS = {"ba sao": 3, "bon sao": 4, "nam sao": 5, "three stars": 3, "four stars": 4, "five stars": 5}
_POINTS_RE = re.compile(r"^\s*(\d{1,3}(?:[.,]\d+)?)\s*(?:diem|điểm|d|đ|points?)?\s*$", re.IGNORECASE)
_FORMULA_ESCAPE_RE = re.compile(r"^'(?=[=+\-@])")
_FLOAT_RE = re.compile(r"-?\d{1,3}\.\d+")
_SHORT_LINK_HOSTS = ("maps.app.goo.gl", "goo.gl", "g.co", "osm.org", "bit.ly", "tinyurl.com")
_STARS_BY_POINTS = ((90, 5), (70, 4), (50, 3))


@dataclass(frozen=True)
class RowError:
    line: int
    reason: Reason  # str() is English; .text(t) in the reader's language


@dataclass
class Change:
    line: int
    id: int
    name: str
    fields: list[tuple[str, object, object]]
    history: str = ""  # "later": a re-certification; "earlier": an older certificate for the history


@dataclass
class ImportPlan:
    table: str
    records: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # line, reason key, detail
    lines: list[int] = field(default_factory=list)  # each record's row number
    added: list[tuple[int, str]] = field(default_factory=list)
    updated: list[Change] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)  # lines
    missing: list[str] = field(default_factory=list)  # stored entries the file lacks
    decision_from_title: str = ""
    compared: bool = False  # added/updated/unchanged/missing are filled


class AreaResolver:
    """Maps what people write ('Lào Cai city', 'huyện Bắc Hà', 'bac ha', an address with 'xã
    Gia Phú', a 2025 commune) to a locality name (the old district or town)."""

    def __init__(self, localities: Sequence[Locality]) -> None:
        self._names: dict[str, str] = {}
        self._communes: dict[str, str | None] = {}
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
        for loc in localities:  # the 2025 communes and wards each old district became
            district = loc.district or loc.name
            for unit in loc.new_units:
                key = _unit_name(unit)
                if key and self._communes.get(key, district) != district:
                    self._communes[key] = None  # split between districts: says nothing
                elif key:
                    self._communes[key] = district
            if loc.kind in ("commune", "ward", "seat_town"):
                self._communes.setdefault(_unit_name(loc.name), district)

    def resolve(self, value: str) -> str | None:
        key = fold(value)
        for prefix in ("huyen ", "thi xa ", "thanh pho ", "tp "):
            if key.startswith(prefix) and key[len(prefix) :] in self._names:
                return self._names[key[len(prefix) :]]
        return self._names.get(key)

    def resolve_address(self, address: str) -> str | None:
        """The district an address names: a 'huyện/thị xã/thành phố' part first, then a commune
        or ward (old or 2025), then a bare locality name that is not the last part (the province)."""
        parts = [p.strip() for p in re.split(r"[,;]| - ", address) if p.strip()]
        for part in parts:
            if fold(part).startswith(("huyen ", "thi xa ", "thanh pho ", "tp ")):
                found = self.resolve(re.sub(r"\s*\((?:cũ|cu)\)\s*$", "", part, flags=re.IGNORECASE))
                if found:
                    return found
        for part in parts:
            if fold(part).startswith(("xa ", "phuong ", "thi tran ", "tt ")):
                found = self._communes.get(_unit_name(part))
                if found:
                    return found
        for part in parts[:-1]:
            found = self.resolve(part)
            if found:
                return found
        return None


def _unit_name(unit: str) -> str:
    key = fold(re.sub(r"\([^()]*\)", " ", unit))
    for prefix in ("xa ", "phuong ", "thi tran ", "tt "):
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


def parse_date(value: str) -> date:
    value = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def parse_star(value: str) -> int | None:
    """'3 sao', '3*', '★★★', '3', '3.0', 'ba sao', 'Đạt 4 sao' -> the digit; None if unreadable."""
    text = value.strip()
    if text and set(text) <= {"★", "⭐", "*", " "} and text.strip(" "):
        return len(text.replace(" ", ""))
    match = _STAR_RE.match(text) or _STAR_IN_TEXT_RE.search(text)
    if match:
        return int(match.group(1))
    return _STAR_WORDS.get(fold(text))


def star_from_points(points: float) -> int | None:
    """50-69 -> 3, 70-89 -> 4, 90-100 -> 5 (the OCOP scale); below 50 no star."""
    for floor, star in _STARS_BY_POINTS:
        if points >= floor:
            return star
    return None


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """'22.33, 103.84', '22,33; 103,84', or a Google Maps / OpenStreetMap link with them."""
    text = text.strip()
    if not text:
        return None
    if "://" in text or text.startswith(("www.", "maps.", "google.")):
        return _coordinates_in_url(text)
    found = _FLOAT_RE.findall(text)
    if len(found) == 2:
        return float(found[0]), float(found[1])
    parts = [p.strip().replace(",", ".") for p in text.split(";")]
    if len(parts) == 2:
        try:
            return float(parts[0]), float(parts[1])
        except ValueError:
            return None
    return None


def _coordinates_in_url(url: str) -> tuple[float, float] | None:
    parts = urlsplit(url if "://" in url else "https://" + url)
    number = r"(-?\d{1,3}\.\d+)"
    place = re.search(rf"!3d{number}!4d{number}", url)  # the pinned place itself
    if place:
        return float(place.group(1)), float(place.group(2))
    query = parse_qs(parts.query)
    if "mlat" in query and "mlon" in query:
        try:
            return float(query["mlat"][0]), float(query["mlon"][0])
        except ValueError:
            return None
    for key in ("q", "query", "ll", "destination", "center", "daddr"):
        for value in query.get(key, []):
            match = re.fullmatch(rf"\s*{number}\s*,\s*\+?{number}\s*", value)
            if match:
                return float(match.group(1)), float(match.group(2))
    fragment = re.search(rf"map=\d+(?:\.\d+)?/{number}/{number}", parts.fragment)
    if fragment:
        return float(fragment.group(1)), float(fragment.group(2))
    at = re.search(rf"@{number},{number}", parts.path)
    if at:
        return float(at.group(1)), float(at.group(2))
    path = re.search(rf"/{number},\+?\s*{number}", parts.path)
    if path:
        return float(path.group(1)), float(path.group(2))
    return None


def is_short_link(url: str) -> bool:
    host = urlsplit(url if "://" in url else "https://" + url).hostname or ""
    return host in _SHORT_LINK_HOSTS or host.endswith(".app.goo.gl")


# -- reading and planning ------------------------------------------------------------------------------


def read_plan(
    name: str, data: bytes | None, areas: AreaResolver, limits: ImportSection, *, path: Path | None = None,
    sheet: str | None = None,
) -> ImportPlan:  # fmt: skip
    """Read a file (bytes, or a path when `path` is given) and plan it, without the catalogue
    comparison (plan.compare). Raises FileRefused with a one-line reason. Call it in a thread."""
    grid = read_path(path, limits, sheet) if path is not None else read_bytes(name, data or b"", limits, sheet)
    return plan_grid(grid, areas)


def plan_grid(grid: Grid, areas: AreaResolver) -> ImportPlan:
    layout = find_layout(grid, areas.resolve)
    if layout.table is None:
        plan = ImportPlan("unknown")
        plan.errors.append(RowError(1, Reason.of("no_name_column")))
        return plan
    return _plan_layout(layout, areas)


def plan_import(
    header: Sequence[str], rows: Sequence[tuple[int, Mapping[str, str]]], areas: AreaResolver
) -> ImportPlan:
    """A plan for rows already in memory (keyed by header), e.g. generated by a bench script."""
    grid = Grid([(1, list(header))] + [(line, [row.get(h) or "" for h in header]) for line, row in rows], "memory")
    return plan_grid(grid, areas)


def _plan_layout(layout: Layout, areas: AreaResolver) -> ImportPlan:
    table = layout.table
    plan = ImportPlan(table, skipped=list(layout.skipped))
    titles = layout.titles
    if table == "products" and titles.decision and "decision" not in layout.labels:
        plan.decision_from_title = titles.decision
    seen = Matcher(table, {}, {})
    for line, raw in layout.rows:
        row = {col: _cell(value) for col, value in raw.items()}
        reasons, record = _validate(table, row, areas, plan, line, layout)
        if record.get("name"):
            found = seen.match(record)
            if found is not None and found != AMBIGUOUS:
                reasons.append(Reason.of("duplicate", line=found))
            else:
                seen.add(record, line)
        if reasons:
            plan.errors.extend(RowError(line, r) for r in reasons)
        else:
            if "id" in record:  # the seed files give ids; imports drop them (import_file)
                record["id"] = int(record["id"]) if str(record["id"]).isdigit() else None
            plan.records.append(record)
            plan.lines.append(line)
    return plan


def _cell(value: str) -> str:
    return clean_input(_FORMULA_ESCAPE_RE.sub("", value), MAX_TEXT)


def compare(plan: ImportPlan, stored: Sequence[Mapping]) -> None:
    """Fill the plan's added / updated / unchanged / missing against the stored rows (as
    CatalogueRepository.stored_rows gives them); a row that names an entry ambiguously or one
    another row named becomes an error."""
    table = plan.table
    matcher = Matcher.of(table, stored)
    by_id = {row["id"]: row for row in stored}
    named: dict[int, int] = {}
    columns = TABLE_COLUMNS[table]
    names_taken = set(matcher.by_name)
    for line, record in zip(plan.lines, plan.records, strict=True):
        found = matcher.match(record)
        if found == AMBIGUOUS:
            column = "producer" if table == "products" else "address"
            plan.errors.append(RowError(line, Reason.of("ambiguous", name=repr(record["name"]), column=column)))
            continue
        if found is None:
            if table == "products" and not record.get("qualifier") and row_key(table, record)[0] in names_taken:
                record["qualifier"] = derived_qualifier(record)
            names_taken.add(row_key(table, record)[0])
            plan.added.append((line, display(record)))
            continue
        if found in named:
            plan.errors.append(RowError(line, Reason.of("same_entry", line=named[found])))
            continue
        named[found] = line
        old = by_id[found]
        written, when = as_written(table, old, record)
        changes = differences(columns, old, written)
        if changes or when == "earlier":
            plan.updated.append(Change(line, found, display(old), changes, when or ""))
        else:
            plan.unchanged.append(line)
    plan.missing = [display(row) for row_id, row in by_id.items() if row_id not in named]
    plan.compared = True


def display(row: Mapping) -> str:
    name = str(row.get("name") or "")
    if row.get("qualifier"):
        return f"{name} ({row['qualifier']})"
    if row.get("start_date"):
        return f"{name} ({row['start_date']})"
    return name


def derived_qualifier(record: Mapping) -> str:
    """What tells a product apart from another of its name in lists: the producer as written
    (without parentheses), else the area. Display only; never identity."""
    producer = re.sub(r"\s*\([^()]*\)", "", str(record.get("producer") or "")).strip()
    if producer and len(producer) <= 60:
        return producer
    return str(record.get("area") or producer_key(producer) or "")


def _validate(table: str, row: dict, areas: AreaResolver, plan: ImportPlan, line: int, layout: Layout):
    reasons: list[Reason] = []
    record = {k: v for k, v in row.items() if not k.startswith("_") and k not in ("stt", "points", "coordinates")}
    if table != "places":
        record.pop("address", None)  # a producer's address: read for the district only
    name = row.get("name", "").strip()
    if not name:
        reasons.append(Reason.of("missing_name"))
    elif table == "products" and "qualifier" not in layout.labels:
        official, qualifier = split_qualifier(name)
        if qualifier:
            record["name"], record["qualifier"] = official, qualifier
    _area(table, row, record, areas, plan, line)
    if table == "products":
        _star(row, record, reasons, plan, line, layout)
        _year(row, record, reasons)
        _category(row, record, reasons)
        _date_field(row, record, "decision_date", reasons)
        titles = layout.titles
        if plan.decision_from_title and not record.get("decision"):
            record["decision"] = titles.decision
            if titles.decision_date and not record.get("decision_date"):
                day, month, year = titles.decision_date
                try:
                    record["decision_date"] = date(year, month, day).isoformat()
                except ValueError:
                    reasons.append(Reason.of("title_date", value=f"{day}/{month}/{year}"))
        if record.get("decision_date") and not record.get("year"):
            record["year"] = int(record["decision_date"][:4])
    if table == "places":
        _coordinates(row, record, reasons, plan, line)
    if table == "events":
        _date_field(row, record, "start_date", reasons)
        _date_field(row, record, "end_date", reasons)
        if record.get("start_date") and record.get("end_date") and record["end_date"] < record["start_date"]:
            reasons.append(Reason.of("end_before_start"))
        if not record.get("start_date") and not record.get("end_date"):
            reasons.append(Reason.of("no_date"))
    return reasons, record


def _area(table: str, row: dict, record: dict, areas: AreaResolver, plan: ImportPlan, line: int) -> None:
    if row.get("area"):
        resolved = areas.resolve(row["area"])
        if resolved:
            record["area"] = resolved
        else:
            plan.warnings.append(RowError(line, Reason.of("unknown_area", value=repr(row["area"]))))
    elif row.get("_group_area"):
        record["area"] = row["_group_area"]
    elif row.get("address") and table in ("products", "places"):
        resolved = areas.resolve_address(row["address"])
        if resolved:
            record["area"] = resolved


def _star(row: dict, record: dict, reasons: list[Reason], plan: ImportPlan, line: int, layout: Layout) -> None:
    points_star = None
    points = row.get("points", "").strip()
    text = row.get("star", "").strip()
    scored = _POINTS_RE.match(text)
    if not points and scored and float(scored.group(1).replace(",", ".")) >= 10:
        points, text = text, ""  # a "Kết quả" column holding the score out of 100
    if points:
        match = _POINTS_RE.match(points)
        value = float(match.group(1).replace(",", ".")) if match else None
        if value is None or value > 100:
            reasons.append(Reason.of("points_scale", value=repr(points)))
        else:
            points_star = star_from_points(value)
            if points_star is None:
                reasons.append(Reason.of("points_low", value=points))
    if "star" in row:
        star = parse_star(text) if text else None
        if text and (star is None or not 3 <= star <= 5):
            reasons.append(Reason.of("star_range", value=repr(text)))
            return
        if star is not None and points_star is not None and star != points_star:
            plan.warnings.append(
                RowError(line, Reason.of("star_points", star=star, points=points, points_star=points_star))
            )
        record["star"] = star if star is not None else points_star
    elif "points" in layout.labels:
        record["star"] = points_star


def _year(row: dict, record: dict, reasons: list[Reason]) -> None:
    if "year" not in row:
        return
    year = row["year"].strip()
    if not year:
        record["year"] = None
    elif not year.isdigit() or not 2000 <= int(year) <= date.today().year + 1:
        reasons.append(Reason.of("bad_year", value=repr(year)))
    else:
        record["year"] = int(year)


def _category(row: dict, record: dict, reasons: list[Reason]) -> None:
    category = row.get("category", "").strip()
    if category:
        key = column_names().category(category)
        if key is None:
            reasons.append(Reason.of("unknown_category", value=repr(category)))
        else:
            record["category"] = key
    elif row.get("_group_category"):
        record["category"] = row["_group_category"]


def _date_field(row: dict, record: dict, column: str, reasons: list[Reason]) -> None:
    if column not in row:
        return  # a sheet without this column leaves the stored value alone
    value = row[column].strip()
    if not value:
        record[column] = None
        return
    try:
        record[column] = parse_date(value).isoformat()
    except ValueError:
        reasons.append(Reason.of("bad_date", column=column, value=repr(value)))


def _coordinates(row: dict, record: dict, reasons: list[Reason], plan: ImportPlan, line: int) -> None:
    link = row.get("map_url", "").strip()
    pair = None
    if "lat" in row or "lon" in row:
        lat, lon = row.get("lat", "").strip(), row.get("lon", "").strip()
        if lat or lon:
            try:
                pair = float(lat.replace(",", ".")), float(lon.replace(",", "."))
            except ValueError:
                reasons.append(Reason.of("bad_coordinate_pair", lat=repr(lat), lon=repr(lon)))
                return
    if pair is None and row.get("coordinates", "").strip():
        text = row["coordinates"].strip()
        pair = parse_coordinates(text)
        if pair is None and "://" not in text:
            reasons.append(Reason.of("bad_coordinates", value=repr(text)))
            return
        if pair is None:
            link = link or text
    if pair is None and link:
        pair = parse_coordinates(link)
        if pair is None:
            plan.warnings.append(RowError(line, Reason.of("short_link" if is_short_link(link) else "link_without")))
    if link:
        record["map_url"] = link if pair is None else ""
    if pair is None:
        if any(c in row for c in ("lat", "lon", "coordinates", "map_url")):
            record["lat"] = record["lon"] = None
        return
    lat_f, lon_f = pair
    if not (LAT_RANGE[0] <= lat_f <= LAT_RANGE[1] and LON_RANGE[0] <= lon_f <= LON_RANGE[1]):
        reasons.append(Reason.of("outside", lat=lat_f, lon=lon_f))
        return
    record["lat"], record["lon"] = lat_f, lon_f


async def import_file(
    repo: Repository, path: Path, *, dry_run: bool, limits: ImportSection | None = None, sheet: str | None = None
) -> tuple[ImportPlan, tuple[int, int, int]]:
    """Read, plan and (unless dry_run or a bad row) apply a file. Raises FileRefused."""
    import asyncio

    catalogue = await repo.load_catalogue()
    areas = AreaResolver(catalogue.localities)
    plan = await asyncio.to_thread(read_plan, path.name, None, areas, limits or ImportSection(), path=path, sheet=sheet)
    if plan.errors:
        return plan, (0, 0, 0)
    for record in plan.records:
        record.pop("id", None)  # ids are ours; a sheet never chooses them
    compare(plan, await repo.stored_rows(plan.table))
    if plan.errors or dry_run or not (plan.added or plan.updated):
        return plan, (0, 0, 0)
    return plan, await repo.apply_import(plan.table, plan.records)


__all__ = ["AreaResolver", "FileRefused", "ImportPlan", "RowError", "compare", "import_file", "plan_grid", "read_plan"]
