"""The Zalo bot by long polling against the fake Zalo server: whole conversations over real HTTP."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest

from bot.services import Services, build_services
from bot.zalo.adapter import ZaloBot
from bot.zalo.client import ZaloClient
from bot.zalo.polling import Backoff, poll_forever
from tests.conftest import TODAY, make_config
from tests.fakes.zalo_api import FakeZalo

TOKEN = "1234567890:zalo-bot-secret-token"


@pytest.fixture
def fake() -> Iterator[FakeZalo]:
    with FakeZalo(TOKEN) as server:
        yield server


@asynccontextmanager
async def running_bot(services: Services, fake: FakeZalo, *, graceful: bool = False) -> AsyncIterator[ZaloBot]:
    """A poller as `ocop-bot zalo` runs it, with short poll and back-off times.

    `graceful` stops as one SIGTERM does (the poll in flight completes); otherwise as
    two do, which is quicker for tests that don't restart.
    """
    client = ZaloClient(TOKEN, fake.base_url, timeout=5.0)
    bot = ZaloBot(services, client)
    stop, force = asyncio.Event(), asyncio.Event()
    poller = poll_forever(bot, client, stop, poll_timeout=1, backoff=Backoff(0.01, 0.05), force=force)
    task = asyncio.create_task(poller)
    try:
        yield bot
    finally:
        stop.set()
        if not graceful:
            force.set()
        status = await asyncio.wait_for(task, 5)
        await client.close()
        assert status == 0


@pytest.fixture
async def bot(services: Services, fake: FakeZalo) -> AsyncIterator[ZaloBot]:
    async with running_bot(services, fake) as running:
        yield running


async def say(fake: FakeZalo, user: str, text: str, expect: int = 1) -> list[str]:
    """Send `text` as `user`; return the `expect` new messages the bot answered with."""
    before = len(fake.messages_to(user))
    fake.push_text(user, text)
    got = await fake.wait_for_messages(user, before + expect)
    return got[before:]


def numbered(message: str) -> dict[int, str]:
    out = {}
    for line in message.splitlines():
        head, dot, rest = line.partition(". ")
        if dot and head.isdigit():
            out[int(head)] = rest
    return out


async def card_title_for(services: Services, label: str) -> str:
    """The card's first line for a list label such as "Mật ong (Bảo Yên) (4★ · Bảo Yên)"."""
    display = label.rsplit(" (", 1)[0]
    snapshot = await services.catalogue.get()
    product = next(p for p in snapshot.catalogue.products if p.display_name == display)
    return f"🏷 {product.name}"


# --- conversations ---


async def test_search_then_number_gives_that_card(services: Services, fake: FakeZalo, bot: ZaloBot) -> None:
    [listing] = await say(fake, "u1", "mật ong")
    items = numbered(listing)
    assert len(items) >= 2, listing
    assert services.i18n.t("vi", "choice.pick") in listing
    [card] = await say(fake, "u1", "2")
    assert card.splitlines()[0] == await card_title_for(services, items[2])
    assert "⭐" in card and "🔗" in card


async def test_a_restart_keeps_the_last_list(tmp_path, fake: FakeZalo) -> None:
    config = make_config(tmp_path)
    first = await build_services(config, today=lambda: TODAY)
    try:
        async with running_bot(first, fake, graceful=True):
            [listing] = await say(fake, "u2", "mật ong")
    finally:
        await first.close()
    second = await build_services(config, today=lambda: TODAY)  # a new process, same DB file
    try:
        async with running_bot(second, fake):
            [card] = await say(fake, "u2", "1")
        assert card.splitlines()[0] == await card_title_for(second, numbered(listing)[1])
    finally:
        await second.close()


async def test_lists_are_per_chat(services: Services, fake: FakeZalo, bot: ZaloBot) -> None:
    await say(fake, "a", "mật ong")
    [other] = await say(fake, "b", "2")  # b never saw a list: "2" is just text to b
    assert "🏷" not in other.splitlines()[0]


async def test_number_out_of_range(services: Services, fake: FakeZalo, bot: ZaloBot) -> None:
    [listing] = await say(fake, "u3", "mật ong")
    count = len(numbered(listing))
    [answer] = await say(fake, "u3", "42")
    assert answer == services.i18n.t("vi", "choice.out_of_range", n=42, max=count)
    [card] = await say(fake, "u3", "1")  # the list is still there
    assert card.startswith("🏷")


