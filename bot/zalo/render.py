"""Neutral replies as Zalo messages: plain text, numbered choices, pins spelled out.

Zalo's Bot Platform has no buttons and no location messages, so a choice becomes a
numbered line (the adapter remembers the actions) and a pin becomes name, address,
map link and distance in the text itself. Each message must stay under 2,000 chars.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.i18n import I18n
from bot.numbered import render_plain
from bot.replies import Pin, Reply
from bot.zalo.client import split_text


@dataclass(frozen=True)
class Rendered:
    """What to send for one reply: message texts in order, and the actions of its numbers."""

    messages: tuple[str, ...]
    actions: tuple[str, ...]


def pin_text(pin: Pin, i18n: I18n, lang: str) -> str:
    lines = [f"📍 {pin.title}"]
    if pin.address:
        lines.append(f"   {pin.address}")
    lines.append("   " + i18n.t(lang, "zalo.map_link", url=pin.map_url))
    if pin.distance_km is not None:
        key = "place.distance_approx" if pin.approximate else "place.distance"
        lines.append("   " + i18n.t(lang, key, km=f"{pin.distance_km:.1f}"))
    return "\n".join(lines)


def render_reply(reply: Reply, i18n: I18n) -> Rendered:
    # Pins go with the text, before the numbered list, so "type a number" stays last. A pin
    # whose map link the text already gives (approximate places) would only repeat it.
    blocks = [pin_text(pin, i18n, reply.language) for pin in reply.pins if pin.map_url not in reply.text]
    if reply.web_url:  # Zalo shows no map and no buttons: the web page does
        blocks.append(i18n.t(reply.language, "zalo.web_link", url=reply.web_url))
    if blocks:
        reply = replace(reply, text="\n\n".join([reply.text, *blocks]), pins=())
    text, actions = render_plain(reply, i18n)
    return Rendered(tuple(split_text(text)), tuple(actions))
