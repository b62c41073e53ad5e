"""Text in the reader's language (migration 004): seed files -> database -> models, and imports."""

from __future__ import annotations

import csv
import sqlite3

import pytest

from bot.importer import import_file
from bot.models import Event, Place, Product
from bot.storage import Repository, migrations
from tests.conftest import REPO

DATA_DIR = REPO / "data"


def rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def first(items, **match):
    return next(i for i in items if all(getattr(i, k) == v for k, v in match.items()))


# -- the model helpers ------------------------------------------------------------------------


def make_product(**kw) -> Product:
    base = dict(
        id=1, name="Mật ong", qualifier="", star=3, producer="", producer_type="", area="", former_province="",
        category="food", year=2021, decision="", decision_date=None, english_name="honey", aliases=(),
        source_url="",
    )  # fmt: skip
    return Product(**{**base, **kw})


def make_place(**kw) -> Place:
    base = dict(
        id=1, name="Chợ", address="", commune_or_ward="", area="", former_province="", kind="market",
        opening_hours="", lat=None, lon=None, products_hint="", source_url="", notes="",
    )  # fmt: skip
    return Place(**{**base, **kw})


def test_product_gloss_per_language():
    p = make_product(name_zh="蜂蜜", name_ko="꿀")
    assert (p.gloss("vi"), p.gloss("en"), p.gloss("zh"), p.gloss("ko")) == ("", "honey", "蜂蜜", "꿀")
    assert make_product().gloss("zh") == ""  # the defaults keep older constructors working


def test_place_texts_fall_back_to_the_other_language():
    both = make_place(
        opening_hours="Chủ nhật", opening_hours_en="Sunday", products_hint="Mật ong", products_hint_en="Honey"
    )
    assert [both.hours(lang) for lang in ("vi", "en", "zh", "ko")] == ["Chủ nhật", "Sunday", "Sunday", "Sunday"]
    assert [both.sells(lang) for lang in ("vi", "en", "zh", "ko")] == ["Mật ong", "Honey", "Honey", "Honey"]
    only_vi = make_place(opening_hours="Chủ nhật", products_hint="Mật ong")
    assert only_vi.hours("en") == "Chủ nhật" and only_vi.sells("ko") == "Mật ong"
    only_en = make_place(opening_hours_en="Sunday", products_hint_en="Honey")
    assert only_en.hours("vi") == "Sunday" and only_en.sells("vi") == "Honey"
    assert make_place().hours("en") == ""


def test_event_title():
    e = Event(1, "Hội chợ OCOP", None, None, "", "", "", "", name_en="OCOP fair")
    assert (e.title("vi"), e.title("en"), e.title("zh"), e.title("ko")) == (
        "Hội chợ OCOP", "OCOP fair", "OCOP fair", "OCOP fair",
    )  # fmt: skip
    assert Event(1, "Hội chợ OCOP", None, None, "", "", "", "").title("en") == "Hội chợ OCOP"


# -- the seed files carry both languages ---------------------------------------------------------


def test_seed_files_have_the_new_columns():
    places = rows("places.csv")
    assert {"opening_hours", "opening_hours_en", "products_hint", "products_hint_en"} <= set(places[0])
    assert any(p["opening_hours_en"] for p in places)
    assert all(bool(p["products_hint"]) == bool(p["products_hint_en"]) for p in places)
    assert "name_en" in rows("events.csv")[0]
    assert {"name_zh", "name_ko"} <= set(rows("products.csv")[0])


# -- a fresh database ----------------------------------------------------------------------------


async def test_fresh_database_has_the_translations(tmp_path):
    repo = await Repository.open(tmp_path / "ocop.sqlite3", seed_dir=DATA_DIR)
    try:
        assert await repo.schema_version() >= 4
        cat = await repo.load_catalogue()
    finally:
        await repo.close()

    place_row = next(p for p in rows("places.csv") if p["opening_hours_en"] and p["opening_hours"])
    place = first(cat.places, name=place_row["name"], address=place_row["address"])
    assert place.opening_hours == place_row["opening_hours"]  # Vietnamese
    assert place.opening_hours_en == place_row["opening_hours_en"]
    assert place.hours("vi") == place_row["opening_hours"] and place.hours("en") == place_row["opening_hours_en"]
    assert place.products_hint_en == place_row["products_hint_en"]
    assert place.sells("ko") == place_row["products_hint_en"]

    event_row = next(e for e in rows("events.csv") if e["name_en"])
    event = first(cat.events, name=event_row["name"])
    assert event.name_en == event_row["name_en"] and event.title("en") == event_row["name_en"]

    product_rows = [p for p in rows("products.csv") if p.get("name_zh")]
    if not product_rows:
        pytest.skip("data/english_names.csv has no Chinese glosses yet")
    row = product_rows[0]
    product = first(cat.products, name=row["name"], qualifier=row["qualifier"])
    assert product.name_zh == row["name_zh"] and product.gloss("zh") == row["name_zh"]
    assert product.name_ko == row["name_ko"] and product.gloss("ko") == row["name_ko"]
    # the single-product query path maps the same columns as the bulk load
    repo = await Repository.open(tmp_path / "ocop.sqlite3")
    try:
        assert await repo.product(product.id) == product
    finally:
        await repo.close()