async def test_expired_list(services: Services, fake: FakeZalo, bot: ZaloBot) -> None:
    await say(fake, "u4", "mật ong")
    ttl = services.config.bot.choice_ttl_minutes * 60

    def age_the_list() -> bool:  # the list is saved once sent: it may land just after the reply
        with sqlite3.connect(services.config.database_path) as conn:  # shown long ago
            sql = "UPDATE choice_sessions SET created_at = created_at - ? WHERE chat_id = 'u4'"
            return conn.execute(sql, (ttl + 1,)).rowcount == 1

    await fake.wait_for(age_the_list)
    [answer] = await say(fake, "u4", "1")
    assert answer == services.i18n.t("vi", "choice.expired")


async def test_typing_an_option_word_picks_it(services: Services, fake: FakeZalo, bot: ZaloBot) -> None:
    [listing] = await say(fake, "u5", "mật ong")
    await say(fake, "u5", "2")  # a card with "🛒 Nơi mua" / "🗺 Bản đồ"
    [places] = await say(fake, "u5", "noi mua")
    assert places.startswith("Nơi mua/giới thiệu"), places


async def test_map_choice_gives_addresses_and_map_links(services: Services, fake: FakeZalo, bot: ZaloBot) -> None:
    await say(fake, "u6", "mật ong")
    await say(fake, "u6", "1")
    fake.push_text("u6", "bản đồ")  # the card's "🗺 Bản đồ" option, by its words
    await fake.wait_for(lambda: fake.pending_updates == 0)
    await fake.wait_for(lambda: "google.com/maps" in "".join(fake.messages_to("u6")[2:]))
    sent = fake.messages_to("u6")[2:]
    assert sent[0].startswith("Nơi mua/giới thiệu")
    assert all(1 <= len(text) <= 2000 for text in sent)


async def test_subscribe_unsubscribe_as_words_and_commands(services: Services, fake: FakeZalo, bot: ZaloBot) -> None:
    t = services.i18n.t
    assert await say(fake, "u7", "đăng ký") == [t("vi", "sub.done")]
    assert await services.repo.is_subscribed("zalo", "u7")
    assert await say(fake, "u7", "/subscribe") == [t("vi", "sub.already")]
    assert await say(fake, "u7", "huỷ đăng ký") == [t("vi", "sub.removed")]
    assert not await services.repo.is_subscribed("zalo", "u7")
    assert await say(fake, "u7", "subscribe") == [t("vi", "sub.done")]
    assert await say(fake, "u7", "/unsubscribe") == [t("vi", "sub.removed")]


async def test_forget_removes_every_row(services: Services, fake: FakeZalo, bot: ZaloBot) -> None:
    await say(fake, "u8", "english")  # stores a language
    await say(fake, "u8", "subscribe")
    await say(fake, "u8", "honey")  # stores a list
    [answer] = await say(fake, "u8", "forget")
    assert answer == services.i18n.t("en", "forget.done")
    with sqlite3.connect(services.config.database_path) as conn:
        for table, column in (("users", "user_id"), ("subscribers", "chat_id"), ("choice_sessions", "chat_id")):
            rows = conn.execute(f"SELECT count(*) FROM {table} WHERE platform = 'zalo' AND {column} = 'u8'")  # noqa: S608
            assert rows.fetchone()[0] == 0, table
    [again] = await say(fake, "u8", "xoá dữ liệu")  # and in Vietnamese, now the default again
    assert again == services.i18n.t("vi", "forget.done")


async def test_language_choice_is_used_for_own_texts(services: Services, fake: FakeZalo, bot: ZaloBot) -> None:
    await say(fake, "u9", "english")
    [listing] = await say(fake, "u9", "mật ong")
    [answer] = await say(fake, "u9", "99")
    assert answer == services.i18n.t("en", "choice.out_of_range", n=99, max=len(numbered(listing)))


async def test_non_text_events_get_a_polite_answer(services: Services, fake: FakeZalo, bot: ZaloBot) -> None:
    for event in ("message.image.received", "message.sticker.received", "message.unsupported.received"):
        before = len(fake.messages_to("u10"))
        fake.push_raw(
            {
                "event_name": event,
                "message": {
                    "from": {"id": "u10", "display_name": "K", "is_bot": False},
                    "chat": {"id": "u10", "chat_type": "PRIVATE"},
                    "message_id": f"m-{event}",
                    "date": int(time.time() * 1000),
                    "photo": "https://example.invalid/p.jpg",
                },
            }
        )
        got = await fake.wait_for_messages("u10", before + 1)
        assert got[-1] == services.i18n.t("vi", "zalo.non_text")


