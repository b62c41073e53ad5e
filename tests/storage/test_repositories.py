"""The area repositories' native upserts keep the old row-by-row meaning."""

from __future__ import annotations

import sqlite3

from bot.storage import Delivery


def rows(db, sql: str, params=()) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


async def test_import_updates_only_the_columns_the_file_has(services):
    repo, db = services.repo, services.config.database_path
    first = [{"name": "Chè thử", "qualifier": "", "star": 4, "year": 2021, "category": "Đồ uống"}]
    assert await repo.apply_import("products", first) == (1, 0, 0)
    version = await repo.catalogue_version()
    again = [{"name": "Chè thử", "qualifier": "", "star": 5}]  # a sheet without "Năm"
    assert await repo.apply_import("products", again) == (0, 1, 0)
    assert rows(db, "SELECT star, year, category FROM products WHERE name = 'Chè thử'") == [(5, 2021, "Đồ uống")]
    assert await repo.catalogue_version() == version + 1


async def test_event_without_a_start_date_is_updated_not_duplicated(services):
    repo, db = services.repo, services.config.database_path
    event = {"name": "Chợ phiên thử", "start_date": None, "end_date": "2026-12-01", "place": "Bắc Hà"}
    assert await repo.apply_import("events", [event]) == (1, 0, 0)
    assert await repo.apply_import("events", [{**event, "place": "Sa Pa"}]) == (0, 1, 0)
    assert rows(db, "SELECT place FROM events WHERE name = 'Chợ phiên thử'") == [("Sa Pa",)]


async def test_remove_missing_deletes_unnamed_rows_and_their_shop_links(services):
    repo, db = services.repo, services.config.database_path
    keep = {"name": "Giữ lại", "qualifier": "", "star": 3}
    await repo.apply_import("products", [keep, {"name": "Bỏ đi", "qualifier": "", "star": 3}])
    (gone_id,) = rows(db, "SELECT id FROM products WHERE name = 'Bỏ đi'")[0]
    link = {"product_id": gone_id, "platform": "shopee", "url": "https://example.org/x", "source_url": ""}
    await repo.apply_import("products", [], shop_links=[link, link])  # the same link twice: stored once
    assert rows(db, "SELECT count(*) FROM shop_links WHERE product_id = ?", (gone_id,)) == [(1,)]
    seeded = (await repo.counts())["products"]
    added, updated, removed = await repo.apply_import("products", [keep], remove_missing=True)
    assert (added, updated, removed) == (0, 0, seeded - 1)  # "Giữ lại" is unchanged: not an update
    assert rows(db, "SELECT name FROM products") == [("Giữ lại",)]
    assert rows(db, "SELECT count(*) FROM shop_links") == [(0,)]


async def test_people_upserts(services):
    repo = services.repo
    assert await repo.subscribe("zalo", "z1", "vi") is True
    assert await repo.subscribe("zalo", "z1", "en") is False  # already active: unchanged
    await repo.mark_inactive("zalo", "z1", "blocked")
    assert await repo.subscribe("zalo", "z1", "en") is True  # back again
    await repo.set_user_language("zalo", "z1", "ko")
    assert await repo.user_language("zalo", "z1") == "ko"
    assert await repo.subscriber_counts() == {"zalo": 1}
    first = await repo.save_query("mật ong")
    assert await repo.save_query("mật ong") == first and await repo.saved_query(first) == "mật ong"
    await repo.save_choices("zalo", "z1", ["p:1"])
    await repo.save_choices("zalo", "z1", ["p:2", "p:3"])
    assert await repo.load_choices("zalo", "z1", 60) == ["p:2", "p:3"]


async def test_forget_spans_the_areas_in_one_transaction(services):
    repo = services.repo
    await repo.subscribe("telegram", "9", "vi")
    await repo.set_user_language("telegram", "9", "en")
    await repo.save_choices("telegram", "9", ["p:1"])
    await repo.save_pending_import("telegram", "9", "products", [{"name": "x"}])
    draft = await repo.create_draft("cli", "staff", "", "Tin", "", None)
    assert await repo.confirm_broadcast(draft) == 1
    assert await repo.forget("telegram", "9", "9") == 5  # user, subscriber, list, delivery, upload
    assert not await repo.is_subscribed("telegram", "9")
    assert await repo.delivery_counts(draft) == {"pending": 0, "sent": 0, "blocked": 0, "failed": 0}


async def test_outbox_claims_and_closes(services):
    repo = services.repo
    await repo.subscribe("telegram", "1", "vi")
    await repo.subscribe("telegram", "2", "en")
    import_id = await repo.save_pending_import("telegram", "staff", "products", [{"name": "x"}])
    assert await repo.take_pending_import(import_id, "telegram", "staff") == ("products", [{"name": "x"}])
    assert await repo.take_pending_import(import_id, "telegram", "staff") is None  # applied once
    draft = await repo.create_draft("cli", "staff", "", "Tin", "News", None)
    assert await repo.confirm_broadcast(draft) == 2
    assert await repo.confirm_broadcast(draft) is None
    due = await repo.due_deliveries("telegram", 10)
    assert {(d.chat_id, d.text) for d in due} == {("1", "Tin"), ("2", "News")}
    await repo.mark_delivery(due[0], "sent")
    await repo.mark_delivery(due[1], "blocked", error="Forbidden")
    assert not await repo.is_subscribed("telegram", due[1].chat_id)
    assert await repo.finish_broadcasts() == [draft]
    assert await repo.finish_broadcasts() == []
    assert (await repo.broadcast(draft)).status == "done"
    assert isinstance(due[0], Delivery)
    assert await repo.ensure_reminder(1, "Nhắc", "Reminder") == 1  # the one active subscriber
    assert await repo.ensure_reminder(1, "Nhắc", "Reminder") == 0
