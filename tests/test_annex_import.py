"""Official lists as staff keep them (issue 11): annex layouts, encodings, identity by
(name, producer), re-certification history, places with map links, and the export/import
round trip. Fixtures are synthetic (tests/annex_fixtures.py), never catalogue facts."""

from __future__ import annotations

import codecs

import pytest

from bot.catalogue_io.export import export_file
from bot.catalogue_io.identity import product_key, row_key, text_key
from bot.config import DATA_DIR, ImportSection
from bot.importer import (
    compare,
    import_file,
    parse_coordinates,
    parse_star,
    read_plan,
    star_from_points,
)
from bot.seed import _resolver, load_localities
from handlers.render import history_text
from tests.annex_fixtures import annex_csv, annex_xlsx, synthetic_rows, to_cp1258

LIMITS = ImportSection()
AREAS = _resolver(load_localities(DATA_DIR))


def plan_of(name: str, data: bytes):
    return read_plan(name, data, AREAS, LIMITS)


ROWS = synthetic_rows(8)
LAYOUTS = {
    "one-row header, xlsx": lambda: ("a.xlsx", annex_xlsx(ROWS, two_row=False)),
    "two-row merged header, xlsx": lambda: ("a.xlsx", annex_xlsx(ROWS)),
    "points only, xlsx": lambda: ("a.xlsx", annex_xlsx(ROWS, points_only=True)),
    "no groups, csv": lambda: ("a.csv", annex_csv(ROWS, groups=False, numbers=False).encode()),
    "cp1258 csv with ;": lambda: ("a.csv", to_cp1258(annex_csv(ROWS, delimiter=";"))),
    "utf-16 csv with tabs": lambda: ("a.csv", annex_csv(ROWS, delimiter="\t").encode("utf-16")),
    "utf-8 BOM csv with ;": lambda: ("a.csv", codecs.BOM_UTF8 + annex_csv(ROWS, delimiter=";").encode()),
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_annex_layouts_are_read_as_staff_keep_them(layout):
    name, data = LAYOUTS[layout]()
    plan = plan_of(name, data)
    assert not plan.errors, plan.errors
    assert plan.table == "products" and len(plan.records) == len(ROWS)
    by_name = {r["name"]: r for r in plan.records}
    for row in ROWS:
        record = by_name[row.name]  # NFC whatever the encoding
        assert record["producer"] == row.producer
        assert record["star"] == row.star
        assert record["area"] == row.district  # from the group row, or from the address
        # The decision of the annex's title applies to every row.
        assert (record["decision"], record["decision_date"], record["year"]) == ("9999/QĐ-TEST", "2024-10-12", 2024)
    reasons = {reason for _, reason, _ in plan.skipped}
    assert {"title", "total"} <= reasons
    if "no groups" not in layout:
        groups = [detail for _, reason, detail in plan.skipped if reason == "group"]
        assert groups[0].startswith(("HUYỆN SA PA (", "HUYỆN BẢO THẮNG ("))
        assert "numbers" in reasons


def test_skipped_rows_are_reported_with_their_numbers_and_why(services):
    from bot.catalogue_io.report import report_lines

    plan = plan_of("a.xlsx", annex_xlsx(ROWS))
    compare(plan, [])
    lines = report_lines(plan, lambda key, **kw: services.i18n.t("en", key, **kw))
    text = "\n".join(lines)
    assert "products: 8 to add, 0 to update, 0 unchanged" in text
    assert "line 1-3: title" in text and "line 7: column numbers" in text  # rows 5-6 are the header
    assert "group row (HUYỆN SA PA (02 sản phẩm))" in text and "total row (Tổng cộng)" in text
    assert "line 22-23: a note, no product name (KT. CHỦ TỊCH (THỬ NGHIỆM))" in text
    assert "Decision 9999/QĐ-TEST (from the title rows)" in text


def test_stars_as_written():
    for text, star in [("3 sao", 3), ("4*", 4), ("★★★", 3), ("⭐⭐⭐⭐", 4), ("5", 5), ("4.0", 4), ("ba sao", 3),
                       ("Đạt 4 sao", 4), ("3 sao (hạng A)", 3)]:  # fmt: skip
        assert parse_star(text) == star, text
    assert [star_from_points(p) for p in (49, 50, 69.5, 70, 89, 90, 100)] == [None, 3, 3, 4, 4, 5, 5]


def test_a_result_column_holding_points_gives_stars():
    plan = plan_of(
        "a.csv", "Tên sản phẩm,Tên chủ thể,Kết quả\nSP thử 1,HTX thử,72 điểm\nSP thử 2,HTX thử,4 sao\n".encode()
    )
    assert not plan.errors and [r["star"] for r in plan.records] == [4, 4]


def test_a_line_break_in_an_address_is_not_an_unbalanced_quote():
    csv = 'name,address,kind\nCửa hàng thử nghiệm,"Số 1, phố Thử,\nphường Thử, Lào Cai",shop\n'
    plan = plan_of("places.csv", csv.encode())
    assert not plan.errors and plan.records[0]["address"] == "Số 1, phố Thử, phường Thử, Lào Cai"


def test_bad_points_and_stars_are_named():
    csv = "Tên sản phẩm,Tên chủ thể,Số điểm\nSP thử 1,HTX thử,45\nSP thử 2,HTX thử,abc\nSP thử 3,HTX thử,120\n"
    plan = plan_of("a.csv", csv.encode())
    assert [(e.line, str(e.reason)) for e in plan.errors] == [
        (2, "points 45 below 50: not an OCOP star"),
        (3, "points 'abc' not a score out of 100"),
        (4, "points '120' not a score out of 100"),
    ]


# -- identity --------------------------------------------------------------------------------------------


def test_identity_keeps_diacritics_and_ignores_case_space_and_normal_form():
    import unicodedata

    assert text_key("Dầu xanh") != text_key("Đậu xanh")
    assert text_key("  Chè  SHAN tuyết ") == text_key("chè shan tuyết")
    assert text_key(unicodedata.normalize("NFD", "Mật ong")) == text_key("Mật ong")
    assert text_key("hoà") == text_key("hòa")  # only the tone's placement is free
    assert product_key("Lạp sườn", "HTX chế biến thực phẩm sạch Gia Phú") == product_key(
        "Lạp sườn", "Hợp tác xã Chế biến thực phẩm sạch Gia Phú (xã Gia Phú)"
    )
    assert row_key("events", {"name": "Hội chợ", "start_date": "2026-01-01"}) != row_key(
        "events", {"name": "Hội chợ", "start_date": "2027-01-01"}
    )


async def test_same_name_from_two_producers_is_two_products(services, tmp_path):
    sheet = tmp_path / "list.csv"
    sheet.write_text(
        "Tên sản phẩm,Tên chủ thể,Hạng sao\n"
        "Chè Shan tuyết thử nghiệm,HTX Thử nghiệm Một,4\n"
        "Chè Shan tuyết thử nghiệm,HTX Thử nghiệm Hai,3\n"
        "Dầu xanh thử nghiệm,HTX Thử nghiệm Một,3\n"
        "Đậu xanh thử nghiệm,HTX Thử nghiệm Một,3\n",
        encoding="utf-8",
    )
    plan, (added, updated, _) = await import_file(services.repo, sheet, dry_run=False)
    assert not plan.errors and (added, updated) == (4, 0)
    again, _ = await import_file(services.repo, sheet, dry_run=True)
    assert (len(again.added), len(again.updated), len(again.unchanged)) == (0, 0, 4)
    catalogue = await services.repo.load_catalogue()
    teas = [p for p in catalogue.products if p.name == "Chè Shan tuyết thử nghiệm"]
    assert sorted(p.qualifier for p in teas) == ["", "HTX Thử nghiệm Hai"]  # display only, derived


async def test_official_long_producer_name_updates_our_entry(services, tmp_path):
    """The official "Lạp sườn" of "Hợp tác xã chế biến thực phẩm sạch Gia Phú" is our
    "Lạp sườn (HTX Gia Phú)", id 6: updated, not added again; so is the short form."""
    sheet = tmp_path / "list.csv"
    sheet.write_text(
        "Tên sản phẩm,Tên chủ thể,Hạng sao\n"
        "Lạp sườn,Hợp tác xã chế biến thực phẩm sạch Gia Phú,3 sao\n"
        "Thịt ba chỉ sấy,HTX Gia Phú,3\n",
        encoding="utf-8",
    )
    plan, _ = await import_file(services.repo, sheet, dry_run=False)
    assert not plan.errors and not plan.added and plan.unchanged == [3]  # the short form keeps our long name
    (change,) = plan.updated
    assert change.id == 6 and change.fields == [
        ("producer", "HTX chế biến thực phẩm sạch Gia Phú", "Hợp tác xã chế biến thực phẩm sạch Gia Phú")
    ]
    # A name two producers share needs the producer to say which.
    sheet.write_text("Tên sản phẩm,Hạng sao\nChuối tiến Vua,4\n", encoding="utf-8")
    plan, _ = await import_file(services.repo, sheet, dry_run=True)
    assert [str(e.reason) for e in plan.errors] == [
        "several catalogue entries are named 'Chuối tiến Vua': add the producer column"
    ]


async def test_recertification_keeps_the_earlier_certificate_as_history(services, tmp_path):
    from bot.replies import Request
    from handlers.router import Router

    sheet = tmp_path / "list.csv"
    head = "Tên sản phẩm,Tên chủ thể,Hạng sao,Quyết định,Ngày quyết định\n"
    sheet.write_text(head + "Mật ong thử nghiệm H,HTX Thử nghiệm H,3,1/QĐ-TEST,01/06/2021\n", encoding="utf-8")
    await import_file(services.repo, sheet, dry_run=False)
    sheet.write_text(head + "Mật ong thử nghiệm H,HTX Thử nghiệm H,4,2/QĐ-TEST,02/07/2024\n", encoding="utf-8")
    plan, (_, updated, _) = await import_file(services.repo, sheet, dry_run=False)
    (change,) = plan.updated
    assert ("star", 3, 4) in change.fields and change.history == "later" and updated == 1
    # An older list loaded afterwards goes to the history only.
    sheet.write_text(head + "Mật ong thử nghiệm H,HTX Thử nghiệm H,3,0/QĐ-TEST,01/06/2019\n", encoding="utf-8")
    plan, _ = await import_file(services.repo, sheet, dry_run=False)
    assert plan.updated[0].history == "earlier" and not plan.updated[0].fields
    catalogue = await services.repo.load_catalogue()
    product = next(p for p in catalogue.products if p.name == "Mật ong thử nghiệm H")
    assert product.star == 4 and product.decision == "2/QĐ-TEST"
    assert history_text(catalogue.certificates[product.id], product) == "3★ 2019 → 3★ 2021 → 4★ 2024"
    await services.catalogue.fresh()  # as the staff upload's apply does
    (card,) = await Router(services).handle(Request("console", "u", "u", command="start", text=f"p_{product.id}"))
    assert "Lịch sử chứng nhận: 3★ 2019 → 3★ 2021 → 4★ 2024" in card.text


# -- places ----------------------------------------------------------------------------------------------


def test_coordinates_from_text_and_map_links():
    cases = {
        "22.3364, 103.8438": (22.3364, 103.8438),
        "22,3364; 103,8438": (22.3364, 103.8438),
        "https://www.google.com/maps/place/Ch%E1%BB%A3/@22.3364,103.8438,17z/data=!3m1": (22.3364, 103.8438),
        "https://www.google.com/maps/place/X/@22.1,103.1,17z/data=!3d22.3364!4d103.8438": (22.3364, 103.8438),
        "https://maps.google.com/?q=22.3364,103.8438": (22.3364, 103.8438),
        "https://www.openstreetmap.org/?mlat=22.3364&mlon=103.8438#map=17/22.3/103.8": (22.3364, 103.8438),
        "https://www.openstreetmap.org/#map=17/22.3364/103.8438": (22.3364, 103.8438),
        "https://maps.app.goo.gl/AbCdEf123": None,
    }
    for text, expected in cases.items():
        assert parse_coordinates(text) == expected, text


async def test_places_with_links_hours_in_two_languages_and_phone(services, tmp_path):
    sheet = tmp_path / "places.csv"
    sheet.write_text(
        "name,address,kind,phone,opening_hours_vi,opening_hours_en,products_hint_vi,products_hint_en,map\n"
        "Cửa hàng thử nghiệm 1,Số 1 phố Thử,shop,0912 000 001,7:00-21:00,7am-9pm,Mật ong,Honey,"
        '"https://www.google.com/maps/place/X/@22.3364,103.8438,17z"\n'
        "Cửa hàng thử nghiệm 2,Số 2 phố Thử,shop,,,,,,https://maps.app.goo.gl/AbCdEf123\n"
        "Cửa hàng thử nghiệm 3,Số 3 phố Thử,shop,,,,,,https://www.openstreetmap.org/?mlat=22.48&mlon=103.95\n",
        encoding="utf-8",
    )
    plan, (added, _, _) = await import_file(services.repo, sheet, dry_run=False)
    assert not plan.errors and plan.table == "places" and added == 3
    assert [(w.line, str(w.reason)) for w in plan.warnings] == [
        (3, "no coordinates: a short link needs the network to open; the link is kept")
    ]
    places = {p.name: p for p in (await services.repo.load_catalogue()).places}
    first, second, third = (places[f"Cửa hàng thử nghiệm {i}"] for i in (1, 2, 3))
    assert (first.lat, first.lon, first.phone, first.hours("en"), first.sells("vi")) == (
        22.3364,
        103.8438,
        "0912 000 001",
        "7am-9pm",
        "Mật ong",
    )
    assert (second.lat, second.map_url) == (None, "https://maps.app.goo.gl/AbCdEf123")
    assert (third.lat, third.lon) == (22.48, 103.95)


# -- round trip ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
async def test_export_then_import_changes_nothing(services, tmp_path, suffix):
    # Cells that would start a formula are text, and come back as they were.
    await services.repo.apply_import(
        "products",
        [
            {
                "name": "Sản phẩm thử nghiệm công thức",
                "producer": "@HTX thử",
                "aliases": "=1+1;-5",
                "english_name": "+84 test",
                "star": 3,
            }
        ],  # fmt: skip
    )
    for table in ("products", "places", "events"):
        path = tmp_path / f"{table}{suffix}"
        count = await export_file(services.repo, path, table)
        plan, _ = await import_file(services.repo, path, dry_run=True)
        assert not plan.errors, plan.errors[:3]
        assert (len(plan.added), len(plan.updated), len(plan.missing)) == (0, 0, 0), plan.updated[:3]
        assert len(plan.unchanged) == count > 0
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(tmp_path / "products.xlsx").active
        formulas = [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
        assert not formulas
        assert any(c.value == "=1+1;-5" for row in sheet.iter_rows() for c in row)


async def test_the_first_sheet_or_the_named_one(services, tmp_path):
    from openpyxl import Workbook

    from bot.importer import FileRefused

    book = Workbook()
    book.active.title = "Ghi chú"
    book.active.append(["Trang ghi chú thử nghiệm, không phải danh sách"])
    annex = book.create_sheet("Phụ lục 2")
    annex.append(["Tên sản phẩm", "Tên chủ thể", "Hạng sao"])
    annex.append(["Sản phẩm thử nghiệm S", "HTX Thử nghiệm S", "4"])
    path = tmp_path / "two_sheets.xlsx"
    book.save(path)
    plan, _ = await import_file(services.repo, path, dry_run=True)
    assert [e.reason.key for e in plan.errors] == ["no_name_column"]  # the first sheet is a note
    plan, _ = await import_file(services.repo, path, dry_run=True, sheet="Phụ lục 2")
    assert plan.added == [(2, "Sản phẩm thử nghiệm S")]
    with pytest.raises(FileRefused, match=r"^no sheet named 'Phụ lục 9' \(sheets: Ghi chú, Phụ lục 2\)$"):
        await import_file(services.repo, path, dry_run=True, sheet="Phụ lục 9")


async def test_chat_upload_reads_the_same_annex_and_reports_in_the_staff_language(services):
    import dataclasses

    from bot.config import AdminsSection
    from bot.replies import Attachment, Request
    from handlers.router import Router

    services.config = dataclasses.replace(services.config, admins=AdminsSection(telegram=(42,)))
    router = Router(services)
    upload = Request("telegram", "42", "42", attachment=Attachment("phu_luc.xlsx", annex_xlsx(ROWS)))
    (preview,) = await router.handle(upload)
    assert preview.text.startswith("sản phẩm: 8 thêm mới, 0 cập nhật, 0 không đổi, 11 dòng bỏ qua; 164 mục hiện có")
    assert "Quyết định 9999/QĐ-TEST (ở dòng tiêu đề)" in preview.text
    assert "dòng 1-3: tiêu đề" in preview.text and "dòng nhóm (HUYỆN SA PA (02 sản phẩm))" in preview.text
    assert (await services.repo.counts())["products"] == 164  # nothing before the confirmation
    apply = next(c.action for c in preview.choices if c.action.startswith("imp:ok"))
    (done,) = await router.handle(Request("telegram", "42", "42", action=apply))
    assert "8 thêm mới, 0 cập nhật, 0 xoá" in done.text
    assert (await services.repo.counts())["products"] == 172