# --- failures never stop the loop ---


async def test_send_error_does_not_stop_the_loop(services: Services, fake: FakeZalo, bot: ZaloBot) -> None:
    fake.fail("sendMessage", 500, http_status=500)
    fake.push_text("e1", "xin chào")
    await fake.wait_for(lambda: any(not c.ok for c in fake.calls_to("sendMessage")))
    [answer] = await say(fake, "e1", "mật ong")
    assert numbered(answer)


async def test_handler_exception_still_answers(
    services: Services, fake: FakeZalo, bot: ZaloBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = bot.router.handle
    calls = 0

    async def flaky(request):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        return await real(request)

    monkeypatch.setattr(bot.router, "handle", flaky)
    assert await say(fake, "e2", "mật ong") == [services.i18n.t("vi", "error.generic")]
    [answer] = await say(fake, "e2", "mật ong")
    assert numbered(answer)


async def test_rate_limited_send_waits_and_retries(services: Services, fake: FakeZalo, bot: ZaloBot) -> None:
    fake.fail("sendMessage", 429, retry_after=0.2)
    started = time.monotonic()
    [answer] = await say(fake, "e3", "mật ong")
    assert numbered(answer)
    assert time.monotonic() - started >= 0.2
    assert len(fake.calls_to("sendMessage")) == 2


async def test_get_updates_failures_back_off_and_recover(services: Services, fake: FakeZalo, bot: ZaloBot) -> None:
    fake.fail("getUpdates", 500, http_status=502, times=2)
    fake.fail("getUpdates", 429, retry_after=0.1)
    [answer] = await say(fake, "e4", "mật ong")
    assert numbered(answer)


async def test_malformed_update_is_skipped(services: Services, fake: FakeZalo, bot: ZaloBot) -> None:
    fake.push_raw({"event_name": "message.text.received"})  # no message at all
    [answer] = await say(fake, "e5", "mật ong")
    assert numbered(answer)


async def test_blocked_chat_is_marked_inactive(services: Services, fake: FakeZalo, bot: ZaloBot) -> None:
    await say(fake, "e6", "đăng ký")
    fake.block_user("e6")
    fake.push_text("e6", "mật ong")
    await fake.wait_for(lambda: any(c.error_code == 403 for c in fake.calls_to("sendMessage")))
    await fake.wait_for(lambda: fake.pending_updates == 0)
    await asyncio.sleep(0.1)
    assert not await services.repo.is_subscribed("zalo", "e6")


async def test_stop_lets_the_poll_in_flight_finish_and_answers_it(services: Services, fake: FakeZalo) -> None:
    # getUpdates has no offset: an update handed to an abandoned poll would be lost.
    client = ZaloClient(TOKEN, fake.base_url, timeout=5.0)
    stop = asyncio.Event()
    task = asyncio.create_task(poll_forever(ZaloBot(services, client), client, stop, poll_timeout=3))
    await asyncio.sleep(0.3)  # the long poll is in flight
    stop.set()
    fake.push_text("s1", "mật ong")
    assert await asyncio.wait_for(task, 5) == 0
    assert len(fake.messages_to("s1")) == 1
    assert len(fake.calls_to("getUpdates")) == 1  # and no new poll after the stop
    await client.close()


async def test_forced_stop_is_prompt_during_a_long_poll(services: Services, fake: FakeZalo) -> None:
    client = ZaloClient(TOKEN, fake.base_url, timeout=5.0)
    stop, force = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(poll_forever(ZaloBot(services, client), client, stop, poll_timeout=30, force=force))
    await asyncio.sleep(0.2)  # the long poll is in flight
    started = time.monotonic()
    stop.set()
    force.set()
    assert await asyncio.wait_for(task, 3) == 0
    assert time.monotonic() - started < 1
    await client.close()


async def test_bad_token_ends_polling(services: Services, fake: FakeZalo) -> None:
    client = ZaloClient("999:wrong", fake.base_url, timeout=5.0)
    status = await asyncio.wait_for(poll_forever(ZaloBot(services, client), client, asyncio.Event()), 5)
    await client.close()
    assert status == 1


async def test_token_never_logged(
    services: Services, fake: FakeZalo, bot: ZaloBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.fail("sendMessage", 500, http_status=500)
    fake.push_text("e7", "xin chào")
    await fake.wait_for(lambda: any(not c.ok for c in fake.calls_to("sendMessage")))
    await say(fake, "e7", "mật ong")
    assert "HTTP Request" in caplog.text  # httpx did log the URLs...
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text  # ...without the token
