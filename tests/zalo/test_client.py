"""ZaloClient against the fake Zalo server (real HTTP on 127.0.0.1), plus pure helpers."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import traceback
import unicodedata
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio

from bot.zalo.client import TokenRedactingFilter, ZaloClient, redact, split_text
from bot.zalo.errors import (
    ZaloBadRequest,
    ZaloError,
    ZaloForbidden,
    ZaloNetworkError,
    ZaloRateLimited,
    ZaloServerError,
    ZaloUnauthorized,
)
from bot.zalo.types import ZaloUpdate, parse_update
from tests.fakes.zalo_api import FakeZalo

TOKEN = "1234567890:zalo-secret-abcdef"


@pytest.fixture
def fake() -> Iterator[FakeZalo]:
    with FakeZalo(TOKEN) as server:
        yield server


@pytest_asyncio.fixture
async def client(fake: FakeZalo) -> AsyncIterator[ZaloClient]:
    async with ZaloClient(TOKEN, fake.base_url, timeout=5.0) as zalo:
        yield zalo


def assert_no_token(exc: BaseException, token: str = TOKEN) -> None:
    # The whole printed traceback, chained causes included, must be clean.
    printed = "".join(traceback.format_exception(exc))
    for text in (str(exc), repr(exc), printed):
        assert token not in text
        assert token.split(":")[1] not in text


# --- happy paths ---


@pytest.mark.asyncio
async def test_get_me(client: ZaloClient) -> None:
    me = await client.get_me()
    assert me["id"] == "1234567890"
    assert me["account_type"] == "BASIC"


@pytest.mark.asyncio
async def test_send_message_is_recorded(client: ZaloClient, fake: FakeZalo) -> None:
    result = await client.send_message("chat-1", "Xin chào 🍯")
    assert isinstance(result["message_id"], str)
    assert isinstance(result["date"], int)
    assert fake.messages_to("chat-1") == ["Xin chào 🍯"]
    assert fake.messages_to("other") == []
    assert await fake.wait_for_messages("chat-1", 1, timeout=1) == ["Xin chào 🍯"]


@pytest.mark.asyncio
@pytest.mark.parametrize("text", ["", "x" * 2001, "🍯" * 1001])
async def test_send_message_rejects_bad_length_locally(client: ZaloClient, fake: FakeZalo, text: str) -> None:
    with pytest.raises(ValueError, match="1..2000"):
        await client.send_message("chat-1", text)
    assert fake.calls == []


@pytest.mark.asyncio
async def test_send_message_accepts_exactly_2000(client: ZaloClient, fake: FakeZalo) -> None:
    await client.send_message("chat-1", "a" * 2000)
    assert fake.messages_to("chat-1") == ["a" * 2000]


@pytest.mark.asyncio
async def test_get_updates_returns_pushed_update_then_none(client: ZaloClient, fake: FakeZalo) -> None:
    message_id = fake.push_text("user-7", "mật ong Bắc Hà", display_name="Lan")
    update = await client.get_updates(timeout=1)
    assert update == ZaloUpdate(
        event_name="message.text.received",
        message_id=message_id,
        chat_id="user-7",
        chat_type="PRIVATE",
        user_id="user-7",
        display_name="Lan",
        text="mật ong Bắc Hà",
        date_ms=update.date_ms if update else None,
    )
    assert update is not None and update.date_ms and update.date_ms > 1_600_000_000_000
    assert await client.get_updates(timeout=1) is None
    assert fake.calls[-1].error_code == 408 and not fake.calls[-1].ok


@pytest.mark.asyncio
async def test_get_updates_hands_out_one_update_per_call(client: ZaloClient, fake: FakeZalo) -> None:
    fake.push_text("u1", "one")
    fake.push_text("u2", "two", chat_id="g1")
    first, second = (
        await client.get_updates(timeout=1),
        await client.get_updates(timeout=1),
    )
    assert first is not None and first.text == "one"
    assert second is not None and (second.chat_id, second.user_id) == ("g1", "u2")


@pytest.mark.asyncio
async def test_get_updates_408_as_http_status_is_none(client: ZaloClient, fake: FakeZalo) -> None:
    fake.fail("getUpdates", 408, http_status=408)
    assert await client.get_updates(timeout=1) is None


@pytest.mark.asyncio
async def test_send_chat_action(client: ZaloClient, fake: FakeZalo) -> None:
    assert await client.send_chat_action("chat-1") is None
    assert fake.calls_to("sendChatAction")[0].params == {
        "chat_id": "chat-1",
        "action": "typing",
    }


@pytest.mark.asyncio
async def test_webhook_lifecycle_excludes_polling(client: ZaloClient, fake: FakeZalo) -> None:
    with pytest.raises(ValueError, match="8..256"):
        await client.set_webhook("https://example.org/zalo", "short")
    hook = await client.set_webhook("https://example.org/zalo", "s3cret-token")
    assert hook["url"] == "https://example.org/zalo"
    assert (await client.get_webhook_info())["url"] == "https://example.org/zalo"
    with pytest.raises(ZaloBadRequest, match="webhook"):
        await client.get_updates(timeout=1)
    assert (await client.delete_webhook())["url"] == ""
    assert await client.get_updates(timeout=0) is None


# --- errors ---


@pytest.mark.asyncio
@pytest.mark.parametrize("auth_status", [None, 401])
async def test_wrong_token_is_unauthorized_without_leaking(
    auth_status: int | None,
) -> None:
    wrong = "999:definitely-not-the-token"
    with FakeZalo(TOKEN, auth_error_status=auth_status) as server:
        async with ZaloClient(wrong, server.base_url) as zalo:
            with pytest.raises(ZaloUnauthorized) as info:
                await zalo.get_me()
        assert server.calls[0].http_status == (auth_status or 200)
    assert info.value.error_code == 401
    assert info.value.description == "Unauthorized"
    assert_no_token(info.value, wrong)


@pytest.mark.asyncio
async def test_429_is_rate_limited_with_retry_after(client: ZaloClient, fake: FakeZalo) -> None:
    fake.fail("sendMessage", 429, retry_after=3)
    with pytest.raises(ZaloRateLimited) as info:
        await client.send_message("chat-1", "hi")
    assert info.value.retry_after == 3.0
    assert "Quota exceeded" in str(info.value)
    assert fake.calls[0].ok is False
    await client.send_message("chat-1", "hi")  # the fault was for one call only
    assert fake.messages_to("chat-1") == ["hi"]


@pytest.mark.asyncio
async def test_rate_limit_every_nth_send(client: ZaloClient, fake: FakeZalo) -> None:
    fake.rate_limit_every(2)
    await client.send_message("c", "1")
    with pytest.raises(ZaloRateLimited) as info:
        await client.send_message("c", "2")
    assert info.value.retry_after is None
    await client.send_message("c", "3")
    assert fake.messages_to("c") == ["1", "3"]


@pytest.mark.asyncio
async def test_blocked_user_is_forbidden(client: ZaloClient, fake: FakeZalo) -> None:
    fake.block_user("chat-9")
    with pytest.raises(ZaloForbidden) as info:
        await client.send_message("chat-9", "hello")
    assert info.value.error_code == 403
    await client.send_message("chat-1", "others still work")
    assert fake.messages_to("chat-9") == []


@pytest.mark.asyncio
async def test_ok_false_with_http_200_still_raises(client: ZaloClient, fake: FakeZalo) -> None:
    fake.fail("getMe", 400, description="Bad Request: nope")
    with pytest.raises(ZaloBadRequest, match="nope") as info:
        await client.get_me()
    assert fake.calls[0].http_status == 200
    assert info.value.method == "getMe"


@pytest.mark.asyncio
async def test_fault_targets_one_chat(client: ZaloClient, fake: FakeZalo) -> None:
    fake.fail("sendMessage", 404, chat_id="gone")
    await client.send_message("here", "ok")
    with pytest.raises(ZaloBadRequest):
        await client.send_message("gone", "lost")


@pytest.mark.asyncio
async def test_unknown_error_code_is_base_error(client: ZaloClient, fake: FakeZalo) -> None:
    fake.fail("getMe", 426)
    with pytest.raises(ZaloError) as info:
        await client.get_me()
    assert type(info.value) is ZaloError and info.value.error_code == 426


@pytest.mark.asyncio
async def test_server_errors(client: ZaloClient, fake: FakeZalo) -> None:
    fake.fail("getMe", 500, http_status=500)
    with pytest.raises(ZaloServerError):
        await client.get_me()
    fake.fail("getMe", 502, http_status=502, body="<html>Bad Gateway</html>")
    with pytest.raises(ZaloServerError, match="not a Zalo JSON envelope"):
        await client.get_me()
    fake.fail("getMe", 200, body="surprise")  # HTTP 200 but not JSON
    with pytest.raises(ZaloServerError):
        await client.get_me()


@pytest.mark.asyncio
async def test_non_json_429_from_a_proxy_still_backs_off(client: ZaloClient, fake: FakeZalo) -> None:
    fake.fail("sendMessage", 429, http_status=429, body="<html>slow down</html>")
    with pytest.raises(ZaloRateLimited):
        await client.send_message("c", "x")


@pytest.mark.asyncio
async def test_unknown_method_is_bad_request(client: ZaloClient) -> None:
    with pytest.raises(ZaloBadRequest) as info:
        await client._call("sendTeleport")
    assert info.value.error_code == 404


@pytest.mark.asyncio
async def test_connection_refused_is_network_error_without_token() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with ZaloClient(TOKEN, f"http://127.0.0.1:{port}") as zalo:
        with pytest.raises(ZaloNetworkError) as info:
            await zalo.send_message("chat-1", "hi")
    assert info.value.error_code is None
    assert "ConnectError" in str(info.value)
    assert info.value.__context__ is None and info.value.__cause__ is None
    assert_no_token(info.value)


@pytest.mark.asyncio
async def test_slow_answer_is_network_error(fake: FakeZalo) -> None:
    fake.delay("sendMessage", 2)
    async with ZaloClient(TOKEN, fake.base_url, timeout=0.3) as zalo:
        with pytest.raises(ZaloNetworkError, match="Timeout") as info:
            await zalo.send_message("chat-1", "hi")
    assert_no_token(info.value)


# --- redaction ---


def test_redact_raw_and_percent_encoded() -> None:
    url = f"https://h/bot{TOKEN}/getMe and https://h/bot1234567890%3Azalo-secret-abcdef/x"
    assert redact(url, TOKEN) == "https://h/bot<redacted>/getMe and https://h/bot<redacted>/x"
    assert redact("nothing", "") == "nothing"


def test_filter_scrubs_httpx_style_record(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    caplog.handler.addFilter(TokenRedactingFilter(TOKEN))
    url = httpx.URL(f"https://bot-api.zaloplatforms.com/bot{TOKEN}/sendMessage")
    # Same call shape as httpx's own request log line.
    logging.getLogger("httpx").info('HTTP Request: %s %s "%s %d %s"', "POST", url, "HTTP/1.1", 200, "OK")
    assert TOKEN not in caplog.text
    assert "/bot<redacted>/sendMessage" in caplog.text


def test_filter_scrubs_exception_text(caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(TokenRedactingFilter(TOKEN))
    try:
        raise RuntimeError(f"boom at /bot{TOKEN}/getMe")
    except RuntimeError:
        logging.getLogger("bot.test").exception("failed %s", TOKEN)
    assert TOKEN not in caplog.text
    assert caplog.text.count("<redacted>") == 2


@pytest.mark.asyncio
async def test_client_redacts_httpx_logs_by_default(fake: FakeZalo, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    async with ZaloClient(TOKEN, fake.base_url) as zalo:
        installed = zalo._log_filter
        await zalo.get_me()
    assert "HTTP Request" in caplog.text
    assert TOKEN not in caplog.text
    assert "/bot<redacted>/getMe" in caplog.text
    assert installed not in logging.getLogger("httpx").filters  # removed again on close


# --- the fake itself ---


@pytest.mark.asyncio
async def test_fake_accepts_query_form_and_string_timeout(fake: FakeZalo) -> None:
    async with httpx.AsyncClient(base_url=f"{fake.base_url}/bot{TOKEN}") as http:
        assert (await http.get("/getUpdates", params={"timeout": "0"})).json()["error_code"] == 408
        fake.push_text("u1", "hi")
        polled = (await http.post("/getUpdates", json={"timeout": "1"})).json()
        assert polled["ok"] and polled["result"]["message"]["text"] == "hi"
        sent = await http.post("/sendMessage", data={"chat_id": "u1", "text": "form"})
        assert sent.json()["ok"]
        missing = (await http.post("/sendMessage", json={"text": "no chat"})).json()
        assert missing["error_code"] == 400
    assert fake.messages_to("u1") == ["form"]
    assert [c.ok for c in fake.calls_to("sendMessage")] == [True, False]


@pytest.mark.asyncio
async def test_fake_error_status_mirrors_code_when_asked() -> None:
    with FakeZalo(TOKEN, error_status=None) as server:
        async with httpx.AsyncClient() as http:
            answer = await http.post(f"{server.base_url}/bot{TOKEN}/nope", json={})
    assert answer.status_code == 404 and answer.json()["ok"] is False


@pytest.mark.asyncio
async def test_stop_releases_a_pending_long_poll() -> None:
    server = FakeZalo(TOKEN).start()
    async with ZaloClient(TOKEN, server.base_url) as zalo:
        poll = asyncio.create_task(zalo.get_updates(timeout=30))
        await asyncio.sleep(0.3)  # let the long-poll reach the server
        started = time.monotonic()
        await asyncio.to_thread(server.stop)
        assert await poll is None  # answered 408 on shutdown
        assert time.monotonic() - started < 3


# --- parse_update ---

GOOD = {
    "event_name": "message.text.received",
    "message": {
        "from": {"id": "6ede9afa66b88fe6d6a9", "display_name": "Ted", "is_bot": False},
        "chat": {"id": "6ede9afa66b88fe6d6a9", "chat_type": "PRIVATE"},
        "text": "bưởi Múc mấy sao?",
        "message_id": "2d758cb5e222177a4e35",
        "date": 1750316131602,
    },
}


def test_parse_update_wrapped_and_unwrapped_agree() -> None:
    wrapped = parse_update({"ok": True, "result": GOOD})
    assert wrapped == parse_update(GOOD)
    assert wrapped.text == "bưởi Múc mấy sao?"
    assert wrapped.chat_id == wrapped.user_id == "6ede9afa66b88fe6d6a9"
    assert wrapped.date_ms == 1750316131602
    assert wrapped.raw["message"]["message_id"] == "2d758cb5e222177a4e35"


def test_parse_update_non_text_event_and_int_ids() -> None:
    sticker = {
        "event_name": "message.sticker.received",
        "message": {
            "from": {"id": 42},
            "chat": {"id": 42, "chat_type": "GROUP"},
            "sticker": "abc",
            "message_id": "ff",
        },
    }
    update = parse_update(sticker)
    assert (update.text, update.user_id, update.chat_type) == (None, "42", "GROUP")
    assert (update.display_name, update.date_ms) == ("", None)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ([GOOD], "JSON object"),
        ("text", "JSON object"),
        ({"ok": False, "error_code": 408}, "not ok"),
        ({"ok": True}, "without 'result'"),
        ({"ok": True, "result": None}, "'result' must be an object"),
        ({"event_name": "message.text.received"}, "'message'"),
        ({"message": GOOD["message"]}, "event_name"),
        (
            {"event_name": "x", "message": {"chat": {"id": "1"}, "message_id": "m"}},
            "from",
        ),
        (
            {"event_name": "x", "message": {"from": {"id": "1"}, "message_id": "m"}},
            "chat",
        ),
        (
            {"event_name": "x", "message": {"from": {"id": "1"}, "chat": {"id": "1"}}},
            "message_id",
        ),
        (
            {
                "event_name": "x",
                "message": {
                    "from": {"id": True},
                    "chat": {"id": "1"},
                    "message_id": "m",
                },
            },
            "from.id",
        ),
    ],
)
def test_parse_update_rejects_malformed(body: object, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        parse_update(body)


@pytest.mark.asyncio
async def test_get_updates_surfaces_malformed_update(client: ZaloClient, fake: FakeZalo) -> None:
    fake.push_raw({"event_name": "user.follow"})
    with pytest.raises(ValueError, match="message"):
        await client.get_updates(timeout=1)


# --- split_text ---


def test_split_short_and_exact_limit() -> None:
    assert split_text("xin chào") == ["xin chào"]
    assert split_text("a" * 2000) == ["a" * 2000]
    assert split_text("") == []
    assert split_text(" \n\n  \n") == []


def test_split_prefers_line_boundaries() -> None:
    lines = [f"{i}. " + "x" * 96 for i in range(50)]  # ~100 chars each, 5000 total
    chunks = split_text("\n".join(lines))
    assert all(0 < len(c) <= 2000 for c in chunks)
    assert "\n".join(chunks).split("\n") == lines  # no line was cut
    assert len(chunks) == 3


def test_split_long_line_on_words() -> None:
    words = ["mật", "ong", "bạc", "hà"] * 600  # one line, ~7800 chars
    chunks = split_text(" ".join(words))
    assert all(0 < len(c) <= 2000 for c in chunks)
    assert " ".join(chunks).split(" ") == words  # cut only between words
    assert all(c == c.strip() for c in chunks)


def test_split_long_word_without_spaces() -> None:
    chunks = split_text("a" * 4500)
    assert [len(c) for c in chunks] == [2000, 2000, 500]
    mixed = split_text("intro\n" + "b" * 2500 + " tail")
    assert mixed == ["intro", "b" * 2000, "b" * 500 + " tail"]


def test_split_unicode() -> None:
    # Vietnamese precomposed: one code unit per letter, cut only at spaces.
    viet = " ".join(["Tương", "ớt", "Mường", "Khương"] * 400)
    chunks = split_text(viet)
    assert " ".join(chunks) == viet and all(len(c) <= 2000 for c in chunks)
    # Emoji are 2 UTF-16 units: 1500 of them need two messages.
    honey = split_text("🍯" * 1500)
    assert [len(c) for c in honey] == [1000, 500]
    # Decomposed (NFD) text: a hard cut never leaves a combining mark at a chunk start.
    nfd = unicodedata.normalize("NFD", "ệ" * 900)  # 3 code points each
    parts = split_text(nfd)
    assert "".join(parts) == nfd
    assert all(not unicodedata.combining(p[0]) for p in parts)
    assert all(len(p) <= 2000 for p in parts)


def test_split_custom_limit_and_no_empty_chunks() -> None:
    assert split_text("ab cd\n\n\nef", limit=5) == ["ab cd", "ef"]
    assert split_text("abcdefgh", limit=3) == ["abc", "def", "gh"]
    assert all(split_text("a  \n  \n b " * 50, limit=7))
