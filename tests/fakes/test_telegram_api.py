"""The fake Bot API server driven by a real python-telegram-bot Application."""

import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from .telegram_api import BOT_USERNAME, FakeTelegram, UploadedFile

USER = 4242


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB reads this per access: RetryAfter.retry_after becomes a timedelta, no warning.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("again", callback_data="again")]])
    await update.effective_message.reply_text(f"echo: {update.effective_message.text}", reply_markup=keyboard)


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"hello {context.args}")


async def _button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer("ok")
    await query.edit_message_text(f"pressed {query.data} on {query.message.text}")


@pytest_asyncio.fixture
async def app(fake: FakeTelegram) -> AsyncIterator[Application]:
    application = (
        Application.builder().token("123:ABC").base_url(fake.base_url).base_file_url(fake.base_file_url).build()
    )
    application.add_handler(CommandHandler("start", _start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    application.add_handler(CallbackQueryHandler(_button))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


@pytest.mark.asyncio
async def test_echo_and_callback_through_polling(fake: FakeTelegram, app: Application) -> None:
    assert app.bot.username == BOT_USERNAME  # getMe answered during initialize()
    fake.push_text(USER, "xin chào")
    (reply,) = await fake.wait_for_calls("sendMessage", 1, chat_id=USER)
    assert reply.params["text"] == "echo: xin chào"
    assert reply.chat_id == str(USER)
    # JSON-encoded form fields come back decoded.
    keyboard = reply.params["reply_markup"]["inline_keyboard"]
    assert keyboard[0][0]["callback_data"] == "again"

    fake.push_callback(USER, "again")
    (edit,) = await fake.wait_for_calls("editMessageText", 1, chat_id=USER)
    assert edit.params["text"] == "pressed again on echo: xin chào"
    assert edit.params["message_id"] == str(reply.result["message_id"])
    (answer,) = fake.calls_for("answerCallbackQuery")
    assert answer.params["text"] == "ok"
    assert fake.texts_to(USER) == ["echo: xin chào", "pressed again on echo: xin chào"]


@pytest.mark.asyncio
async def test_command_with_bot_suffix_gets_entity(fake: FakeTelegram, app: Application) -> None:
    fake.push_text(USER, f"/start@{BOT_USERNAME} abc")
    (reply,) = await fake.wait_for_calls("sendMessage", 1, chat_id=USER)
    assert reply.params["text"] == "hello ['abc']"


@pytest.mark.asyncio
async def test_offsets_confirm_updates_no_double_delivery(fake: FakeTelegram, app: Application) -> None:
    ids = [fake.push_text(USER, f"m{i}") for i in range(5)]
    assert ids == sorted(ids) and len(set(ids)) == 5
    await fake.wait_for_calls("sendMessage", 5, chat_id=USER)
    # The next long poll carries offset=last+1, which confirms (drops) everything.
    await fake.wait_for(lambda: not fake.pending_updates())
    assert fake.texts_to(USER) == [f"echo: m{i}" for i in range(5)]
    assert sorted(fake.delivered) == ids  # each update handed out exactly once
    # Calls are recorded when answered; the confirming long poll ends after timeout=1.
    await fake.wait_for(lambda: any(c.params.get("offset") == str(ids[-1] + 1) for c in fake.calls_for("getUpdates")))


@pytest.mark.asyncio
async def test_retry_after_surfaces_as_retry_after(fake: FakeTelegram, app: Application) -> None:
    fake.fail("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter) as err:
        await app.bot.send_message(USER, "hi")
    assert err.value.retry_after.total_seconds() == 7
    failed = fake.calls_for("sendMessage", USER, failed=True)
    assert [c.status for c in failed] == [429]
    assert failed[0].description == "Too Many Requests: retry after 7"
    await app.bot.send_message(USER, "hi again")  # times=1 -> next call succeeds
    assert fake.texts_to(USER) == ["hi again"]


@pytest.mark.asyncio
async def test_forbidden_bad_request_and_blocked_user(fake: FakeTelegram, app: Application) -> None:
    fake.fail("sendMessage", 403)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await app.bot.send_message(USER, "hi")
    fake.fail("sendMessage", 400, chat_id=777)
    await app.bot.send_message(USER, "not affected by the chat-scoped rule")
    with pytest.raises(BadRequest, match="[Cc]hat not found"):
        await app.bot.send_message(777, "hi")
    fake.block_user(USER)
    for _ in range(2):
        with pytest.raises(Forbidden):
            await app.bot.send_location(USER, 10.0, 106.0)
    assert len(fake.calls_for("sendLocation", USER, failed=True)) == 2


@pytest.mark.asyncio
async def test_drop_delay_and_rate_limit(fake: FakeTelegram, app: Application) -> None:
    fake.drop("sendMessage")
    with pytest.raises(NetworkError):
        await app.bot.send_message(USER, "lost")
    assert fake.calls_for("sendMessage")[0].status == 0

    fake.delay("sendChatAction", 0.3)
    await app.bot.send_chat_action(USER, "typing")

    fake.rate_limit_every(3, retry_after=2)
    outcomes = []
    for i in range(6):
        try:
            await app.bot.send_message(USER, f"b{i}")
            outcomes.append("ok")
        except RetryAfter:
            outcomes.append("429")
    assert outcomes == ["ok", "ok", "429", "ok", "ok", "429"]


@pytest.mark.asyncio
async def test_venue_document_and_file_download(fake: FakeTelegram, app: Application) -> None:
    venue = await app.bot.send_venue(USER, 10.77, 106.7, "Chợ Bến Thành", "Q1")
    assert venue.venue is not None and venue.venue.title == "Chợ Bến Thành"
    assert venue.venue.location.latitude == pytest.approx(10.77)

    doc = await app.bot.send_document(USER, b"%PDF-1\r\n\x00\xff", filename="a.pdf")
    assert doc.document is not None and doc.document.file_name == "a.pdf"
    upload = fake.calls_for("sendDocument")[0].params["document"]
    assert isinstance(upload, UploadedFile) and upload.content == b"%PDF-1\r\n\x00\xff"

    fake.add_file("FILE1", b"hello bytes", "price.csv")
    tg_file = await app.bot.get_file("FILE1")
    assert bytes(await tg_file.download_as_bytearray()) == b"hello bytes"
    with pytest.raises(BadRequest):
        await app.bot.get_file("nope")


@pytest.mark.asyncio
async def test_token_check_and_json_body() -> None:
    with FakeTelegram(valid_token="1:good") as server:
        async with httpx.AsyncClient() as client:
            bad = await client.post(f"{server.base_url}1:bad/getMe")
            assert bad.status_code == 401
            assert bad.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
            ok = await client.post(f"{server.base_url}1:good/sendMessage", json={"chat_id": 5, "text": "x"})
            assert ok.json()["result"]["chat"]["id"] == 5
            assert (await client.post(f"{server.base_url}1:good/fooBar")).json() == {"ok": True, "result": True}
        assert server.calls_for("sendMessage", 5)[0].params["text"] == "x"


def test_stop_releases_a_hanging_long_poll() -> None:
    server = FakeTelegram().start()
    url = f"{server.base_url}1:x/getUpdates"
    result: dict[str, object] = {}

    def poll() -> None:
        try:
            result["r"] = httpx.post(url, data={"timeout": "30"}, timeout=10).json()
        except httpx.HTTPError as exc:  # closing the server may cut the connection
            result["r"] = exc

    thread = threading.Thread(target=poll)
    thread.start()
    server.wait_for_sync(lambda: server._poll_gen > 0)
    started = time.monotonic()
    server.stop()
    thread.join(5)
    assert not thread.is_alive()
    assert time.monotonic() - started < 3
    assert result["r"] == {"ok": True, "result": []}


def test_pushed_updates_parse_with_ptb() -> None:
    fake = FakeTelegram()  # never started: helpers work offline too
    fake.push_text(USER, "/start@ocop_test_bot x", chat_id=-100, chat_type="supergroup")
    fake.push_location(USER, 10.5, 106.25)
    fake.push_inline_query(USER, "mật ong", offset="10")
    fake.push_document(USER, "DOC1", "a.xlsx", "application/vnd.ms-excel", "cap")
    fake.push_callback(USER, "x", message_id=1)
    ups = [Update.de_json(u, None) for u in fake.pending_updates()]
    assert [u.update_id for u in ups] == [1, 2, 3, 4, 5]
    cmd = ups[0].message
    assert cmd is not None and cmd.chat.type == "supergroup"
    assert cmd.parse_entities() == {cmd.entities[0]: "/start@ocop_test_bot"}
    assert cmd.from_user is not None and cmd.from_user.language_code == "vi"
    loc = ups[1].message
    assert loc is not None and loc.location is not None
    assert loc.location.longitude == 106.25
    assert ups[2].inline_query is not None and ups[2].inline_query.offset == "10"
    doc = ups[3].message
    assert doc is not None and doc.document is not None and doc.caption == "cap"
    assert doc.document.file_name == "a.xlsx"
    assert ups[4].callback_query is not None and ups[4].callback_query.data == "x"
    with pytest.raises(ValueError):
        fake.push_callback(999, "no bot message in this chat")
