"""What a clause's own words say, beside what it names: whether it asks at all, asks which or
any, names a shop, a day of the market week, a decision's number, a year, or a city elsewhere;
and where a clause sits in its message (asked first, after thanks). The words are data
(data/understanding/intents.toml [words]); these only read them."""

from __future__ import annotations

import re

from bot.text import fold
from bot.understanding.lexicon import intent_token
from bot.understanding.message import first_clause
from bot.understanding.places import KIND_WORDS
from handlers import products
from handlers.context import Context

OPENING_WORDS = 4  # "cảm ơn bot nha": thanks said before the questions are at most this long

SHOP_WORDS = ("cua hang", "gian hang", "store", "shop")
_YEAR_RE = re.compile(r"\b20[1-3]\d\b")


def asks_something(ctx: Context, clause: str) -> bool:
    """An off-topic clause that is a question of its own, not scenery around ours."""
    if "?" in clause or "？" in clause:
        return True
    if intent_token("out_of_scope") in clause:  # "비행기 기내에 들고 타도 돼요": read from a question
        return True
    lexicon = ctx.services.understander.lexicon
    said = clause.lower().split()
    # "… có chữa đau dạ dày không", "… có hại gan không vậy": the particle may come last but one.
    if any(word in lexicon.claim_ends for word in said[-2:]):
        return True
    padded = f" {fold(clause)} "
    return any(f" {word} " in padded for word in lexicon.words["questions"])


def market_day(ctx: Context, clause: str) -> int | None:
    """The day of the week a question about markets names ("chợ phiên nào họp chủ nhật", "hôm
    nay"), Monday = 0; None when it names no market or no day."""
    words = ctx.services.understander.lexicon.words
    padded = f" {fold(clause)} "
    if not any(f" {w} " in padded for w in words["markets"]):
        return None
    for day in range(7):
        if any(f" {w} " in padded for w in words[f"day{day}"]):
            return day
    today = ctx.services.today().weekday()
    if any(f" {w} " in padded for w in words["today"]):
        return today
    if any(f" {w} " in padded for w in words["tomorrow"]):
        return (today + 1) % 7
    return None


def far_away(ctx: Context, clause: str) -> bool:
    """The question is asked of a city outside our province, as where to buy ("ở Hà Nội")."""
    said = fold(clause).split()
    for phrase, name in ctx.services.understander.lexicon.elsewhere.items():
        for i in range(len(said) - len(phrase) + 1):
            if tuple(said[i : i + len(phrase)]) == phrase and not products.said_as_origin(ctx, said, i):
                return any(e.place and fold(name) in fold(e.place) for e in ctx.snapshot.catalogue.events)
    return False


def says(ctx: Context, text: str, key: str) -> bool:
    """The text holds one of the words (or phrases) of `key` in the word lists."""
    padded = f" {fold(text)} "
    return any(f" {w} " in padded for w in ctx.services.understander.lexicon.words[key])


def asks_which(ctx: Context, clause: str) -> bool:
    """ "chợ nào", "loại nào", "哪个" (read as "nào"), "which": one of several is asked for."""
    return bool(ctx.services.understander.lexicon.words["which"] & set(fold(clause).split()))


_ANY_RE = re.compile(r" co(?: \w+){1,8} nao ")  # "có … nào": are there any (folded)


def asks_any(ctx: Context, clause: str) -> bool:
    """ "có điểm bán nào", "is there any shop", "有…吗": any of a kind is asked for, not one named."""
    padded = f" {fold(clause)} "
    return bool(_ANY_RE.search(padded)) or any(
        f" {w} " in padded for w in ctx.services.understander.lexicon.words["any"]
    )


def shop_asked(clause: str) -> bool:
    """The clause asks for a shop ("Lan Rung brocade shop", "cửa hàng …"), not "shop ơi" calling us."""
    said = fold(clause).split()
    said = said[2:] if said[:1] == ["shop"] and said[1:2] == ["oi"] else said
    padded = f" {' '.join(said)} "
    return any(f" {w} " in padded for w in SHOP_WORDS)


def decision_said(ctx: Context, text: str) -> str | None:
    """The number of a decision named as one: "QĐ 636", "quyết định số 2585", "2585/QĐ-UBND"."""
    said = fold(text).split()
    words = ctx.services.understander.lexicon.words["decision"]
    for i, word in enumerate(said):
        if not word.isdigit():
            continue
        before = {" ".join(said[max(i - k, 0) : i]) for k in (1, 2, 3)}
        if before & words or (i + 1 < len(said) and said[i + 1] in words):
            return word
    return None


def year_said(text: str) -> int | None:
    """A year a message names ("năm 2025"): our certificates start in 2019."""
    found = _YEAR_RE.search(text)
    return int(found.group()) if found else None


def names_a_place(ctx: Context, text: str) -> bool:
    """A place of ours, or a shop or OCOP point of ours by its kind ("điểm giới thiệu … Văn Bàn")."""
    said = f" {fold(text)} "
    kinds = KIND_WORDS["ocop_point"] | KIND_WORDS["shop"]
    return any(f" {kind} " in said for kind in kinds) or bool(ctx.snapshot.place_names.find(text, kind_said=True))


def said_first(original: str, clause: str, others: list[str]) -> bool:
    """The clause comes before every other one in the message (when each can be found in it)."""
    text = original.lower()
    at = text.find(clause.strip().lower())
    places = [text.find(other.strip().lower()) for other in others if other.strip() and other != clause]
    return at >= 0 and bool(places) and all(p > at for p in places if p >= 0) and any(p >= 0 for p in places)


def opens_with_smalltalk(ctx: Context, original: str) -> bool:
    """The message's first few words alone are thanks or goodbye ("Cảm ơn bot nha 🙏 À cho hỏi…")."""
    typed = first_clause(original).split()
    for n in range(1, min(len(typed), OPENING_WORDS) + 1):
        understood = ctx.services.understander.understand(" ".join(typed[:n]), ctx.snapshot.index)
        if not understood.asks and set(understood.smalltalk) & {"thanks", "bye"}:
            return True
    return False
