"""Groups: the bot speaks only when addressed. Flood: one polite "slow down", then silence."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.fakes.telegram_api import BOT_USER, BOT_USERNAME, FakeTelegram

from .conftest import USER, Bot, start_bot

GROUP = -100777


def _group_message(text: str, *, reply_to: dict | None = None, via_bot: bool = False) -> dict:
    chat = {"id": GROUP, "type": "supergroup", "title": "Chợ phiên"}
    user = {"id": USER, "is_bot": False, "first_name": "Lan", "language_code": "vi"}
    message = {"message_id": int(time.time() * 1000) % 10**6, "date": int(time.time()), "chat": chat}
    message |= {"from": user, "text": text}
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    if via_bot:
        message["via_bot"] = BOT_USER
    return {"message": message}


async def test_group_needs_a_mention_a_command_or_a_reply(bot: Bot) -> None:
    say = bot.fake.push_text
    say(USER, "mật ong", chat_id=GROUP, chat_type="supergroup")  # chatter between people
    say(USER, "/help@another_bot", chat_id=GROUP, chat_type="supergroup")  # for someone else
    say(USER, "/frobnicate", chat_id=GROUP, chat_type="supergroup")  # unknown bare command
    await bot.settle()
    assert bot.seen(GROUP) == 0

    say(USER, f"@{BOT_USERNAME} mật ong", chat_id=GROUP, chat_type="supergroup")
    (listing,) = await bot.said(GROUP)
    assert 'Kết quả cho "mật ong"' in listing.text  # the mention is not part of the query
    assert listing.params["reply_parameters"]["message_id"]  # threaded under the question

    bot.fake.push_raw(_group_message("chè", reply_to=listing.result))  # a reply to the bot's message
    (tea,) = await bot.said(GROUP, since=1)
    assert "chè" in tea.text.lower()

    say(USER, f"/help@{BOT_USERNAME}", chat_id=GROUP, chat_type="supergroup")
    say(USER, "/events", chat_id=GROUP, chat_type="supergroup")
    help_text, events = await bot.said(GROUP, 2, since=2)
    assert help_text.text.startswith("Gõ tên sản phẩm")
    assert events.text

    bot.fake.push_raw(
        _group_message("mật ong", reply_to={**listing.result, "from": {"id": 5, "is_bot": False, "first_name": "X"}})
    )
    await bot.settle()
    assert bot.seen(GROUP) == 4  # a reply to someone else is not for us


async def test_own_inline_results_and_edits_are_not_answered(bot: Bot) -> None:
    posted = _group_message("🏷 Mật ong\n⭐ ★★★★ OCOP 4 sao", via_bot=True)
    posted["message"]["chat"] = {"id": USER, "type": "private", "first_name": "Lan"}
    bot.fake.push_raw(posted)
    edited = _group_message("mật ong")
    edited["edited_message"] = edited.pop("message") | {"edit_date": int(time.time())}
    edited["edited_message"]["chat"] = {"id": USER, "type": "private", "first_name": "Lan"}
    bot.fake.push_raw(edited)
    bot.fake.push_text(USER, "/help")
    (only,) = await bot.said(USER)
    await bot.settle()
    assert only.text.startswith("Gõ tên sản phẩm") and bot.seen(USER) == 1


async def test_flood_gets_one_slow_down_then_silence_then_service(fake: FakeTelegram, tmp_path: Path) -> None:
    async with start_bot(fake, tmp_path, flood_messages=3, flood_window_seconds=1) as bot:
        started = time.monotonic()
        for _ in range(8):
            fake.push_text(USER, "/help")
        await bot.settle()
        assert time.monotonic() - started < 0.9, "too slow to test a 1 s window"
        texts = [c.text for c in fake.messages_to(USER)]
        assert len(texts) == 4
        assert texts[:3] == [texts[0]] * 3 and texts[0].startswith("Gõ tên sản phẩm")
        assert texts[3] == "Bạn gửi nhanh quá, hãy chờ vài giây rồi thử lại."

        fake.push_text(USER + 1, "/help")  # other people are not slowed down
        await bot.said(USER + 1)

        await asyncio.sleep(1.05)  # the window passes
        fake.push_text(USER, "/help")
        (again,) = await bot.said(USER, since=4)
        assert again.text.startswith("Gõ tên sản phẩm")


async def test_only_a_group_admin_unsubscribes_or_forgets_the_group(bot: Bot) -> None:
    # Reproduced: any member of a group could unsubscribe or /forget the whole group.
    await bot.services.repo.subscribe("telegram", str(GROUP), "vi")
    say = bot.fake.push_text
    say(USER, "/unsubscribe", chat_id=GROUP, chat_type="supergroup")
    say(USER, f"/forget@{BOT_USERNAME}", chat_id=GROUP, chat_type="supergroup")
    refused, refused_forget = await bot.said(GROUP, 2)
    assert "quản trị viên" in refused.text and "quản trị viên" in refused_forget.text
    assert await bot.services.repo.subscriber_counts() == {"telegram": 1}
    bot.fake.member_status[(GROUP, USER)] = "administrator"
    say(USER, "/unsubscribe", chat_id=GROUP, chat_type="supergroup")
    (done,) = await bot.said(GROUP, since=2)
    assert "Đã huỷ đăng ký" in done.text
    assert not (await bot.services.repo.subscriber_counts()).get("telegram")
