#!/usr/bin/env python3
"""Build the bot's seed files in data/ from the researched ground truth.

    python data/build_seed.py [REPO_ROOT] [--src DIR]

REPO_ROOT defaults to the parent of this script's folder; the source folder defaults
to REPO_ROOT/../shared/data. Outputs (UTF-8, NFC, header row, csv-module quoting):

    data/products.csv  data/places.csv  data/localities.csv  data/events.csv
    data/shop_links.csv  data/categories.csv  data/synonyms.csv  data/facts.toml

Every fact (name, star, producer, district, year, decision, address, date, coordinate,
URL) is copied from the source files. Our own writing is limited to: english_name,
name_zh, name_ko and aliases of products (data/english_names.csv plus KEYWORD_ALIASES
below), categories, synonyms, the wording of facts.toml (a summary of ocop_facts.md) and
the small mappings below, each of which is checked against the source text. The
bilingual place and event texts (opening_hours/_en, products_hint/_en, name_en) are the
research's own translations, copied as they are. Standard library only.
The script fails loudly (SystemExit) on anything it cannot map.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import unicodedata
from pathlib import Path

# --------------------------------------------------------------------------- helpers


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s or "")


def fail(msg: str) -> None:
    raise SystemExit(f"build_seed: ERROR: {msg}")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [{nfc(k): nfc(v) for k, v in row.items()} for row in csv.DictReader(f)]


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            if set(r) != set(columns):
                fail(f"{path.name}: row keys {sorted(r)} != columns {columns}")
            w.writerow([nfc(str(r[c])) for c in columns])
    print(f"wrote {path.name}: {len(rows)} rows")


def split_list(s: str) -> list[str]:
    return [p.strip() for p in s.split(";") if p.strip()]


def uniq(items, exclude=()) -> list[str]:
    """Order-preserving, case-insensitive de-duplication."""
    seen = {nfc(e).casefold() for e in exclude}
    out = []
    for it in items:
        it = nfc(it).strip()
        k = it.casefold()
        if it and k not in seen:
            seen.add(k)
            out.append(it)
    return out


# ----------------------------------------------------------------- areas (localities)

# The source uses "Lào Cai city" / "Yên Bái city" for the two old cities; localities.csv
# names them "Lào Cai" / "Yên Bái".
AREA_RENAMES = {"Lào Cai city": "Lào Cai", "Yên Bái city": "Yên Bái"}

# Old districts/towns/cities themselves: district = own name.
DISTRICT_KINDS = {"city", "town", "district"}

# Other localities: (district, row whose notes give the evidence, text that must be in
# those notes). The script checks the evidence text is really there.
LOCALITY_DISTRICT = {
    "Y Tý": ("Bát Xát", "Y Tý", "commune of former Bát Xát district"),
    "Tả Van": ("Sa Pa", "Sa Pa", "xã Tả Van = Hoàng Liên + Mường Hoa + Tả Van"),
    "Cát Cát": ("Sa Pa", "Cát Cát", "~2 km below Sa Pa town"),
    "Bản Liền": ("Bắc Hà", "Bắc Hà", "Bản Liền = Nậm Khánh + Bản Liền"),
    "Tú Lệ": ("Văn Chấn", "Tú Lệ", "former commune of Văn Chấn district"),
    "Suối Giàng": ("Văn Chấn", "Suối Giàng", "former commune of Văn Chấn district"),
    "Mường Lò": ("Nghĩa Lộ", "Mường Lò", "thị xã Nghĩa Lộ covers the whole Mường Lò field"),
    "Kim Tân": ("Lào Cai", "Kim Tân", "Former ward of Lào Cai city"),
    "Cốc Lếu": ("Lào Cai", "Cốc Lếu", "Former ward of Lào Cai city"),
}
SEAT_RE = re.compile(r"Seat of former (.+?) district")

# Aliases we add to localities (unaccented/English spellings clearly missing). Checked:
# none were missing in the current source, so this stays empty.
LOCALITY_ALIAS_ADDITIONS: dict[str, list[str]] = {}


def build_localities(src: Path) -> list[dict]:
    rows = read_csv(src / "localities.csv")
    names = {r["name"] for r in rows}
    by_name = {r["name"]: r for r in rows}
    out = []
    for r in rows:
        name, kind = r["name"], r["kind"]
        if kind in DISTRICT_KINDS:
            district = name
        elif name in LOCALITY_DISTRICT:
            district, ev_row, ev_text = LOCALITY_DISTRICT[name]
            if ev_text not in by_name[ev_row]["notes"]:
                fail(f"localities: evidence {ev_text!r} for {name} not in notes of {ev_row}")
        else:
            m = SEAT_RE.search(r["notes"])
            if not m:
                fail(f"localities: cannot tell the district of {name!r} ({kind}); add it to LOCALITY_DISTRICT")
            district = m.group(1)
        if district not in names:
            fail(f"localities: district {district!r} of {name!r} is not a locality name")
        # source aliases verbatim (exact duplicates dropped), then our additions if not present
        aliases = list(dict.fromkeys(split_list(r["aliases"])))
        aliases += uniq(LOCALITY_ALIAS_ADDITIONS.get(name, []), exclude=aliases + [name])
        out.append(
            {
                "name": name,
                "kind": kind,
                "district": district,
                "former_province": r["former_province"],
                "aliases": ";".join(aliases),
                "lat": r["lat"],
                "lon": r["lon"],
                "coord_source": r["coord_source"],
                "new_units": r["new_units"],
            }
        )
    if len(out) != 41:
        fail(f"localities: expected 41 rows, got {len(out)}")
    return out


def map_area(value: str, locality_names: set[str], what: str) -> str:
    if not value:
        return ""
    area = AREA_RENAMES.get(value, value)
    if area not in locality_names:
        print(f"  {what}: {value!r} is not a localities.csv name")
        fail(f"{what}: unmapped area {value!r}")
    return area


# ------------------------------------------------------------------------- products

# Search aliases derived from words in the official name (whole-word, lower-case match).
# These are translations/synonyms, never facts.
KEYWORD_ALIASES: list[tuple[str, list[str]]] = [
    (r"chè", ["trà", "tea"]),
    (r"trà", ["chè", "tea"]),
    (r"chè xanh", ["trà xanh", "green tea"]),
    (r"hồng trà", ["black tea", "red tea"]),
    (r"bạch trà", ["white tea", "chè trắng"]),
    (r"chè trắng", ["white tea", "bạch trà"]),
    (r"hoàng trà", ["yellow tea"]),
    (r"ô long", ["oolong", "oolong tea", "olong"]),
    (r"shan tuyết", ["shan tea", "chè shan", "snow tea"]),
    (r"cổ thụ", ["ancient tea", "old tea trees"]),
    (r"túi lọc", ["tea bags", "teabags"]),
    (r"lên men", ["fermented"]),
    (r"hữu cơ", ["organic"]),
    (r"mật ong", ["honey", "bee honey"]),
    (r"sữa ong chúa", ["royal jelly"]),
    (r"phấn hoa", ["pollen", "bee pollen"]),
    (r"lạp sườn", ["lạp xường", "lạp xưởng", "sausage", "chinese sausage"]),
    (r"lạp xường", ["lạp sườn", "lạp xưởng", "sausage", "chinese sausage"]),
    (r"xúc xích", ["sausage"]),
    (r"cá hồi", ["salmon"]),
    (r"actiso", ["artichoke", "atiso", "atisô", "artiso"]),
    (r"thổ cẩm", ["brocade", "textile"]),
    (r"rượu", ["wine", "liquor", "alcohol"]),
    (r"rượu (?:gạo|nếp|thóc)", ["rice wine"]),
    (r"rượu nếp", ["sticky rice wine"]),
    (r"đông trùng hạ thảo", ["cordyceps", "đông trùng"]),
    (r"quế", ["cinnamon"]),
    (r"tinh dầu", ["essential oil"]),
    (r"miến", ["glass noodles", "vermicelli", "noodles"]),
    (r"miến đao", ["miến dong", "arrowroot noodles"]),
    (r"gạo", ["rice"]),
    (r"gạo lứt", ["brown rice"]),
    (r"gạo nếp", ["sticky rice", "glutinous rice", "nếp"]),
    (r"bưởi", ["pomelo", "grapefruit"]),
    (r"mận", ["plum", "plums"]),
    (r"(?<!phi )lê", ["pear", "pears"]),
    (r"hồng không hạt", ["persimmon", "seedless persimmon"]),
    (r"hồng ngâm", ["persimmon"]),
    (r"chuối", ["banana", "bananas"]),
    (r"chuối tiến vua", ["royal banana", "chuối ngự"]),
    (r"nhãn", ["longan"]),
    (r"quýt", ["tangerine", "mandarin", "orange"]),
    (r"tương ớt", ["chili sauce", "chilli sauce", "hot sauce", "ớt"]),
    (r"gác bếp", ["smoked", "smoked meat", "jerky"]),
    (r"hun khói", ["smoked"]),
    (r"sấy", ["dried"]),
    (r"thịt", ["meat"]),
    (r"trâu", ["buffalo"]),
    (r"lợn", ["pork", "heo"]),
    (r"vịt", ["duck"]),
    (r"ếch", ["frog"]),
    (r"thỏ", ["rabbit"]),
    (r"trứng", ["egg", "eggs"]),
    (r"măng", ["bamboo shoots", "bamboo shoot"]),
    (r"lạc", ["peanut", "peanuts", "groundnut", "đậu phộng"]),
    (r"dầu lạc", ["peanut oil", "dầu đậu phộng"]),
    (r"đậu tương", ["soybean", "soybeans", "soy", "đậu nành"]),
    (r"nấm", ["mushroom", "mushrooms"]),
    (r"nấm sò", ["oyster mushroom"]),
    (r"su su", ["chayote"]),
    (r"khoai sọ", ["taro"]),
    (r"thanh long", ["dragon fruit", "pitaya"]),
    (r"dưa hấu", ["watermelon"]),
    (r"cải kale", ["kale"]),
    (r"bánh chưng", ["rice cake", "sticky rice cake"]),
    (r"dấm", ["vinegar", "giấm"]),
    (r"táo mèo", ["wild apple", "sơn tra"]),
    (r"du lịch", ["tourism"]),
    (r"du lịch cộng đồng", ["community tourism"]),
    (r"sinh thái", ["eco", "ecotourism"]),
    (r"suối khoáng nóng", ["hot spring"]),
    (r"tinh bột sắn", ["cassava starch", "tapioca starch", "tapioca"]),
    (r"nghệ", ["turmeric"]),
    (r"sả", ["lemongrass"]),
    (r"tía tô", ["perilla"]),
    (r"giảo cổ lam", ["jiaogulan", "gynostemma"]),
    (r"đá", ["stone"]),
    (r"phong thủy", ["feng shui", "phong thuỷ"]),
    (r"cốm", ["green rice flakes", "young rice flakes"]),
    (r"ruốc", ["floss", "chà bông"]),
    (r"cao", ["extract"]),
    (r"viên nang", ["capsules"]),
    (r"chocolate", ["sô cô la", "socola"]),
    (r"pho mai", ["cheese", "phô mai"]),
    (r"phi lê", ["fillet"]),
    (r"văn hoá", ["văn hóa"]),  # old-style tone mark in one source name
]
_KW = [(re.compile(rf"(?<!\w){p}(?!\w)"), a) for p, a in KEYWORD_ALIASES]

PAREN_RE = re.compile(r"\(([^()]*)\)")
STARS = {"3", "4", "5", ""}


def split_name(source_name: str) -> tuple[str, str]:
    qualifiers = [q.strip() for q in PAREN_RE.findall(source_name)]
    name = re.sub(r"\s+", " ", PAREN_RE.sub(" ", source_name)).strip()
    if "(" in name or ")" in name:
        fail(f"products: unbalanced parentheses in {source_name!r}")
    return name, "; ".join(q for q in qualifiers if q)


def keyword_aliases(name: str) -> list[str]:
    low = name.lower()
    out: list[str] = []
    for rx, aliases in _KW:
        if rx.search(low):
            out.extend(aliases)
    return out


def build_products(src: Path, here: Path, locality_names: set[str]) -> tuple[list[dict], list[dict]]:
    rows = read_csv(src / "ocop_products.csv")
    if len(rows) != 164:
        fail(f"products: expected 164 rows, got {len(rows)}")
    en_rows = read_csv(here / "english_names.csv")
    english = {}
    for e in en_rows:
        if e["source_name"] in english:
            fail(f"english_names.csv: duplicate source_name {e['source_name']!r}")
        english[e["source_name"]] = e
    src_names = [r["name"] for r in rows]
    if len(set(src_names)) != len(src_names):
        fail("products: duplicate source names")
    missing = [n for n in src_names if n not in english]
    extra = [n for n in english if n not in set(src_names)]
    if missing or extra:
        fail(f"english_names.csv out of sync: missing {missing}, extra {extra}")

    out = []
    for i, r in enumerate(rows, 1):
        if r["star"] not in STARS:
            fail(f"products row {i}: star {r['star']!r}")
        name, qualifier = split_name(r["name"])
        e = english[r["name"]]
        en = e["english_name"].strip()
        if not en:
            fail(f"products row {i}: empty english_name")
        aliases = uniq(keyword_aliases(name) + split_list(e["extra_aliases"]), exclude=[name, en])
        for a in aliases:
            if "★" in a or re.search(r"\b[345] ?(sao|stars?)\b", a, re.I):
                fail(f"products row {i}: alias looks like a star claim: {a!r}")
        out.append(
            {
                "id": i,
                "name": name,
                "qualifier": qualifier,
                "star": r["star"],
                "producer": r["producer"],
                "producer_type": r["producer_type"],
                "area": map_area(r["district"], locality_names, f"products row {i} district"),
                "former_province": r["former_province"],
                "category": r["category"],
                "year": r["year"],
                "decision": r["decision"],
                "english_name": en,
                # our Chinese/Korean glosses; columns optional in english_names.csv, empty if absent
                "name_zh": (e.get("zh_name") or "").strip(),
                "name_ko": (e.get("ko_name") or "").strip(),
                "aliases": ";".join(aliases),
                "source_url": r["source_url"],
            }
        )
    return rows, out


# --------------------------------------------------------------------------- places


# Source column -> our column. The Vietnamese text keeps the plain column name (it always
# did for opening hours; products_hint used to hold the English text of the old source).
PLACE_SOURCE_COLUMNS = {
    "name": "name",
    "address": "address",
    "commune_or_ward": "commune_or_ward",
    "old_district": "area",
    "former_province": "former_province",
    "kind": "kind",
    "phone": "phone",
    "opening_hours_vi": "opening_hours",
    "opening_hours_en": "opening_hours_en",
    "lat": "lat",
    "lon": "lon",
    "coord_quality": "coord_quality",
    "products_hint_vi": "products_hint",
    "products_hint_en": "products_hint_en",
    "source_url": "source_url",
    "notes": "notes",
}
# (Vietnamese, English) source pairs: both filled or both empty (../shared/data/README.md).
PLACE_TEXT_PAIRS = [("opening_hours_vi", "opening_hours_en"), ("products_hint_vi", "products_hint_en")]


def place_columns(rows: list[dict]) -> list[str]:
    """PLACE_COLUMNS, plus `phone` after `kind` when any row has one (empty everywhere so far)."""
    if not any(r.get("phone", "").strip() for r in rows):
        print("  places: source column 'phone' is empty everywhere; not carried over")
        return list(PLACE_COLUMNS)
    cols = list(PLACE_COLUMNS)
    cols.insert(cols.index("kind") + 1, "phone")
    return cols


def build_places(src: Path, locality_names: set[str]) -> tuple[list[str], list[dict]]:
    rows = read_csv(src / "ocop_places.csv")
    if len(rows) != 73:
        fail(f"places: expected 73 rows, got {len(rows)}")
    missing = [c for c in PLACE_SOURCE_COLUMNS if c not in rows[0] and c != "phone"]
    if missing:
        fail(f"places: source columns missing: {missing}")
    dropped = [c for c in rows[0] if c not in PLACE_SOURCE_COLUMNS]
    for c in dropped:
        vals = {r[c] for r in rows if r[c]}
        print(f"  places: source column {c!r} not in our format ({len(vals)} non-empty values)")
        if vals:
            fail(f"places: dropping column {c!r} would lose data")
    columns = place_columns(rows)
    out = []
    for i, r in enumerate(rows, 1):
        for vi, en in PLACE_TEXT_PAIRS:
            if bool(r[vi].strip()) != bool(r[en].strip()):
                print(f"  places row {i}: only one of {vi!r} / {en!r} is filled (the bot falls back to it)")
        record = {"id": i}
        for source, ours in PLACE_SOURCE_COLUMNS.items():
            if ours in columns:
                record[ours] = r.get(source, "")
        record["area"] = map_area(r["old_district"], locality_names, f"places row {i} old_district")
        out.append(record)
    return columns, out


PLACE_COLUMNS = [
    "id",
    "name",
    "address",
    "commune_or_ward",
    "area",
    "former_province",
    "kind",
    "opening_hours",
    "opening_hours_en",
    "lat",
    "lon",
    "coord_quality",
    "products_hint",
    "products_hint_en",
    "source_url",
    "notes",
]

# --------------------------------------------------------------------------- events

CITY_PATTERNS = {"thành phố Lào Cai": "Lào Cai", "thành phố Yên Bái": "Yên Bái"}


def event_area(place: str, localities: list[dict]) -> str:
    """Locality the event place is clearly inside, else ''."""
    low = place.lower()
    if "hà nội" in low or low.startswith("tỉnh "):
        return ""  # outside the province, or the whole province
    found = {v for k, v in CITY_PATTERNS.items() if k.lower() in low}
    for loc in localities:
        n = loc["name"]
        if "(" in n or loc["kind"] == "city":
            continue  # seat-town rows and the city names (they clash with province names)
        if re.search(rf"(?<!\w){re.escape(n.lower())}(?!\w)", low):
            found.add(loc["district"] if loc["kind"] not in DISTRICT_KINDS else n)
    if len(found) > 1:
        fail(f"events: place {place!r} matches several localities {sorted(found)}")
    return found.pop() if found else ""


def build_events(src: Path, localities: list[dict]) -> list[dict]:
    rows = read_csv(src / "ocop_events.csv")
    out = []
    for i, r in enumerate(rows, 1):
        area = event_area(r["place"], localities)
        print(f"  events row {i}: place {r['place'][:60]!r} -> area {area!r}")
        out.append(
            {
                "id": i,
                "name": r["name"],
                "name_en": r["name_en"],
                "start_date": r["start_date"],
                "end_date": r["end_date"],
                "place": r["place"],
                "area": area,
                "organiser": r["organiser"],
                "source_url": r["source_url"],
            }
        )
    return out


# ----------------------------------------------------------------------- shop links


def build_shop_links(src: Path, src_products: list[dict]) -> list[dict]:
    rows = read_csv(src / "ocop_shop_links.csv")
    out = []
    for r in rows:
        ids = [i for i, p in enumerate(src_products, 1) if p["name"] == r["product_name"]]
        if len(ids) != 1:
            fail(f"shop_links: product_name {r['product_name']!r} matches {len(ids)} products")
        out.append({"product_id": ids[0], "platform": r["platform"], "url": r["url"], "source_url": r["source_url"]})
    return out


# ----------------------------------------------------------------------- categories

CATEGORIES = [
    (
        "food",
        "Thực phẩm",
        "Food",
        "thực phẩm;đồ ăn;thức ăn;món ăn;đồ ăn vặt;nông sản;food;foods;foodstuff;eat;edible;snack;snacks;farm produce",
    ),
    ("beverage", "Đồ uống", "Drinks", "đồ uống;nước uống;thức uống;giải khát;drinks;drink;beverage;beverages"),
    (
        "herbal",
        "Dược liệu và sản phẩm thảo dược",
        "Herbal and medicinal products",
        "dược liệu;thảo dược;thuốc nam;cây thuốc;sản phẩm từ dược liệu;herbal;herbs;herb;medicinal;medicinal herbs;herbal products;traditional medicine;wellness",
    ),
    (
        "textile",
        "Dệt may",
        "Textiles",
        "dệt may;hàng dệt;may mặc;vải;đồ dệt;textile;textiles;fabric;fabrics;clothing;garments;weaving;woven",
    ),
    (
        "handicraft",
        "Thủ công mỹ nghệ",
        "Handicrafts",
        "thủ công mỹ nghệ;thủ công;đồ thủ công;hàng thủ công;mỹ nghệ;đồ lưu niệm;handicraft;handicrafts;crafts;craft;souvenir;souvenirs;artisan",
    ),
    (
        "tourism",
        "Du lịch cộng đồng, sinh thái và điểm du lịch",
        "Community and eco-tourism",
        "du lịch;du lịch cộng đồng;du lịch sinh thái;điểm du lịch;điểm tham quan;tham quan;tourism;tourist;ecotourism;eco-tourism;community tourism;tourist attraction;attractions;places to visit;things to do",
    ),
]
# product words that must never be category aliases
CATEGORY_ALIAS_BLOCKLIST = {"trà", "chè", "rượu", "mật ong", "thổ cẩm", "tea", "wine", "honey", "homestay"}


def build_categories(products: list[dict]) -> list[dict]:
    out = []
    used = {p["category"] for p in products}
    keys = [c[0] for c in CATEGORIES]
    if used - set(keys):
        fail(f"categories: product categories without a row: {sorted(used - set(keys))}")
    for key, vi, en, aliases in CATEGORIES:
        if key not in used:
            fail(f"categories: {key!r} is not used by any product")
        al = uniq(split_list(aliases))
        bad = [a for a in al if a.casefold() in CATEGORY_ALIAS_BLOCKLIST]
        if bad:
            fail(f"categories: {key} has product-word aliases {bad}")
        out.append({"key": key, "vi": vi, "en": en, "aliases": ";".join(al)})
    return out


# ------------------------------------------------------------------------- synonyms

# term typed by a user -> Vietnamese word(s) used in product names (";" = alternatives)
SYNONYMS: list[tuple[str, str]] = [
    ("black", "đen"),
    ("village", "bản;làng"),
    # tea
    ("tea", "chè;trà"),
    ("teas", "chè;trà"),
    ("green tea", "chè xanh;trà xanh"),
    ("black tea", "hồng trà"),
    ("red tea", "hồng trà"),
    ("white tea", "bạch trà;chè trắng"),
    ("yellow tea", "hoàng trà"),
    ("oolong", "ô long"),
    ("oolong tea", "ô long"),
    ("olong", "ô long"),
    ("fermented tea", "chè lên men"),
    ("shan tea", "shan tuyết;chè shan"),
    ("snow tea", "shan tuyết"),
    ("shan tuyet", "shan tuyết"),
    ("ancient tea", "shan tuyết cổ thụ;cổ thụ"),
    ("old tea trees", "cổ thụ"),
    ("tea bags", "túi lọc"),
    ("tea bag", "túi lọc"),
    ("teabags", "túi lọc"),
    ("lotus tea", "trà hoa sen"),
    ("lotus", "sen"),
    ("jasmine tea", "trà hoa nhài"),
    ("jasmine", "nhài"),
    ("vine tea", "trà dây leo"),
    ("jiaogulan", "giảo cổ lam"),
    ("gynostemma", "giảo cổ lam"),
    ("bat tien tea", "bát tiên"),
    ("organic", "hữu cơ"),
    ("organic tea", "chè hữu cơ"),
    # honey and bees
    ("honey", "mật ong"),
    ("bee honey", "mật ong"),
    ("wildflower honey", "mật ong hoa tự nhiên"),
    ("wild honey", "mật ong hoa tự nhiên;mật ong rừng"),
    ("natural honey", "mật ong hoa tự nhiên"),
    ("forest honey", "mật ong rừng;mật ong hoa tự nhiên"),
    ("mật ong rừng", "mật ong hoa tự nhiên"),  # "wild honey" as Vietnamese say it
    ("xôi", "nếp"),  # sticky rice steamed: made from our glutinous rice
    ("pollen", "phấn hoa"),
    ("bee pollen", "phấn hoa"),
    ("royal jelly", "sữa ong chúa"),
    # fish and meat
    ("salmon", "cá hồi"),
    ("smoked salmon", "cá hồi hun khói"),
    ("salmon floss", "ruốc cá hồi"),
    ("fish", "cá"),
    ("fillet", "phi lê"),
    ("cheese", "pho mai"),
    ("sausage", "lạp xường;lạp sườn;xúc xích"),
    ("sausages", "lạp xường;lạp sườn;xúc xích"),
    ("chinese sausage", "lạp xường;lạp sườn"),
    ("lap xuong", "lạp xường;lạp sườn"),
    ("smoked meat", "gác bếp;hun khói;sấy"),
    ("dried meat", "sấy;gác bếp"),
    ("jerky", "gác bếp;sấy"),
    ("smoked", "hun khói;gác bếp"),
    ("dried", "sấy"),
    ("buffalo", "trâu"),
    ("buffalo jerky", "thịt trâu gác bếp;thịt trâu sấy"),
    ("pork", "lợn"),
    ("pig", "lợn"),
    ("heo", "lợn"),
    ("pork belly", "ba chỉ"),
    ("pork floss", "ruốc lợn"),
    ("floss", "ruốc"),
    ("beef", "bò"),
    ("meat", "thịt"),
    ("duck", "vịt"),
    ("duck egg", "trứng vịt"),
    ("duck eggs", "trứng vịt"),
    ("egg", "trứng"),
    ("eggs", "trứng"),
    ("frog", "ếch"),
    ("rabbit", "thỏ"),
    # rice and grains
    ("rice", "gạo"),
    ("brown rice", "gạo lứt"),
    ("organic rice", "gạo hữu cơ"),
    ("sticky rice", "nếp"),
    ("glutinous rice", "nếp"),
    ("seng cu", "séng cù"),
    ("green rice flakes", "cốm"),
    ("young rice flakes", "cốm"),
    ("rice flakes", "cốm"),
    ("rice cake", "bánh chưng"),
    ("sticky rice cake", "bánh chưng"),
    ("black rice cake", "bánh chưng đen"),
    ("corn", "ngô"),
    ("maize", "ngô"),
    ("glass noodles", "miến"),
    ("vermicelli", "miến"),
    ("noodles", "miến"),
    ("arrowroot noodles", "miến đao"),
    ("cellophane noodles", "miến"),
    ("cassava", "sắn"),
    ("tapioca", "tinh bột sắn"),
    ("tapioca starch", "tinh bột sắn"),
    ("cassava starch", "tinh bột sắn"),
    # drinks
    ("wine", "rượu"),
    ("liquor", "rượu"),
    ("alcohol", "rượu"),
    ("spirits", "rượu"),
    ("rice wine", "rượu gạo;rượu nếp;rượu thóc"),
    ("sticky rice wine", "rượu nếp"),
    ("moonshine", "rượu"),
    ("happy water", "rượu"),
    ("corn wine", "rượu ngô"),
    ("bottled water", "nước uống đóng chai"),
    ("drinking water", "nước uống đóng chai"),
    # fruit and vegetables
    ("pomelo", "bưởi"),
    ("grapefruit", "bưởi"),
    ("plum", "mận"),
    ("plums", "mận"),
    ("dried plum", "mận sấy"),
    ("pear", "lê"),
    ("pears", "lê"),
    ("persimmon", "hồng không hạt;hồng ngâm"),
    ("persimmons", "hồng không hạt;hồng ngâm"),
    ("banana", "chuối"),
    ("bananas", "chuối"),
    ("royal banana", "chuối ngự;chuối tiến vua"),
    ("longan", "nhãn"),
    ("tangerine", "quýt"),
    ("tangerines", "quýt"),
    ("mandarin", "quýt"),
    ("orange", "quýt"),
    ("oranges", "quýt"),
    ("chili", "tương ớt;ớt"),
    ("chilli", "tương ớt;ớt"),
    ("chili sauce", "tương ớt"),
    ("chilli sauce", "tương ớt"),
    ("hot sauce", "tương ớt"),
    ("bamboo shoots", "măng"),
    ("bamboo shoot", "măng"),
    ("mushroom", "nấm"),
    ("mushrooms", "nấm"),
    ("oyster mushroom", "nấm sò"),
    ("peanut", "lạc"),
    ("peanuts", "lạc"),
    ("groundnut", "lạc"),
    ("groundnuts", "lạc"),
    ("peanut oil", "dầu lạc"),
    ("soybean", "đậu tương"),
    ("soybeans", "đậu tương"),
    ("soy", "đậu tương"),
    ("kale", "cải kale"),
    ("chayote", "su su"),
    ("taro", "khoai sọ"),
    ("dragon fruit", "thanh long"),
    ("pitaya", "thanh long"),
    ("watermelon", "dưa hấu"),
    ("wild apple", "táo mèo"),
    ("docynia", "táo mèo"),
    ("tao meo", "táo mèo"),
    ("vinegar", "dấm"),
    ("turmeric", "nghệ"),
    ("lemongrass", "sả"),
    ("perilla", "tía tô"),
    ("chocolate", "chocolate"),
    ("choco", "chocolate"),
    # herbal
    ("cinnamon", "quế"),
    ("cinnamon tea", "trà quế"),
    ("cinnamon oil", "tinh dầu quế"),
    ("cinnamon sticks", "quế điếu;quế sáo"),
    ("essential oil", "tinh dầu"),
    ("essential oils", "tinh dầu"),
    ("artichoke", "actiso"),
    ("atiso", "actiso"),
    ("cordyceps", "đông trùng hạ thảo"),
    ("capsules", "viên nang"),
    ("extract", "cao"),
    ("incense", "quế hương"),
    ("massage", "xịt massage"),
    ("dish soap", "nước rửa chén"),
    ("floor cleaner", "nước lau sàn"),
    # crafts
    ("brocade", "thổ cẩm"),
    ("textile", "thổ cẩm"),
    ("bag", "túi"),
    ("pillowcase", "vỏ gối"),
    ("stone", "đá"),
    ("feng shui", "phong thủy"),
    ("pixiu", "tỳ hưu"),
    ("money toad", "thiềm thừ"),
    ("three-legged toad", "thiềm thừ"),
    # tourism
    ("homestay", "homestay"),
    ("tourism", "du lịch"),
    ("ecotourism", "du lịch;sinh thái"),
    ("eco-tourism", "du lịch;sinh thái"),
    ("community tourism", "du lịch cộng đồng"),
    ("hot spring", "suối khoáng nóng"),
    ("hot springs", "suối khoáng nóng"),
    ("garden", "vườn"),
    ("tea culture", "không gian văn hoá trà"),
    # abbreviations and slang
    ("htx", "hợp tác xã"),
    ("cty", "công ty"),
    ("tp", "thành phố"),
    ("tx", "thị xã"),
    ("tt", "thị trấn"),
    ("sp", "sản phẩm"),
    ("tnhh", "trách nhiệm hữu hạn"),
    ("mtv", "một thành viên"),
    ("ubnd", "ủy ban nhân dân"),
    ("qđ", "quyết định"),
    ("đs", "đặc sản"),
]


def build_synonyms(products: list[dict]) -> list[dict]:
    out, seen = [], set()
    haystack = " | ".join((p["name"] + " " + p["aliases"]).lower() for p in products)
    unused = []
    for term, expansion in SYNONYMS:
        term, expansion = nfc(term).strip(), nfc(expansion).strip()
        if term != term.lower() or not expansion:
            fail(f"synonyms: bad entry {term!r} -> {expansion!r}")
        if term in seen:
            fail(f"synonyms: duplicate term {term!r}")
        seen.add(term)
        alts = split_list(expansion)
        if not any(a.lower() in haystack for a in alts):
            unused.append(term)
        out.append({"term": term, "expansion": ";".join(alts)})
    if unused:
        print(f"  synonyms whose expansion is in no product name/alias (kept): {', '.join(unused)}")
    return out


# ---------------------------------------------------------------------------- facts

FACT_FIGURES = [
    dict(
        as_of="2025-07",
        scope="new Lào Cai province",
        total=604,
        split_vi="553 sản phẩm 3★, 49 sản phẩm 4★, 2 sản phẩm 5★",
        split_en="553 at 3★, 49 at 4★, 2 at 5★",
        source="https://trangtraiviet.danviet.vn/nong-thon-moi-lao-cai-vuot-ke-hoach-them-62-san-pham-ocop-duoc-gan-sao-d1350046.html",
    ),
    dict(
        as_of="2025-08",
        scope="new Lào Cai province",
        total=604,
        split_vi="553 sản phẩm 3★ (3 sản phẩm tiềm năng 4★), 49 sản phẩm 4★, 2 sản phẩm 5★",
        split_en="553 at 3★ (3 of them rated potential 4★), 49 at 4★, 2 at 5★",
        source="https://thongtin.vietnam.vn/en/khi-san-vat-vao-duong-bang-cat-canh",
    ),
    dict(
        as_of="2025-05",
        scope="former Lào Cai",
        total=267,
        split_vi="258 sản phẩm 3★, 7 sản phẩm 4★, 2 sản phẩm 5★",
        split_en="258 at 3★, 7 at 4★, 2 at 5★",
        source="https://laocaitv.vn/chinh-tri-xa-hoi/lao-cai-co-267-san-pham-dat-chuan-ocop",
    ),
    dict(
        as_of="2025-01-31",
        scope="former Lào Cai",
        total=269,
        split_vi="259 sản phẩm 3★, 8 sản phẩm 4★, 2 sản phẩm 5★",
        split_en="259 at 3★, 8 at 4★, 2 at 5★",
        source="https://baolaocai.vn/lao-cai-co-269-san-pham-ocop-tu-3-sao-tro-len-post396860.html",
    ),
    dict(
        as_of="2024-11",
        scope="former Lào Cai",
        total=212,
        split_vi="202 sản phẩm 3★, 8 sản phẩm 4★, 2 sản phẩm 5★",
        split_en="202 at 3★, 8 at 4★, 2 at 5★",
        source="https://baolaocai.vn/lao-cai-them-2-san-pham-duoc-cong-nhan-ocop-5-sao-post392978.html",
    ),
    dict(
        as_of="2023-06-20",
        scope="former Lào Cai",
        total=163,
        split_vi="138 sản phẩm 3★, 25 sản phẩm 4★",
        split_en="138 at 3★, 25 at 4★",
        source="https://baolaocai.vn/toan-tinh-co-163-san-pham-ocop-post369801.html",
    ),
    dict(
        as_of="2019-03-19",
        scope="former Lào Cai",
        total=10,
        split_vi="9 sản phẩm 3★, 1 sản phẩm 4★",
        split_en="9 at 3★, 1 at 4★",
        source="https://nongnghiep.vn/10-san-pham-ocop-lao-cai-d239958.html",
    ),
    dict(
        as_of="mid-2025",
        scope="former Yên Bái",
        total=271,
        split_vi="246 sản phẩm 3★, 25 sản phẩm 4★",
        split_en="246 at 3★, 25 at 4★",
        source="https://trongtrot.com.vn/giao-thuong-nong-nghiep/phat-trien-san-pham-ocop-yen-bai-nang-tam-gia-tri-nong-san-dia-phuong.html",
    ),
    dict(
        as_of="2025-02",
        scope="former Yên Bái",
        total=268,
        split_vi="240 sản phẩm 3★, 28 sản phẩm 4★",
        split_en="240 at 3★, 28 at 4★",
        source="http://hoinhabaoyenbai.org.vn/tin-tuc-su-kien/Yen-Bai-268-san-pham-OCOP-duoc-chung-nhan?PageIndex=8",
    ),
    dict(
        as_of="2023-10",
        scope="former Yên Bái",
        total=227,
        split_vi="206 sản phẩm 3★, 21 sản phẩm 4★",
        split_en="206 at 3★, 21 at 4★",
        source="http://hhdn.yenbai.vn/tin-tuc/yen-bai-co-227-san-pham-duoc-cap-chung-nhan-ocop/",
    ),
    dict(
        as_of="2025-01",
        scope="national",
        total=14642,
        split_vi="",
        split_en="",
        source="https://vietnamnews.vn/economy/1690849/28-products-receive-five-star-national-ocop-rating.html",
    ),
]

FACT_SECTIONS = {
    "programme": dict(
        vi=(
            "OCOP là Chương trình Mỗi xã một sản phẩm (One Commune One Product), chương trình "
            "quốc gia đánh giá và phân hạng sản phẩm đặc trưng của địa phương từ 1 đến 5 sao. "
            "Chương trình giai đoạn 2021-2025 theo Quyết định 919/QĐ-TTg ngày 01/08/2022; bộ tiêu "
            "chí và quy trình đánh giá hiện hành theo Quyết định 148/QĐ-TTg ngày 24/02/2023. Chỉ "
            "sản phẩm từ 3 sao trở lên được cấp giấy chứng nhận, có hiệu lực 36 tháng."
        ),
        en=(
            "OCOP is Vietnam's One Commune One Product programme (Mỗi xã một sản phẩm): a national "
            "programme that evaluates local specialities and rates them from 1 to 5 stars. The "
            "2021-2025 programme is set by Decision 919/QĐ-TTg of 01/08/2022; the current criteria "
            "and procedure by Decision 148/QĐ-TTg of 24/02/2023. Only products with 3 stars or more "
            "are certified, for 36 months."
        ),
        zh='OCOP 是越南的"一乡一品"计划（Mỗi xã một sản phẩm）：一项对地方特色产品进行评估并评为 1 至 5 星的国家计划。2021-2025 年计划依据 2022 年 8 月 1 日第 919/QĐ-TTg 号决定；现行评定标准和程序依据 2023 年 2 月 24 日第 148/QĐ-TTg 号决定。只有 3 星及以上的产品获得证书，有效期 36 个月。',  # our translation
        ko='OCOP는 베트남의 "1마을 1특산품" 프로그램(Mỗi xã một sản phẩm)으로, 지역 특산품을 평가해 1~5성 등급을 매기는 국가 프로그램입니다. 2021-2025년 프로그램은 2022년 8월 1일 결정 919/QĐ-TTg, 현행 평가 기준과 절차는 2023년 2월 24일 결정 148/QĐ-TTg에 따릅니다. 3성 이상 제품만 인증서를 받으며 유효기간은 36개월입니다.',  # our translation
        source="https://hangthat.thuonghieucongluan.com.vn/ban-hanh-bo-tieu-chi-va-quy-trinh-danh-gia-phan-hang-san-pham-chuong-trinh-moi-xa-mot-san-pham-a93435.html",
    ),
    "stars": dict(
        vi=(
            "Sản phẩm OCOP được chấm theo thang 100 điểm (phần A tổ chức sản xuất 40, phần B "
            "tiếp thị và câu chuyện sản phẩm 25, phần C chất lượng 35). Từ 90 điểm: 5 sao (cấp "
            "quốc gia); 70 đến dưới 90: 4 sao; 50 đến dưới 70: 3 sao; 30 đến dưới 50: 2 sao; "
            "dưới 30: 1 sao. Chỉ sản phẩm từ 3 sao trở lên được công nhận, cấp giấy chứng nhận "
            "và được in logo OCOP cùng số sao trên bao bì. Sao gắn với một sản phẩm và bao bì cụ "
            "thể, không gắn với nhà sản xuất hay cả xã."
        ),
        en=(
            "OCOP products are scored out of 100 (part A, production and community: 40; part B, "
            "marketing and product story: 25; part C, quality: 35). 90 points or more: 5 stars "
            "(national level); 70 to under 90: 4 stars; 50 to under 70: 3 stars; 30 to under 50: "
            "2 stars; under 30: 1 star. Only products with 3 stars or more are certified, get a "
            "certificate and may print the OCOP logo and their stars on the packaging. A star "
            "belongs to one specific product and its packaging, not to a producer or a commune."
        ),
        zh="OCOP 产品按 100 分制评分（A 部分 生产组织与社区：40 分；B 部分 营销与产品故事：25 分；C 部分 质量：35 分）。90 分及以上：5 星（国家级）；70 至 90 分以下：4 星；50 至 70 分以下：3 星；30 至 50 分以下：2 星；30 分以下：1 星。只有 3 星及以上的产品获得认定和证书，并可在包装上印 OCOP 标志和星级。星级属于某一具体产品及其包装，而不属于生产者或整个乡。",  # our translation
        ko="OCOP 제품은 100점 만점으로 평가됩니다(A 생산 조직과 지역사회 40점, B 마케팅과 제품 스토리 25점, C 품질 35점). 90점 이상: 5성(국가급), 70~90점 미만: 4성, 50~70점 미만: 3성, 30~50점 미만: 2성, 30점 미만: 1성. 3성 이상 제품만 인정되어 인증서를 받고 포장에 OCOP 로고와 등급을 표시할 수 있습니다. 등급은 생산자나 마을 전체가 아니라 특정 제품과 그 포장에 붙습니다.",  # our translation
        source="https://proatc.vn/phan-hang-nhom-san-pham-ocop/",
    ),
    "certifier": dict(
        vi=(
            "Theo Quyết định 148/QĐ-TTg ngày 24/02/2023: UBND cấp huyện công nhận sản phẩm 3 sao; "
            "UBND cấp tỉnh công nhận 4 sao và đề nghị xét 5 sao; Hội đồng Trung ương tại Bộ Nông "
            "nghiệp (từ 2025 là Bộ Nông nghiệp và Môi trường) công nhận 5 sao. Trước năm 2023, "
            "UBND tỉnh công nhận cả 3 sao và 4 sao. Cấp chính quyền huyện đã bỏ từ 1/7/2025; "
            "chưa có nguồn xác nhận cấp nào công nhận 3 sao sau thời điểm này."
        ),
        en=(
            "Under Decision 148/QĐ-TTg of 24/02/2023, the district People's Committee recognises "
            "3-star products, the provincial People's Committee recognises 4 stars and proposes "
            "5-star candidates, and the central council at the Ministry of Agriculture (since 2025 "
            "the Ministry of Agriculture and Environment) recognises 5 stars. Before 2023 the "
            "province certified both 3 and 4 stars. District governments were abolished on "
            "1/7/2025, and no source yet confirms who recognises 3 stars since then."
        ),
        zh="根据 2023 年 2 月 24 日第 148/QĐ-TTg 号决定：县级人民委员会认定 3 星产品；省级人民委员会认定 4 星并推荐 5 星候选产品；农业部（2025 年起为农业与环境部）中央委员会认定 5 星。2023 年以前，省里同时认定 3 星和 4 星。县级政府已于 2025 年 7 月 1 日撤销，目前尚无来源确认此后由哪一级认定 3 星。",  # our translation
        ko="2023년 2월 24일 결정 148/QĐ-TTg에 따라 현 인민위원회가 3성을, 성 인민위원회가 4성을 인정하고 5성 후보를 추천하며, 농업부(2025년부터 농업환경부) 중앙위원회가 5성을 인정합니다. 2023년 이전에는 성이 3성과 4성을 모두 인정했습니다. 현급 정부는 2025년 7월 1일 폐지되었고, 그 이후 어느 기관이 3성을 인정하는지 확인된 출처는 아직 없습니다.",  # our translation
        source="https://hangthat.thuonghieucongluan.com.vn/ban-hanh-bo-tieu-chi-va-quy-trinh-danh-gia-phan-hang-san-pham-chuong-trinh-moi-xa-mot-san-pham-a93435.html",
    ),
    "validity": dict(
        vi=(
            "Giấy chứng nhận OCOP có hiệu lực 36 tháng (3 năm) kể từ ngày ký quyết định. Hết "
            "hạn, sản phẩm phải được đánh giá lại, nếu không sẽ mất quyền dùng logo OCOP. Vì vậy "
            "nhiều chứng nhận từ 2019-2021 có thể đã hết hạn hoặc được xếp hạng lại; nên nói "
            '"được chứng nhận năm ..." thay vì "còn hiệu lực".'
        ),
        en=(
            "An OCOP certificate is valid for 36 months (3 years) from the date of the decision. "
            "After that the product must be re-evaluated or it loses the right to use the OCOP "
            "logo. Many 2019-2021 certificates may therefore have expired or been re-rated, so "
            'say "certified in YEAR" rather than "valid".'
        ),
        zh='OCOP 证书自决定之日起有效 36 个月（3 年）。到期后产品须重新评定，否则将失去使用 OCOP 标志的权利。因此许多 2019-2021 年的证书可能已过期或被重新评级；应说"于某年获得认证"，而不是"仍然有效"。',  # our translation
        ko='OCOP 인증서는 결정일로부터 36개월(3년) 동안 유효합니다. 기간이 끝나면 제품은 재평가를 받아야 하며, 그렇지 않으면 OCOP 로고를 쓸 권리를 잃습니다. 그래서 2019-2021년 인증서 중 다수는 만료되었거나 등급이 다시 매겨졌을 수 있으므로 "유효하다"보다 "몇 년에 인증받았다"고 말하는 것이 맞습니다.',  # our translation
        source="https://yenbai.gov.vn:443/noidung/tintuc/Pages/chi-tiet-tin-tuc.aspx?ItemID=33243",
    ),
    "merger": dict(
        vi=(
            "Ngày 1/7/2025 tỉnh Lào Cai và tỉnh Yên Bái hợp nhất thành tỉnh Lào Cai mới. Cấp "
            "huyện bị bãi bỏ và các xã được sáp nhập, ví dụ thị xã Sa Pa cũ nay là phường Sa Pa, "
            "Bắc Hà nay là xã Bắc Hà. Báo chí, giấy chứng nhận và người dân vẫn thường dùng tên "
            "huyện cũ."
        ),
        en=(
            "On 1 July 2025 Lào Cai and Yên Bái provinces merged into a new Lào Cai province. "
            "Districts were abolished and communes merged: for example the old Sa Pa town is now "
            "phường Sa Pa and Bắc Hà is now xã Bắc Hà. News, certificates and people still often "
            "use the old district names."
        ),
        zh="2025 年 7 月 1 日，老街省和安沛省合并为新的老街省（Lào Cai）。县级被撤销，乡镇合并，例如原沙坝市社（Sa Pa）现为沙坝坊（phường Sa Pa），北河（Bắc Hà）现为北河乡（xã Bắc Hà）。新闻、证书和民众仍常使用原来的县名。",  # our translation
        ko="2025년 7월 1일 라오까이(Lào Cai)성과 옌바이(Yên Bái)성이 새로운 라오까이성으로 통합되었습니다. 현이 폐지되고 마을이 합쳐져, 예를 들어 옛 사파(Sa Pa) 시사는 지금 phường Sa Pa, 박하(Bắc Hà)는 xã Bắc Hà입니다. 뉴스, 인증서, 주민들은 여전히 옛 현 이름을 자주 씁니다.",  # our translation
        source="https://ngaynay.vn/phat-trien-du-lich-xanh-gan-voi-bao-ton-gia-tri-van-hoa-post166805.html",
    ),
}


def toml_str(s: str) -> str:
    s = nfc(s)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def split_in(lang: str, split_en: str) -> str:
    """Our zh/ko wording of an English star split ("553 at 3★ (3 of them rated potential 4★)")."""
    if lang == "zh":
        text = re.sub(r"(\d+) at (\d★)", r"\2 \1 款", split_en).replace(", ", "，")
        return text.replace(" (", "（其中 ").replace(" of them rated potential ", " 款被评为潜在 ").replace(")", "）")
    text = re.sub(r"(\d+) at (\d★)", r"\2 \1개", split_en)
    return text.replace(" of them rated potential ", "개는 잠재 ").replace(" (", " (그중 ")


def build_facts(src: Path, path: Path) -> None:
    facts_md = nfc((src / "ocop_facts.md").read_text(encoding="utf-8"))
    lines = [
        "# OCOP programme facts for the bot's 'about OCOP' answers.",
        "# Summarised from ../shared/data/ocop_facts.md by data/build_seed.py; do not edit by hand.",
        "# Always quote a figure with its as_of date. The zh and ko texts are our own translations.",
        "",
    ]
    for f in FACT_FIGURES:
        if f["source"] not in facts_md:
            fail(f"facts: source URL not in ocop_facts.md: {f['source']}")
        if f"{f['total']:,}" not in facts_md and str(f["total"]) not in facts_md:
            fail(f"facts: total {f['total']} not in ocop_facts.md")
        lines.append("[[figures]]")
        f = {**f, "split_zh": split_in("zh", f["split_en"]), "split_ko": split_in("ko", f["split_en"])}  # ours
        for k in ("as_of", "scope", "total", "split_vi", "split_en", "split_zh", "split_ko", "source"):
            v = f[k]
            lines.append(f"{k} = {v}" if isinstance(v, int) else f"{k} = {toml_str(v)}")
        lines.append("")
    for name, sec in FACT_SECTIONS.items():
        if sec["source"] not in facts_md:
            fail(f"facts: [{name}] source URL not in ocop_facts.md")
        for lang in ("vi", "en", "zh", "ko"):
            if len(sec[lang]) > 620:
                fail(f"facts: [{name}].{lang} is {len(sec[lang])} chars (keep under ~600)")
        lines.append(f"[{name}]")
        for k in ("vi", "en", "zh", "ko", "source"):
            if k in ("zh", "ko"):
                lines.append(f"# {k}: our translation of the English")
            lines.append(f"{k} = {toml_str(sec[k])}")
        lines.append("")
    text = "\n".join(lines)
    try:
        import tomllib  # Python 3.11+

        tomllib.loads(text)
    except ModuleNotFoundError:
        pass
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path.name}: {len(FACT_FIGURES)} figures, {len(FACT_SECTIONS)} sections")


# ----------------------------------------------------------------------------- main

PRODUCT_COLUMNS = [
    "id",
    "name",
    "qualifier",
    "star",
    "producer",
    "producer_type",
    "area",
    "former_province",
    "category",
    "year",
    "decision",
    "english_name",
    "name_zh",
    "name_ko",
    "aliases",
    "source_url",
]
LOCALITY_COLUMNS = ["name", "kind", "district", "former_province", "aliases", "lat", "lon", "coord_source", "new_units"]
EVENT_COLUMNS = ["id", "name", "name_en", "start_date", "end_date", "place", "area", "organiser", "source_url"]
SHOP_COLUMNS = ["product_id", "platform", "url", "source_url"]


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("repo_root", nargs="?", default=str(here.parent))
    ap.add_argument("--src", help="source folder (default REPO_ROOT/../shared/data)")
    args = ap.parse_args(argv)
    root = Path(args.repo_root).resolve()
    src = Path(args.src).resolve() if args.src else (root / ".." / "shared" / "data").resolve()
    out = root / "data"
    if not src.is_dir():
        fail(f"source folder not found: {src}")
    print(f"source: {src}\noutput: {out}")

    localities = build_localities(src)
    names = {line["name"] for line in localities}
    src_products, products = build_products(src, here, names)
    place_cols, places = build_places(src, names)
    events = build_events(src, localities)
    shop_links = build_shop_links(src, src_products)
    categories = build_categories(products)
    synonyms = build_synonyms(products)

    write_csv(out / "localities.csv", LOCALITY_COLUMNS, localities)
    write_csv(out / "products.csv", PRODUCT_COLUMNS, products)
    write_csv(out / "places.csv", place_cols, places)
    write_csv(out / "events.csv", EVENT_COLUMNS, events)
    write_csv(out / "shop_links.csv", SHOP_COLUMNS, shop_links)
    write_csv(out / "categories.csv", ["key", "vi", "en", "aliases"], categories)
    write_csv(out / "synonyms.csv", ["term", "expansion"], synonyms)
    build_facts(src, out / "facts.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
