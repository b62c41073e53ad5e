"""Telegram Update -> neutral Request. Decides too whether a group message is meant for us."""

from __future__ import annotations

import re

from telegram import CallbackQuery, Message, User

from bot.replies import Location, Request

PLATFORM = "telegram"
# Shown in the command menu (descriptions: locale keys telegram.cmd_<name>).
MENU_COMMANDS = ("start", "help", "search", "stars", "places", "events", "lang", "subscribe", "unsubscribe", "forget")
# Everything the Router understands as a command.
KNOWN_COMMANDS = (*MENU_COMMANDS, "language", "stop", "about", "ocop", "announce", "stats")
_COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?:\s+|$)")


def _base(chat_id: int, user: User | None, *, group: bool = False) -> dict:
    uid = str(user.id) if user else str(chat_id)
    return {
        "platform": PLATFORM,
        "is_group": group,
        "chat_id": str(chat_id),
        "user_id": uid,
        "language": (user.language_code or None) if user else None,
        "display_name": user.first_name if user else "",
    }


def message_request_base(message: Message) -> dict:
    return _base(message.chat.id, message.from_user, group=not is_private(message))


def is_private(message: Message) -> bool:
    return message.chat.type == "private"


def message_request(message: Message, bot_id: int, bot_username: str) -> Request | None:
    """The Request for a text, command or location message, or None if it is not for us."""
    user = message.from_user
    if user is None or user.is_bot or message.via_bot is not None:
        return None  # bots, channels, and our own inline results posted back into a chat
    private = is_private(message)
    base = _base(message.chat.id, user, group=not private)
    replying_to_us = _replies_to(message, bot_id)
    if message.location is not None:
        if not private and not replying_to_us:
            return None
        return Request(**base, location=Location(message.location.latitude, message.location.longitude))
    text = message.text
    if text is None:
        return None
    command = _COMMAND_RE.match(text)
    if command:
        name, target = command.group(1).lower(), command.group(2)
        if target is not None and target.lower() != bot_username.lower():
            return None  # /cmd@another_bot
        if not private and target is None and not replying_to_us and name not in KNOWN_COMMANDS:
            return None  # a bare unknown command in a group is probably for another bot
        return Request(**base, command=name, text=text[command.end() :].strip())
    if not private:
        mentioned, text = strip_mention(text, bot_username)
        if not (mentioned or replying_to_us):
            return None
    return Request(**base, text=text, reply_to_actions=_reply_actions(message) if replying_to_us else ())


def callback_request(query: CallbackQuery) -> Request:
    message = query.message
    chat_id = message.chat.id if message is not None else query.from_user.id
    group = message is not None and message.chat.type != "private"
    return Request(**_base(chat_id, query.from_user, group=group), action=query.data or "")


def strip_mention(text: str, bot_username: str) -> tuple[bool, str]:
    """("@bot mật ong" -> True, "mật ong"); case-insensitive, anywhere in the text."""
    pattern = re.compile(rf"@{re.escape(bot_username)}\b", re.IGNORECASE)
    stripped, count = pattern.subn(" ", text)
    return count > 0, " ".join(stripped.split())


def _reply_actions(message: Message) -> tuple[str, ...]:
    """The button data of our message this one replies to (an announcement preview, say)."""
    markup = message.reply_to_message.reply_markup if message.reply_to_message else None
    if markup is None:
        return ()
    return tuple(
        str(button.callback_data)
        for row in markup.inline_keyboard
        for button in row
        if isinstance(button.callback_data, str)
    )


def _replies_to(message: Message, bot_id: int) -> bool:
    original = message.reply_to_message
    return bool(original and original.from_user and original.from_user.id == bot_id)
