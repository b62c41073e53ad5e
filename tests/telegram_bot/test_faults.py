"""Trouble on the wire or in our code: every conversation still answered, and only once."""

from __future__ import annotations

import logging

import pytest

from bot.redaction import REDACTED
from handlers.router import Router

from .conftest import TOKEN, USER, Bot


async def _sends(bot: Bot, chat_id: int) -> tuple[int, int]:
    calls = bot.fake.calls_for("sendMessage", chat_id)
    return sum(not c.failed for c in calls), sum(c.failed for c in calls)


async def test_429_is_honoured_and_the_reply_arrives_once(bot: Bot) -> None:
    bot.fake.fail("sendMessage", 429, retry_after=1)
    bot.fake.push_text(USER, "/help")
    (reply,) = await bot.said(USER, timeout=5)
    assert reply.text.startswith("Gõ tên sản phẩm")
    await bot.settle()
    failed = bot.fake.calls_for("sendMessage", USER, failed=True)
    assert [c.status for c in failed] == [429]
    assert reply.time - failed[0].time >= 1.0  # waited retry_after before trying again
    assert await _sends(bot, USER) == (1, 1)


@pytest.mark.parametrize("fault", ["500", "502", "drop"])
async def test_server_errors_and_dropped_connections_are_retried_once(bot: Bot, fault: str) -> None:
    if fault == "drop":
        bot.fake.drop("sendMessage")
    else:
        bot.fake.fail("sendMessage", int(fault))
    bot.fake.push_text(USER, "/help")
    (reply,) = await bot.said(USER)
    assert reply.text.startswith("Gõ tên sản phẩm")
    await bot.settle()
    assert await _sends(bot, USER) == (1, 1)


async def test_slow_api_still_answers(bot: Bot) -> None:
    bot.fake.delay("sendMessage", 2.0)
    bot.fake.push_text(USER, "/help")
    (reply,) = await bot.said(USER, timeout=6)
    assert reply.text.startswith("Gõ tên sản phẩm")
    await bot.settle()
    assert await _sends(bot, USER) == (1, 0)


async def test_blocked_user_is_marked_inactive_and_not_retried(bot: Bot) -> None:
    bot.fake.push_text(USER, "/subscribe")
    await bot.said(USER)
    bot.fake.block_user(USER)
    bot.fake.push_text(USER, "mật ong")
    await bot.settle()
    attempts = bot.fake.calls_for("sendMessage", USER, failed=True)
    assert [c.status for c in attempts] == [403]  # one try, no retries, no apology attempt
    assert not await bot.services.repo.is_subscribed("telegram", str(USER))
    assert await bot.services.repo.subscriber_counts() == {}


async def test_blocking_reported_by_my_chat_member_marks_inactive(bot: Bot) -> None:
    bot.fake.push_text(USER, "/subscribe")
    await bot.said(USER)
    user = {"id": USER, "is_bot": False, "first_name": "Lan"}
    bot_user = {"id": bot.app.bot.id, "is_bot": True, "first_name": "OCOP"}
    change = {"chat": {"id": USER, "type": "private", "first_name": "Lan"}, "from": user, "date": 1}
    change |= {"old_chat_member": {"status": "member", "user": bot_user}}
    change |= {"new_chat_member": {"status": "kicked", "user": bot_user, "until_date": 0}}
    bot.fake.push_raw({"my_chat_member": change})
    await bot.settle()
    assert not await bot.services.repo.is_subscribed("telegram", str(USER))
    assert bot.seen(USER) == 1  # nothing sent to someone who blocked us


async def test_handler_error_apologises_answers_the_button_and_logs_without_token(
    bot: Bot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = Router.handle

    async def broken(self: Router, request):  # type: ignore[no-untyped-def]
        if request.action == "p:1" or request.text == "boom":
            raise RuntimeError(f"database exploded near .../bot{TOKEN}/sendMessage")
        return await real(self, request)

    monkeypatch.setattr(Router, "handle", broken)
    caplog.set_level(logging.ERROR, logger="bot.telegram")
    bot.fake.push_text(USER, "boom")
    (sorry,) = await bot.said(USER)
    assert sorry.text == "Xin lỗi, đã có lỗi. Vui lòng thử lại sau ít phút."

    bot.fake.push_callback(USER, "p:1")
    (sorry_again,) = await bot.said(USER, since=1)
    assert sorry_again.text == sorry.text
    await bot.settle()
    assert len(bot.fake.calls_for("answerCallbackQuery")) == 1  # the button stopped spinning

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Traceback" in logged and "database exploded" in logged
    assert TOKEN not in logged and REDACTED in logged


async def test_failed_callback_answer_does_not_lose_the_press(bot: Bot) -> None:
    bot.fake.push_text(USER, "/start")
    await bot.said(USER)
    bot.fake.fail("answerCallbackQuery", 400, description="Bad Request: query is too old")
    bot.fake.push_callback(USER, "menu:lang")
    (choose,) = await bot.said(USER, since=1)
    assert choose.text == "Chọn ngôn ngữ:"


async def test_many_users_under_rate_limiting_each_get_exactly_one_reply(bot: Bot) -> None:
    users = [USER + n for n in range(1, 13)]
    bot.fake.rate_limit_every(5, retry_after=1)  # every 5th send of the whole bot gets 429
    for uid in users:
        bot.fake.push_text(uid, "/help")
    await bot.fake.wait_for(lambda: all(bot.seen(uid) >= 1 for uid in users), timeout=10)
    await bot.settle()
    assert bot.fake.calls_for("sendMessage", failed=True), "no 429 was injected"
    assert {uid: bot.seen(uid) for uid in users} == {uid: 1 for uid in users}
    assert len(set(bot.fake.delivered)) == len(bot.fake.delivered)  # no update fetched twice
