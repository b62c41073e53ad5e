"""Replies as Zalo text: numbered choices, pins spelled out, 2,000-character messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DATA_DIR
from bot.i18n import I18n
from bot.replies import Choice, Pin, Reply
from bot.zalo.render import render_reply

I18N = I18n.load(Path(DATA_DIR) / "locales")
PIN = Pin("Chợ Bắc Hà", "Thị trấn Bắc Hà", 22.54, 104.29, False, "https://maps.example/?q=22.54,104.29", 3.25)


def test_choices_are_numbered_and_actions_kept_in_order() -> None:
    reply = Reply("Kết quả:", (Choice("Mật ong", "p:1"), Choice("Chè", "p:2")))
    out = render_reply(reply, I18N)
    assert out.actions == ("p:1", "p:2")
    assert out.messages == ("Kết quả:\n\nGõ số để chọn:\n1. Mật ong\n2. Chè",)


@pytest.mark.parametrize(
    ("lang", "map_word", "distance"), [("vi", "Bản đồ", "Cách khoảng 3.2 km"), ("en", "Map", "About 3.2 km away")]
)
def test_a_pin_becomes_name_address_link_and_distance(lang: str, map_word: str, distance: str) -> None:
    out = render_reply(Reply("Nơi mua:", (Choice("Tiếp", "n:2"),), pins=(PIN,), language=lang), I18N)
    [text] = out.messages
    block = text.split("\n\n")[1]
    assert block.splitlines() == [
        "📍 Chợ Bắc Hà",
        "   Thị trấn Bắc Hà",
        f"   🗺 {map_word}: {PIN.map_url}",
        f"   {distance}",
    ]
    assert text.endswith("1. Tiếp")  # the numbers stay last, after the pins


def test_approximate_pin_says_so_and_a_link_already_in_the_text_is_not_repeated() -> None:
    approx = Pin("Chợ", "Sa Pa", 22.3, 103.8, True, "https://maps.example/?q=Sa+Pa", None)
    [text] = render_reply(Reply("x", pins=(approx,)), I18N).messages
    assert approx.map_url in text and "km" not in text
    [same] = render_reply(Reply(f"x {approx.map_url}", pins=(approx,)), I18N).messages
    assert same.count(approx.map_url) == 1
    far = Pin("Chợ", "Sa Pa", 22.3, 103.8, True, "https://maps.example/?q=far", 12.0)
    [text] = render_reply(Reply("x", pins=(far,)), I18N).messages
    assert I18N.t("vi", "place.distance_approx", km="12.0") in text


def test_long_replies_are_split_under_2000() -> None:
    lines = [f"📍 Điểm bán số {i}: " + "mật ong rừng " * 8 for i in range(60)]
    choices = tuple(Choice(f"Mục {i}", f"p:{i}") for i in range(5))
    out = render_reply(Reply("\n".join(lines), choices, pins=(PIN,) * 20), I18N)
    assert len(out.messages) > 2
    assert all(1 <= len(m) <= 2000 for m in out.messages)
    joined = "\n".join(out.messages)
    assert "📍 Điểm bán số 59" in joined and joined.endswith("5. Mục 4")
