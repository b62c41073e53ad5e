"""Staff jobs through the router: who may, previews, confirmation, uploads, statistics."""

import dataclasses
import io
import sqlite3

import pytest
from openpyxl import Workbook

from bot.config import AdminsSection
from bot.outbox_runtime import schedule_reminders
from bot.replies import Attachment, Request
from handlers.router import Router
from tests.conftest import REPO

ADMIN = "4242"


@pytest.fixture
async def staff_services(services):
    services.config = dataclasses.replace(
        services.config, admins=AdminsSection(telegram=(int(ADMIN),), zalo=("zadmin",))
    )
    return services


def req(text="", *, user=ADMIN, platform="telegram", **kwargs):
    return Request(platform, user, user, text=text, **kwargs)


def queued(db) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM broadcasts WHERE status != 'draft'").fetchone()[0]


async def test_non_admin_announce_is_refused_and_nothing_queued(staff_services, caplog):
    router = Router(staff_services)
    await staff_services.repo.subscribe("telegram", "1", "vi")
    (reply,) = await router.handle(req("Hội chợ!", command="announce", user="999"))
    assert reply.text == "Lệnh này chỉ dành cho cán bộ OCOP."
    assert "refused staff command announce" in caplog.text
    with sqlite3.connect(staff_services.config.database_path) as conn:
        assert conn.execute("SELECT count(*) FROM broadcasts").fetchone()[0] == 0
    # Forging the confirm button does not help either.
    (forged,) = await router.handle(req(action="ann:ok:1", user="999"))
    assert forged.text == "Lệnh này chỉ dành cho cán bộ OCOP."


async def test_announce_preview_confirm_once(staff_services):
    router = Router(staff_services)
    await staff_services.repo.subscribe("telegram", "1", "vi")
    await staff_services.repo.subscribe("zalo", "z1", "en")
    (preview,) = await router.handle(req("Hội chợ OCOP 20/12 || OCOP fair on 20 Dec", command="announce"))
    assert "1 trên Telegram, 1 trên Zalo" in preview.text and "OCOP fair on 20 Dec" in preview.text
    confirm = next(c.action for c in preview.choices if c.action.startswith("ann:ok"))
    assert queued(staff_services.config.database_path) == 0  # nothing before confirmation
    (done,) = await router.handle(req(action=confirm))
    assert "2 người" in done.text
    (again,) = await router.handle(req(action=confirm))
    assert "đã được xử lý" in again.text
    broadcast_id = int(confirm.rsplit(":", 1)[1])
    assert (await staff_services.repo.delivery_counts(broadcast_id))["pending"] == 2


async def test_zalo_staff_confirms_with_yes(staff_services):
    router = Router(staff_services)
    await staff_services.repo.subscribe("zalo", "z1", "vi")
    await router.handle(req("Tuần hàng OCOP", command="announce", user="zadmin", platform="zalo"))
    (done,) = await router.handle(req("có", user="zadmin", platform="zalo"))
    assert "Đã xếp thông báo" in done.text
    # For anyone else "có" is just a word to search for.
    (other,) = await router.handle(req("có", user="someone", platform="zalo"))
    assert "Đã xếp" not in other.text


async def test_scheduled_announcement_and_bad_times(staff_services):
    router = Router(staff_services)
    (preview,) = await router.handle(req("at 2099-12-20 08:00 Hội chợ Tết", command="announce"))
    assert "20/12/2099 08:00" in preview.text
    (past,) = await router.handle(req("at 2020-01-01 08:00 Cũ", command="announce"))
    assert "đã qua" in past.text
    (bad,) = await router.handle(req("at 2099-13-45 08:00 Sai", command="announce"))
    assert "không hợp lệ" in bad.text
    (empty,) = await router.handle(req("", command="announce"))
    assert "Cách dùng" in empty.text


