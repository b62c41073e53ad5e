"""Neutral Reply -> Telegram calls: plain text (no parse_mode, so nothing needs escaping),
inline keyboards from choices, a location request keyboard, and venues for map pins."""

from __future__ import annotations

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyParameters,
)

from bot.i18n import I18n
from bot.replies import Reply

MAX_MESSAGE = 4096  # Telegram counts UTF-16 code units
MAX_CALLBACK_DATA = 64  # bytes
SHORT_LABEL = 24  # menus whose labels are all this short go two to a row
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # cards cite source URLs; no big previews


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Chunks of at most `limit` UTF-16 units, cut at line ends; a longer line is cut hard."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        for piece in _hard_split(line, limit):
            extra = utf16_len(piece) + (1 if current else 0)
            if current and size + extra > limit:
                chunks.append("\n".join(current))
                current, size = [], 0
                extra = utf16_len(piece)
            current.append(piece)
            size += extra
    if current:
        chunks.append("\n".join(current))
    return [c for c in chunks if c.strip()]


def _hard_split(line: str, limit: int) -> list[str]:
    if utf16_len(line) <= limit:
        return [line]
    pieces, current, size = [], [], 0
    for char in line:
        width = utf16_len(char)
        if size + width > limit:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    pieces.append("".join(current))
    return pieces


def callback_data(action: str) -> str:
    size = len(action.encode("utf-8"))
    if not 1 <= size <= MAX_CALLBACK_DATA:
        raise ValueError(f"callback_data must be 1-{MAX_CALLBACK_DATA} bytes, got {size}: {action[:80]!r}")
    return action


def inline_keyboard(reply: Reply, i18n: I18n) -> InlineKeyboardMarkup | None:
    paging_labels = {i18n.t(reply.language, "button.previous"), i18n.t(reply.language, "button.next")}
    buttons: list[InlineKeyboardButton] = []
    paging: list[InlineKeyboardButton] = []
    for choice in reply.choices:
        button = InlineKeyboardButton(choice.label, callback_data=callback_data(choice.action))
        (paging if choice.label in paging_labels else buttons).append(button)
    if reply.share is not None:
        # Opens the chat picker with "@bot <name>" typed in: inline mode offers the card.
        label = i18n.t(reply.language, "button.share")
        buttons.append(InlineKeyboardButton(label, switch_inline_query=reply.share.title[:200]))
    if reply.web_url:
        buttons.append(InlineKeyboardButton(i18n.t(reply.language, "button.web_page"), url=reply.web_url))
    rows = _pair_short(buttons)
    if paging:
        rows.append(paging)
    return InlineKeyboardMarkup(rows) if rows else None


def _pair_short(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    """Two to a row when every label is short (menus), else one to a row (product lists)."""
    if all(len(button.text) <= SHORT_LABEL for button in buttons):
        return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return [[button] for button in buttons]


def location_keyboard(i18n: I18n, lang: str) -> ReplyKeyboardMarkup:
    button = KeyboardButton(i18n.t(lang, "button.send_location"), request_location=True)
    return ReplyKeyboardMarkup([[button]], resize_keyboard=True, one_time_keyboard=True)


async def send_reply(
    bot: Bot, chat_id: int, reply: Reply, i18n: I18n, *, private: bool, quote: int | None = None
) -> None:
    """Send one Reply: its text (split if long, buttons on the last part), then its pins."""
    chunks = split_text(reply.text)
    keyboard = inline_keyboard(reply, i18n)
    ask_location = reply.ask_location and private  # Telegram allows location buttons in private chats only
    reply_to = ReplyParameters(quote, allow_sending_without_reply=True) if quote and not private else None
    for number, chunk in enumerate(chunks, start=1):
        markup = None
        if number == len(chunks):
            markup = keyboard or (location_keyboard(i18n, reply.language) if ask_location else None)
        await bot.send_message(
            chat_id, chunk, reply_markup=markup, link_preview_options=NO_PREVIEW, reply_parameters=reply_to
        )
        reply_to = None
    if ask_location and keyboard is not None:
        # One message holds one keyboard: the location button needs a message of its own.
        prompt = i18n.t(reply.language, "telegram.location_prompt")
        await bot.send_message(chat_id, prompt, reply_markup=location_keyboard(i18n, reply.language))
    pinned: set[tuple[float, float]] = set()
    for pin in reply.pins:
        # Places without their own coordinates share their town's centre: one pin there is enough
        # (the text lists them all, with distances).
        where = (round(pin.lat, 5), round(pin.lon, 5))
        if where not in pinned:
            pinned.add(where)
            await bot.send_venue(chat_id, pin.lat, pin.lon, pin.title, pin.address or pin.title)
