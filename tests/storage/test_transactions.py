"""One process, one repository, many coroutines: transactions never interleave."""

from __future__ import annotations

import asyncio
import contextlib
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
    before = (await repo.counts())["products"]
    importing = asyncio.create_task(repo.apply_import("products", product_records(3000)))
    await asyncio.sleep(0.005)
    importing.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await importing
    assert (await repo.counts())["products"] in (before, before + 3000)  # all or nothing
    await repo.subscribe("telegram", "2", "vi")  # not stuck behind a transaction nobody owns
    assert await repo.is_subscribed("telegram", "2")


async def test_other_tasks_never_see_an_open_transaction_and_do_not_wait_to_read(services):
    repo = services.repo
    inside, release = asyncio.Event(), asyncio.Event()

    async def staff_work() -> None:
        async with repo.transaction():
            await repo.subscribe("zalo", "z-open", "vi")
            assert await repo.is_subscribed("zalo", "z-open")  # its own rows, uncommitted
            inside.set()
            await release.wait()
            raise RuntimeError("changed my mind")

    task = asyncio.create_task(staff_work())
    await inside.wait()
    assert not await asyncio.wait_for(repo.is_subscribed("zalo", "z-open"), 1.0)
    writing = asyncio.create_task(repo.subscribe("zalo", "z-other", "vi"))
    await asyncio.sleep(0.05)
    assert not writing.done()  # a write waits for the transaction to end instead of joining it
    release.set()
    with pytest.raises(RuntimeError):
        await task
    assert await writing
    assert not await repo.is_subscribed("zalo", "z-open")
    assert await repo.is_subscribed("zalo", "z-other")


async def test_a_commit_is_seen_at_once_while_many_tasks_read(services):
    """Reads that overlapped on one connection used to hold one old snapshot open, so a task
    could not see its own committed write (the sender then sent a delivery twice)."""
    repo = services.repo
    stop = asyncio.Event()

    async def reader() -> None:
        while not stop.is_set():
            await repo.subscriber_counts()

    readers = [asyncio.create_task(reader()) for _ in range(20)]
    try:
        for i in range(100):
            await repo.subscribe("telegram", f"seen-{i}", "vi")
            assert await repo.is_subscribed("telegram", f"seen-{i}"), i
    finally:
        stop.set()
        await asyncio.gather(*readers)


async def test_nested_transaction_is_a_savepoint(services):
    repo = services.repo
    async with repo.transaction():
        await repo.subscribe("telegram", "outer", "vi")
        with pytest.raises(RuntimeError):
            async with repo.transaction():
                await repo.subscribe("telegram", "inner", "vi")
                raise RuntimeError("inner part fails")
    assert await repo.is_subscribed("telegram", "outer")
    assert not await repo.is_subscribed("telegram", "inner")


async def test_cancelled_while_waiting_for_begin_leaves_no_transaction_open(services):
    repo = services.repo
    other = sqlite3.connect(services.config.database_path, isolation_level=None)  # another process, say
    other.execute("BEGIN IMMEDIATE")
    try:
        importing = asyncio.create_task(repo.apply_import("products", product_records(3)))
        await asyncio.sleep(0.1)  # its BEGIN IMMEDIATE waits on the worker thread for the lock
        importing.cancel()
    finally:
        other.execute("ROLLBACK")  # now that BEGIN goes through, after its task has gone
        other.close()
    with contextlib.suppress(asyncio.CancelledError):
        await importing
    await repo.subscribe("telegram", "after-cancel", "vi")
    assert await repo.is_subscribed("telegram", "after-cancel")  # committed, not inside a stray BEGIN