async def test_cancel_leaves_nothing_queued(staff_services):
    router = Router(staff_services)
    (preview,) = await router.handle(req("Hủy tôi", command="announce"))
    cancel = next(c.action for c in preview.choices if c.action.startswith("ann:no"))
    (done,) = await router.handle(req(action=cancel))
    assert "Đã huỷ" in done.text
    assert queued(staff_services.config.database_path) == 1  # the cancelled one, never sent
    with sqlite3.connect(staff_services.config.database_path) as conn:
        assert conn.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 0


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_bad_xlsx_upload_names_rows_and_changes_nothing(staff_services):
    router = Router(staff_services)
    before = await staff_services.repo.counts()
    content = xlsx(
        [
            ["Tên sản phẩm", "Hạng sao", "Chủ thể", "Huyện"],
            ["Mật ong bạc hà thử", 4, "HTX A", "Sa Pa"],
            [None, 3, "HTX B", "Sa Pa"],
            ["Chè thử", 7, "HTX C", "Bắc Hà"],
        ]
    )
    (reply,) = await router.handle(req(attachment=Attachment("danh_sach.xlsx", content)))
    assert "2 dòng lỗi" in reply.text
    assert "dòng 3: thiếu tên" in reply.text and "dòng 4: hạng sao '7' không thuộc 3-5" in reply.text
    assert await staff_services.repo.counts() == before


async def test_bad_csv_upload_from_file(staff_services):
    content = (REPO / "tests" / "data" / "bad_products.csv").read_bytes()
    (reply,) = await Router(staff_services).handle(req(attachment=Attachment("bad.csv", content)))
    assert "6 dòng lỗi" in reply.text and "dòng 7: trùng với dòng 2" in reply.text


async def test_good_upload_shows_changes_and_applies_only_on_confirm(staff_services):
    router = Router(staff_services)
    content = (REPO / "tests" / "data" / "good_products.csv").read_bytes()
    (preview,) = await router.handle(req(attachment=Attachment("good.csv", content)))
    assert "1 thêm mới, 0 cập nhật, 1 không đổi, 0 dòng bỏ qua; 163 mục hiện có" in preview.text
    assert any(c.action.startswith("imp:rm") for c in preview.choices)
    assert (await staff_services.repo.counts())["products"] == 164
    apply = next(c.action for c in preview.choices if c.action.startswith("imp:ok"))
    (done,) = await router.handle(req(action=apply))
    assert "1 thêm mới, 0 cập nhật, 0 xoá" in done.text
    assert (await staff_services.repo.counts())["products"] == 165
    (stale,) = await router.handle(req(action=apply))
    assert "không còn dùng được" in stale.text


async def test_upload_by_non_admin_is_refused(staff_services):
    content = (REPO / "tests" / "data" / "good_products.csv").read_bytes()
    (reply,) = await Router(staff_services).handle(req(attachment=Attachment("g.csv", content), user="1"))
    assert reply.text == "Lệnh này chỉ dành cho cán bộ OCOP."
    assert (await staff_services.repo.counts())["products"] == 164


async def test_unreadable_upload(staff_services):
    (reply,) = await Router(staff_services).handle(req(attachment=Attachment("x.xlsx", b"not a zip file")))
    assert reply.text == "Không nhập tệp x.xlsx: không phải tệp Excel (tệp .xlsx là một tệp nén zip; tệp này thì không)"


async def test_stats_show_top_and_empty_queries_without_user_ids(staff_services):
    router = Router(staff_services)
    for text in ("mật ong", "mật ong", "sầu riêng", "sầu riêng", "sầu riêng"):
        await router.handle(req(text, user="55"))
    (reply,) = await router.handle(req("", command="stats"))
    top, empty = reply.text.split("Tìm nhiều nhưng không thấy")
    assert "2  mật ong" in top and "3  sầu riêng" in top
    assert "3  sầu riêng" in empty and "mật ong" not in empty
    with sqlite3.connect(staff_services.config.database_path) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(search_log)")]
    assert not any("user" in c or "chat" in c for c in columns)


async def test_fair_reminders_once_per_event_and_user(staff_services):
    services = staff_services
    snapshot = await services.catalogue.get()
    event = next(e for e in snapshot.catalogue.events if e.start_date and e.start_date.year == 2026)
    services.today = lambda: event.start_date.replace(day=event.start_date.day - 2)
    await services.repo.subscribe("telegram", "1", "vi")
    assert await schedule_reminders(services) == 1
    assert await schedule_reminders(services) == 0  # a restart schedules nothing twice
    await services.repo.subscribe("zalo", "z9", "en")
    assert await schedule_reminders(services) == 1  # a new subscriber joins the same reminder
    with sqlite3.connect(services.config.database_path) as conn:
        rows = conn.execute("SELECT count(*), count(DISTINCT broadcast_id) FROM deliveries").fetchone()
        text = conn.execute("SELECT text_vi FROM broadcasts WHERE reminder_event_id = ?", (event.id,)).fetchone()[0]
    assert rows == (2, 1)
    assert event.name in text and event.start_date.strftime("%d/%m/%Y") in text


