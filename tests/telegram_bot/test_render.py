"""What a Reply looks like on Telegram, without the network: keyboards and message splitting."""

from __future__ import annotations

import pytest

from bot.config import DATA_DIR
from bot.i18n import I18n
from bot.replies import Choice, Reply, ShareCard
from bot.telegram import render

I18N = I18n.load(DATA_DIR / "locales")


def _rows(reply: Reply) -> list[list[tuple[str, str | None]]]:
    markup = render.inline_keyboard(reply, I18N)
    assert markup is not None
    return [[(b.text, b.callback_data or b.switch_inline_query) for b in row] for row in markup.inline_keyboard]


def test_long_product_labels_one_per_row_paging_last() -> None:
    choices = [Choice(f"Mật ong hoa tự nhiên số {n} (3★ · Mù Cang Chải)", f"p:{n}") for n in range(3)]
    choices += [Choice("◀ Previous", "q:1:1"), Choice("Next ▶", "q:1:3")]
    rows = _rows(Reply("Results", tuple(choices), language="en"))
    assert [len(r) for r in rows] == [1, 1, 1, 2]
    assert rows[-1] == [("◀ Previous", "q:1:1"), ("Next ▶", "q:1:3")]


def test_short_menus_two_to_a_row_and_share_opens_inline_mode() -> None:
    share = ShareCard(36, "Mật ong (Bảo Yên)", "⭐ 4", "🏷 Mật ong")
    reply = Reply("card", (Choice("🛒 Where to buy", "b:36"), Choice("🗺 Map", "m:36")), share=share, language="en")
    assert _rows(reply) == [[("🛒 Where to buy", "b:36"), ("🗺 Map", "m:36")], [("📤 Share", "Mật ong (Bảo Yên)")]]


def test_callback_data_over_64_bytes_is_refused() -> None:
    assert render.callback_data("l:5:bacha:food:12") == "l:5:bacha:food:12"
    with pytest.raises(ValueError, match="64 bytes"):
        render.inline_keyboard(Reply("x", (Choice("too long", "p:" + "9" * 63),)), I18N)
    with pytest.raises(ValueError):
        render.callback_data("")


def test_split_keeps_lines_whole_and_cuts_only_overlong_lines() -> None:
    assert render.split_text("một\nhai") == ["một\nhai"]
    text = "\n".join(["a" * 3000, "b" * 3000, "🍯" * 2500])  # the emoji line is 5000 UTF-16 units
    parts = render.split_text(text)
    assert all(render.utf16_len(p) <= 4096 for p in parts)
    assert parts[0] == "a" * 3000 and parts[1] == "b" * 3000
    assert "".join(parts[2:]) == "🍯" * 2500  # never cut inside a surrogate pair
