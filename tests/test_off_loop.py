"""Slow work off the event loop: index rebuilds and upload parsing run in worker threads."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import threading
import time

import pytest

import bot.services
import handlers.staff
from bot.replies import Attachment, Request
from handlers.router import Router
from tests.conftest import REPO
from tests.test_staff import ADMIN, req, staff_services  # noqa: F401 (fixture)


async def _max_gap(until: asyncio.Future, step: float = 0.01) -> float:
    """The longest the loop went without running this ticker, until `until` is done."""
    worst, last = 0.0, time.perf_counter()
    while not until.done():
        await asyncio.sleep(step)
        now = time.perf_counter()
        worst, last = max(worst, now - last), now
    return worst


def _rebuild_with(services, monkeypatch, make_index) -> asyncio.Future:
    """An import elsewhere (the catalogue version goes up), then the rebuild, with `make_index`."""
    monkeypatch.setattr(bot.services, "SearchIndex", make_index)
    with sqlite3.connect(services.config.database_path) as conn:
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'catalogue_version'")
    return asyncio.ensure_future(services.catalogue.fresh())


async def test_index_rebuild_after_an_import_does_not_hold_the_loop(services, monkeypatch):
    # Reproduced: the rebuild ran on the loop (0.7 s at 20,000 products, 3.9 s at 100,000).
    real = bot.services.SearchIndex

    def slow_index(*args, **kwargs):
        time.sleep(0.6)  # stands in for a large catalogue
        return real(*args, **kwargs)

    old = await services.catalogue.get()
    rebuild = _rebuild_with(services, monkeypatch, slow_index)
    gap = await _max_gap(rebuild)
    assert gap < 0.3, f"the loop stalled {gap:.2f} s"
    new = await rebuild
    assert new is not old and new.catalogue.version == old.catalogue.version + 1


async def test_requests_during_a_rebuild_answer_from_the_current_snapshot(services, monkeypatch):
    real = bot.services.SearchIndex
    started = threading.Event()

    def slow_index(*args, **kwargs):
        started.set()
        time.sleep(0.5)
        return real(*args, **kwargs)

    old = await services.catalogue.get()
    rebuild = _rebuild_with(services, monkeypatch, slow_index)
    while not started.is_set():
        await asyncio.sleep(0.01)
    began = time.perf_counter()
    services.catalogue._checked_at = 0.0
    assert await services.catalogue.get() is old  # at once, not after the rebuild
    assert time.perf_counter() - began < 0.2
    assert (await rebuild) is not old


async def test_upload_is_parsed_in_a_worker_thread(staff_services, monkeypatch):  # noqa: F811
    threads = []
    real = handlers.staff.read_plan

    def spy(*args):
        threads.append(threading.current_thread())
        return real(*args)

    monkeypatch.setattr(handlers.staff, "read_plan", spy)
    content = (REPO / "tests" / "data" / "good_products.csv").read_bytes()
    (preview,) = await Router(staff_services).handle(req(attachment=Attachment("good.csv", content)))
    assert "1 thêm mới" in preview.text
    assert threads and threads[0] is not threading.main_thread()


@pytest.mark.parametrize("limit", ["bytes", "rows"])
async def test_upload_over_the_limits_is_refused_politely(staff_services, monkeypatch, limit):  # noqa: F811
    content = (REPO / "tests" / "data" / "good_products.csv").read_bytes()
    if limit == "bytes":
        content = content + b"\n" * 10_000_001
    else:
        limits = dataclasses.replace(staff_services.config.import_, max_rows=10)
        staff_services.config = dataclasses.replace(staff_services.config, import_=limits)
        content = content + b"\n" * 20
    request = Request("telegram", ADMIN, ADMIN, attachment=Attachment("big.csv", content))
    (reply,) = await Router(staff_services).handle(request)
    assert reply.text.startswith("Không nhập tệp big.csv: ")
    assert ("[import] max_file_bytes" if limit == "bytes" else "[import] max_rows") in reply.text
    assert (await staff_services.repo.counts())["products"] == 164


async def test_upload_the_adapter_did_not_download_is_called_too_large(staff_services):  # noqa: F811
    request = Request("telegram", ADMIN, ADMIN, attachment=Attachment("big.xlsx", b"", too_large=True))
    (reply,) = await Router(staff_services).handle(request)
    assert "quá lớn" in reply.text and "big.xlsx" in reply.text


async def test_the_message_that_notices_an_import_is_answered_without_waiting_for_the_rebuild(services, monkeypatch):
    # Reproduced in the soak: the one message that noticed the new version waited for the
    # whole rebuild (2 s at 40,000 products).
    real = bot.services.SearchIndex
    building, release = threading.Event(), threading.Event()

    def held_index(*args, **kwargs):
        building.set()
        release.wait(10)
        return real(*args, **kwargs)

    old = await services.catalogue.get()
    monkeypatch.setattr(bot.services, "SearchIndex", held_index)
    with sqlite3.connect(services.config.database_path) as conn:
        conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'catalogue_version'")
    services.catalogue._checked_at = 0.0
    try:
        assert await asyncio.wait_for(services.catalogue.get(), 5) is old  # while the new index is held
        assert await asyncio.to_thread(building.wait, 5)
    finally:
        release.set()
    await services.catalogue.settled()
    new = await services.catalogue.get()
    assert new is not old and new.catalogue.version == old.catalogue.version + 1
