"""Telegram Update -> Request, without a server."""

from datetime import UTC, datetime

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, User

from bot.telegram.convert import message_request

BOT = User(id=1, first_name="bot", is_bot=True, username="ocop_bot")
STAFF = User(id=4242, first_name="staff", is_bot=False)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_reply_to_a_preview_carries_its_buttons():
    chat = Chat(id=4242, type="private")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="ann:ok:3")]])
    preview = Message(10, NOW, chat, from_user=BOT, text="preview", reply_markup=markup)
    message = Message(11, NOW, chat, from_user=STAFF, text="ok", reply_to_message=preview)
    request = message_request(message, BOT.id, BOT.username)
    assert request is not None and request.reply_to_actions == ("ann:ok:3",)
    plain = Message(12, NOW, chat, from_user=STAFF, text="ok")
    assert message_request(plain, BOT.id, BOT.username).reply_to_actions == ()