# -- an existing database at schema version 3 ---------------------------------------------------


def make_version_3_db(path) -> dict[str, str]:
    """A database as the previous release left it, with one seed-matching row per table and
    one row of our own (a staff import) that the seed files do not have."""
    with sqlite3.connect(path) as conn:
        for number, sql_path in migrations():
            if number <= 3:
                conn.executescript(sql_path.read_text(encoding="utf-8"))
        conn.execute("PRAGMA user_version = 3")
    products = rows("products.csv")
    product = next((p for p in products if p.get("name_zh")), products[0])
    place = next(p for p in rows("places.csv") if p["opening_hours_en"])
    event = next(e for e in rows("events.csv") if e["name_en"] and e["start_date"])
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO products (id, name, qualifier, star, english_name) VALUES (?, ?, ?, ?, ?)",
            (1, product["name"], product["qualifier"], int(product["star"] or 3), product["english_name"]),
        )
        conn.execute("INSERT INTO products (id, name, star) VALUES (2, 'Mật ong rừng thử nghiệm', 4)")
        conn.execute(
            "INSERT INTO places (id, name, address, opening_hours) VALUES (1, ?, ?, ?)",
            (place["name"], place["address"], place["opening_hours"]),
        )
        conn.execute(
            "INSERT INTO events (id, name, start_date, end_date) VALUES (1, ?, ?, ?)",
            (event["name"], event["start_date"], event["end_date"] or None),
        )
        conn.execute("INSERT INTO users (platform, user_id, language) VALUES ('telegram', '42', 'en')")
    return {"product": product, "place": place, "event": event}