async def test_forget_removes_queued_deliveries_too(staff_services):
    router = Router(staff_services)
    await router.handle(req(command="subscribe", user="55"))
    (preview,) = await router.handle(req("Tin mới", command="announce"))
    await router.handle(req(action=next(c.action for c in preview.choices if c.action.startswith("ann:ok"))))
    with sqlite3.connect(staff_services.config.database_path) as conn:
        assert conn.execute("SELECT count(*) FROM deliveries WHERE chat_id = '55'").fetchone()[0] == 1
    await router.handle(req(command="forget", user="55"))
    with sqlite3.connect(staff_services.config.database_path) as conn:
        assert conn.execute("SELECT count(*) FROM deliveries WHERE chat_id = '55'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM subscribers WHERE chat_id = '55'").fetchone()[0] == 0


def _age_draft(db, broadcast_id: int, minutes: int) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE broadcasts SET created_at = datetime('now', ?) WHERE id = ?", (f"-{minutes} minutes", broadcast_id)
        )


async def test_old_draft_is_not_sent_by_a_later_ok(staff_services):
    # Reproduced: a 90-day-old draft went to every subscriber on a later "ok".
    router = Router(staff_services)
    db = staff_services.config.database_path
    await staff_services.repo.subscribe("zalo", "z1", "vi")
    await router.handle(req("Hội chợ cũ", command="announce", user="zadmin", platform="zalo"))
    _age_draft(db, 1, 90 * 24 * 60)
    await router.handle(req("mật ong", user="zadmin", platform="zalo"))
    (reply,) = await router.handle(req("ok", user="zadmin", platform="zalo"))
    assert "Đã xếp" not in reply.text
    assert queued(db) == 0


async def test_typed_yes_counts_only_as_the_next_message(staff_services):
    router = Router(staff_services)
    db = staff_services.config.database_path
    await staff_services.repo.subscribe("zalo", "z1", "vi")
    await router.handle(req("Tuần hàng OCOP", command="announce", user="zadmin", platform="zalo"))
    await router.handle(req("mật ong", user="zadmin", platform="zalo"))  # something else in between
    await router.handle(req("có", user="zadmin", platform="zalo"))
    assert queued(db) == 0
    # Another preview, then "ok" straight after it: sent.
    await router.handle(req("Tuần hàng OCOP 2", command="announce", user="zadmin", platform="zalo"))
    (done,) = await router.handle(req("ok", user="zadmin", platform="zalo"))
    assert "Đã xếp thông báo #2" in done.text


async def test_expired_draft_button_is_refused(staff_services):
    router = Router(staff_services)
    db = staff_services.config.database_path
    await staff_services.repo.subscribe("telegram", "1", "vi")
    (preview,) = await router.handle(req("Hội chợ", command="announce"))
    confirm = next(c.action for c in preview.choices if c.action.startswith("ann:ok"))
    _age_draft(db, 1, 31)
    (reply,) = await router.handle(req(action=confirm))
    assert "30 phút" in reply.text
    assert queued(db) == 0 or (await staff_services.repo.broadcast(1)).status == "cancelled"
    assert (await staff_services.repo.delivery_counts(1)).get("pending", 0) == 0


async def test_ok_in_reply_to_the_preview_confirms_it(staff_services):
    router = Router(staff_services)
    db = staff_services.config.database_path
    await staff_services.repo.subscribe("telegram", "1", "vi")
    (preview,) = await router.handle(req("Hội chợ", command="announce"))
    await router.handle(req("mật ong"))
    actions = tuple(c.action for c in preview.choices)
    (done,) = await router.handle(req("ok", reply_to_actions=actions))
    assert "Đã xếp thông báo #1" in done.text
    assert queued(db) == 1
