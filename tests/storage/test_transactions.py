"""One process, one repository, many coroutines: transactions never interleave."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.outbox_runtime import owner_alive


def product_records(n: int, *, bad_last: bool = False) -> list[dict]:
    records = [{"name": f"Sản phẩm thử {i}", "qualifier": "", "star": 3, "category": "Thực phẩm"} for i in range(n)]
    if bad_last:
        records[-1]["star"] = 7  # the CHECK constraint refuses it: the whole import rolls back
    return records


async def test_another_users_write_during_an_import_survives_its_rollback(services):
    repo = services.repo
    importing = asyncio.create_task(repo.apply_import("products", product_records(2000, bad_last=True)))
    await asyncio.sleep(0.01)  # the import is under way

    async def chat() -> None:
        await repo.subscribe("zalo", "z-during-import", "vi")
        await repo.set_user_language("zalo", "z-during-import", "en")

    await chat()
    with pytest.raises(sqlite3.IntegrityError):
        await importing
    assert await repo.is_subscribed("zalo", "z-during-import")
    assert await repo.user_language("zalo", "z-during-import") == "en"
    assert (await repo.counts())["products"] < 2000  # and the import itself left nothing


async def test_concurrent_transactions_on_one_connection_never_collide(services):
    repo = services.repo
    for i in range(50):
        await repo.subscribe("telegram", str(1000 + i), "vi")
    drafts = [await repo.create_draft("cli", "staff", "", f"Tin {i}", "", None) for i in range(5)]

    async def lease(i: int) -> bool:
        return await repo.acquire_lease(f"platform-{i % 3}", f"owner-{i}", 10.0, owner_alive)

    async def chat(i: int) -> None:
        await repo.log_search(f"mật ong {i}", "vi", "telegram", 1)
        await repo.save_choices("telegram", str(i), ["p:1"])

    results = await asyncio.gather(
        *(repo.confirm_broadcast(d) for d in drafts),
        *(lease(i) for i in range(20)),
        repo.apply_import("products", product_records(300)),
        repo.ensure_reminder(1, "Nhắc", "Reminder"),
        *(chat(i) for i in range(50)),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    assert results[:5] == [50] * 5
    counts = await repo.delivery_counts(drafts[0])
    assert counts["pending"] == 50
    assert (await repo.counts())["products"] >= 300
    assert len(await repo.top_queries(1, 100, only_empty=False)) == 50


async def test_a_failed_transaction_leaves_the_connection_usable(services):
    repo = services.repo
    with pytest.raises(sqlite3.IntegrityError):
        await repo.apply_import("products", product_records(5, bad_last=True))
    # Nothing half-done stays open: the next transaction and plain writes work.
    draft = await repo.create_draft("cli", "staff", "", "Tin", "", None)
    assert await repo.confirm_broadcast(draft) == 0
    await repo.subscribe("telegram", "1", "vi")
    assert await repo.is_subscribed("telegram", "1")


async def test_a_cancelled_transaction_rolls_back_and_releases(services):
    repo = services.repo
    importing = asyncio.create_task(repo.apply_import("products", product_records(3000)))
    await asyncio.sleep(0.01)
    importing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await importing
    seeded = len((await repo.load_catalogue()).products)
    assert (await repo.counts())["products"] in (seeded, seeded + 3000) or seeded >= 3000  # all or nothing
    await repo.subscribe("telegram", "2", "vi")  # not stuck behind a transaction nobody owns
    assert await repo.is_subscribed("telegram", "2")