def table_rows(path, table: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()  # noqa: S608 - fixed names


async def test_version_3_database_migrates_and_keeps_its_rows(tmp_path):
    db = tmp_path / "old.sqlite3"
    make_version_3_db(db)
    before = {t: table_rows(db, t) for t in ("products", "places", "events", "users")}

    repo = await Repository.open(db)  # no seed folder: schema only
    try:
        assert await repo.schema_version() >= 4
        cat = await repo.load_catalogue()
    finally:
        await repo.close()
    assert [p.name for p in cat.products] == [r[1] for r in before["products"]]
    assert all(p.name_zh == p.name_ko == "" for p in cat.products)
    assert cat.places[0].opening_hours_en == "" and cat.events[0].name_en == ""
    assert table_rows(db, "users") == before["users"]
    for table in ("products", "places", "events"):
        after = table_rows(db, table)
        assert len(after) == len(before[table])
        assert [r[: len(before[table][0])] for r in after] == before[table]  # old columns untouched


async def test_version_3_database_is_backfilled_from_the_seed_by_natural_key(tmp_path):
    db = tmp_path / "old.sqlite3"
    seed = make_version_3_db(db)
    with sqlite3.connect(db) as conn:
        version_before = int(conn.execute("SELECT value FROM meta WHERE key = 'catalogue_version'").fetchone()[0])

    repo = await Repository.open(db, seed_dir=DATA_DIR)
    try:
        assert await repo.schema_version() >= 4
        cat = await repo.load_catalogue()
        counts = await repo.counts()
    finally:
        await repo.close()
    assert counts["products"] == 2 and counts["places"] == 1 and counts["events"] == 1  # not re-seeded
    assert cat.version > version_before  # running bots reload
    ours, staff = cat.products
    assert (ours.name_zh, ours.name_ko) == (seed["product"].get("name_zh", ""), seed["product"].get("name_ko", ""))
    assert (staff.name_zh, staff.name_ko) == ("", "")  # not in the seed files: left empty
    assert cat.places[0].opening_hours_en == seed["place"]["opening_hours_en"]
    assert cat.places[0].products_hint_en == seed["place"]["products_hint_en"]
    assert cat.places[0].products_hint == ""  # only the new columns are filled, nothing else
    assert cat.events[0].name_en == seed["event"]["name_en"]

    # Opening it again changes nothing (the backfill belongs to the migration).
    repo = await Repository.open(db, seed_dir=DATA_DIR)
    try:
        assert await repo.catalogue_version() == cat.version
    finally:
        await repo.close()


# -- the importer ---------------------------------------------------------------------------------


async def test_import_accepts_the_translation_columns(tmp_path):
    repo = await Repository.open(tmp_path / "ocop.sqlite3", seed_dir=DATA_DIR)
    try:
        cat = await repo.load_catalogue()
        product = cat.products[0]
        products_csv = tmp_path / "products.csv"
        products_csv.write_text(
            "Tên sản phẩm,Ghi chú tên,Tên tiếng Trung,Tên tiếng Hàn\n"
            f"{product.name},{product.qualifier},测试蜂蜜,테스트 꿀\n"
            "Mật ong rừng thử nghiệm,,野生蜂蜜,야생 꿀\n",
            encoding="utf-8",
        )
        plan, (added, updated, _) = await import_file(repo, products_csv, dry_run=False)
        assert not plan.errors and plan.table == "products" and (added, updated) == (1, 1)

        places_csv = tmp_path / "places.csv"
        places_csv.write_text(
            "Tên địa điểm,Địa chỉ,Giờ mở cửa,Giờ mở cửa (EN),Mặt hàng,Mặt hàng (EN)\n"
            "Điểm bán thử nghiệm,Số 1 phố thử,Thứ Bảy,Saturday,Mật ong,Honey\n",
            encoding="utf-8",
        )
        plan, (added, _, _) = await import_file(repo, places_csv, dry_run=False)
        assert not plan.errors and plan.table == "places" and added == 1

        events_csv = tmp_path / "events.csv"
        events_csv.write_text(
            "Tên sự kiện,Tên sự kiện (EN),Ngày bắt đầu,Ngày kết thúc\n"
            "Hội chợ thử nghiệm,Test fair,01/12/2026,03/12/2026\n",
            encoding="utf-8",
        )
        plan, (added, _, _) = await import_file(repo, events_csv, dry_run=False)
        assert not plan.errors and plan.table == "events" and added == 1

        # Header spellings of the researched files and of English sheets work too.
        events_en = tmp_path / "events_en.csv"
        events_en.write_text("name,name_en,start_date\nHội chợ thử nghiệm 2,Test fair 2,2026-12-05\n", encoding="utf-8")
        assert not (await import_file(repo, events_en, dry_run=False))[0].errors
        places_en = tmp_path / "places_en.csv"
        places_en.write_text(
            "name,address,opening_hours_vi,Opening hours (EN),products_hint_vi,products_hint_en\n"
            "Điểm bán thử nghiệm 2,Số 2 phố thử,Chủ nhật,Sunday,Chè,Tea\n",
            encoding="utf-8",
        )
        assert not (await import_file(repo, places_en, dry_run=False))[0].errors

        # A sheet without the columns leaves the stored translations alone.
        again = tmp_path / "again.csv"
        again.write_text(f"Tên sản phẩm,Ghi chú tên,Năm\n{product.name},{product.qualifier},2024\n", encoding="utf-8")
        plan, (_, updated, _) = await import_file(repo, again, dry_run=False)
        assert not plan.errors and updated == 1

        cat = await repo.load_catalogue()
    finally:
        await repo.close()

    updated_product = first(cat.products, id=product.id)
    assert (updated_product.name_zh, updated_product.name_ko, updated_product.year) == ("测试蜂蜜", "테스트 꿀", 2024)
    assert updated_product.english_name == product.english_name  # not in the sheet: kept
    new_product = first(cat.products, name="Mật ong rừng thử nghiệm")
    assert (new_product.gloss("zh"), new_product.gloss("ko"), new_product.english_name) == ("野生蜂蜜", "야생 꿀", "")
    place = first(cat.places, name="Điểm bán thử nghiệm")
    assert (place.opening_hours, place.opening_hours_en, place.products_hint, place.products_hint_en) == (
        "Thứ Bảy", "Saturday", "Mật ong", "Honey",
    )  # fmt: skip
    place2 = first(cat.places, name="Điểm bán thử nghiệm 2")
    assert (place2.hours("vi"), place2.hours("en"), place2.sells("vi"), place2.sells("en")) == (
        "Chủ nhật", "Sunday", "Chè", "Tea",
    )  # fmt: skip
    assert first(cat.events, name="Hội chợ thử nghiệm").title("en") == "Test fair"
    assert first(cat.events, name="Hội chợ thử nghiệm 2").name_en == "Test fair 2"


def test_english_name_header_of_an_event_sheet_is_its_english_name():
    from bot.config import ImportSection
    from bot.importer import AreaResolver, read_plan

    def plan_of(text: str):
        return read_plan("x.csv", text.encode(), AreaResolver([]), ImportSection())

    plan = plan_of("Tên sự kiện,Tên tiếng Anh,Ngày bắt đầu\nHội chợ,Fair,2026-12-01\n")
    assert plan.table == "events" and plan.records[0]["name_en"] == "Fair"
    plan = plan_of("name,name_en,star\nMật ong,Honey,3\n")
    assert plan.table == "products" and plan.records[0]["english_name"] == "Honey"
