"""Announcements through the real clients against the fake Telegram and Zalo servers."""

import asyncio
import sqlite3

from telegram import Bot

from bot.outbox import OutboxSender
from bot.transports import TelegramTransport, ZaloTransport
from bot.zalo.client import ZaloClient
from tests.outbox.conftest import add_subscribers, delivered


# The same at 10,000 subscribers is `python bench/broadcast.py` (README); 2,000 keeps the suite short.
async def test_two_thousand_subscribers_with_429s_and_blocked_users(services, fake_telegram, fake_zalo, monkeypatch):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    db = services.config.database_path
    tg, za = add_subscribers(db, 1200, 800, english_every=10)
    blocked_tg, blocked_za = set(tg[::20]), set(za[::20])  # 5% of each platform
    for chat in blocked_tg:
        fake_telegram.block_user(chat)
    for chat in blocked_za:
        fake_zalo.block_user(chat)
    fake_telegram.rate_limit_every(20, retry_after=0.02)
    fake_zalo.rate_limit_every(20)

    draft = await services.repo.create_draft("cli", "staff", "", "Hội chợ OCOP tháng 12", "OCOP fair in December", None)
    assert await services.repo.confirm_broadcast(draft) == 2_000
    assert await services.repo.confirm_broadcast(draft) is None  # confirming twice queues nothing more

    bot = Bot("123:ABC", base_url=fake_telegram.base_url)
    await bot.initialize()
    zalo = ZaloClient(fake_zalo.token, fake_zalo.base_url)
    try:
        tg_sender = OutboxSender(services.repo, TelegramTransport(bot), rate=10_000, concurrency=8)
        za_sender = OutboxSender(
            services.repo, ZaloTransport(zalo, default_retry_after=0.02), rate=10_000, concurrency=8
        )
        tg_stats, za_stats = await asyncio.gather(tg_sender.drain(within=240), za_sender.drain(within=240))
    finally:
        await bot.shutdown()
        await zalo.close()

    tg_copies = delivered(fake_telegram, tg)
    za_copies = delivered(fake_zalo, za)
    assert all(n == 1 for chat, n in tg_copies.items() if chat not in blocked_tg)
    assert all(n == 1 for chat, n in za_copies.items() if chat not in blocked_za)
    assert all(tg_copies[c] == 0 for c in blocked_tg) and all(za_copies[c] == 0 for c in blocked_za)
    assert tg_stats.rate_limited > 50 and za_stats.rate_limited > 30  # the 429s really happened
    counts = await services.repo.delivery_counts(draft)
    assert counts == {"pending": 0, "sent": 1_900, "blocked": 100, "failed": 0}
    with sqlite3.connect(db) as conn:
        inactive = conn.execute("SELECT count(*) FROM subscribers WHERE active = 0").fetchone()[0]
    assert inactive == 100
    assert (await services.repo.broadcast(draft)).status == "done"
    # English subscribers got the English text, the others the Vietnamese one.
    texts = {c.params["chat_id"]: c.params["text"] for c in fake_telegram.calls_for("sendMessage", failed=False)}
    assert texts[tg[10]] == "OCOP fair in December" and texts[tg[1]] == "Hội chợ OCOP tháng 12"


async def test_transient_errors_retry_then_fail_after_max_attempts_and_the_retry_window(
    services, fake_telegram, monkeypatch
):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    tg, _ = add_subscribers(services.config.database_path, 3, 0)
    fake_telegram.fail("sendMessage", 500, chat_id=tg[0], times=2)  # recovers on the third try
    fake_telegram.fail("sendMessage", 502, chat_id=tg[1], times=None)  # never recovers
    draft = await services.repo.create_draft("cli", "staff", "", "Tin thử", "", None)
    await services.repo.confirm_broadcast(draft)
    bot = Bot("123:ABC", base_url=fake_telegram.base_url)
    await bot.initialize()
    try:
        sender = OutboxSender(
            services.repo, TelegramTransport(bot), rate=1000, max_attempts=3, base_backoff=0.05, retry_for=0.5
        )
        await sender.drain(within=30)
    finally:
        await bot.shutdown()
    copies = delivered(fake_telegram, tg)
    assert copies == {tg[0]: 1, tg[1]: 0, tg[2]: 1}
    assert await services.repo.delivery_counts(draft) == {"pending": 0, "sent": 2, "blocked": 0, "failed": 1}


async def test_scheduled_announcement_waits_for_its_time(services, fake_zalo):
    _, za = add_subscribers(services.config.database_path, 0, 2)
    later = await services.repo.create_draft("cli", "s", "", "Sau", "", "2099-01-01T00:00:00")
    await services.repo.confirm_broadcast(later)
    zalo = ZaloClient(fake_zalo.token, fake_zalo.base_url)
    try:
        await OutboxSender(services.repo, ZaloTransport(zalo), rate=100).drain(within=5)
    finally:
        await zalo.close()
    assert delivered(fake_zalo, za) == {za[0]: 0, za[1]: 0}
    assert (await services.repo.delivery_counts(later))["pending"] == 2
