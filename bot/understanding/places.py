"""Named places in a message: "chợ Bắc Hà", "Sa Pa night market", "Cốc Lếu market".

A place is recognised only when the message says what kind of place it is (market, night
market, walking street…) and every distinctive word of the place's name: "rượu thóc Thanh
Kim" names a product, not the shop "HTX Thanh Kim".
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.models import Place
from bot.text import fold, words

MARKET_WORDS = {"cho", "market", "markets", "bazaar", "phien", "pho", "street", "square", "quang"}
NIGHT_WORDS = {"dem", "night", "evening", "toi"}
# Words every market name shares: they say the kind of place, not which one.
GENERIC = {
    "cho", "phien", "dem", "du", "lich", "diem", "gioi", "thieu", "va", "ban", "san", "pham", "ocop", "huyen",
    "khu", "a", "b", "duong", "nong", "lam", "vung", "cao", "tuan", "van", "hoa", "the", "market", "night",
    "truoc", "nha", "tho", "da", "quang", "truong", "tinh", "pho", "di", "bo",
}  # fmt: skip
KINDS = {"market", "night_market"}


class PlaceNames:
    def __init__(self, places: Sequence[Place]) -> None:
        self._signatures: list[tuple[Place, frozenset[str]]] = []
        for place in places:
            if place.kind not in KINDS and "cho" not in fold(place.name).split():
                continue
            names = set(fold(place.name.split("(")[0]).split()) - GENERIC
            if names:
                self._signatures.append((place, frozenset(names)))
        self._first_words = {fold(p.name.split("(")[0]).split()[-1] for p, _ in self._signatures}
        self._first_words |= {w for _, signature in self._signatures for w in signature}

    def find(self, text: str) -> list[Place]:
        typed = words(text)
        folded = [fold(w) for w in typed]
        tokens = set(folded)
        if not any(self._says_market(typed, folded, i) for i in range(len(folded))):
            return []
        night = bool(tokens & NIGHT_WORDS)
        scored = []
        for place, signature in self._signatures:
            if signature <= tokens:
                kind_fits = (place.kind == "night_market") == night
                scored.append((len(signature) + (0.5 if kind_fits else 0.0), place))
        if not scored:
            return []
        best = max(score for score, _ in scored)
        return [place for score, place in scored if score == best][:3]

    def _says_market(self, typed: list[str], folded: list[str], i: int) -> bool:
        word = folded[i]
        if word not in MARKET_WORDS:
            return False
        if word != "cho" or typed[i] == "chợ":
            return True
        # Unaccented "cho" is usually "for" ("mua cho mẹ", "cho mình hỏi"): a market only when a
        # place's own word or a market word follows it.
        following = folded[i + 1] if i + 1 < len(folded) else ""
        return following in self._first_words or following in {"dem", "phien", "du", "tinh"}
