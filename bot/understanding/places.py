"""Named places in a message: "chợ Bắc Hà", "Sa Pa night market", "cửa hàng thổ cẩm Lan Rừng".

A place is recognised only when the message has every proper-noun word of its name and says
what kind of place it means (market, shop, village…), or names it with three or more proper
words ("Dragon Tea Suối Giàng"): "rượu thóc Thanh Kim" names a product, "HTX Thanh Kim" the
cooperative's shop.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bot.models import Locality, Place
from bot.text import accent_key, fold, words

# Words that say which kind of place is meant (folded, whole words or word pairs).
KIND_WORDS = {
    "market": {"cho", "market", "markets", "bazaar", "phien", "cho phien"},
    "night_market": {"cho dem", "night market", "night", "dem"},
    "producer_shop": {"cua hang", "shop", "store", "htx", "co so", "cong ty", "cty", "homestay", "nha hang",
                      "restaurant", "khong gian", "vuon", "garden", "xuong", "workshop"},
    "craft_village": {"lang", "village", "lang nghe"},
    "ocop_point": {"diem ban", "diem gioi thieu", "diem ocop", "cua hang ocop", "ocop point", "ocop shop"},
    "shop": {"gian hang", "cua hang", "shop", "showroom"},
    "fair_ground": {"san", "khuon vien", "quang truong", "square"},
    "tourist_info": {"khong gian", "trung tam"},
}  # fmt: skip
_KIND_SINGLE = {w for kind in KIND_WORDS.values() for phrase in kind for w in phrase.split()}
# Kind words that fit a place only when its own name says them: "homestay" names "Homestay A
# Sình", not "HTX … Mù Cang Chải" (both producers' places).
OWN_KIND_WORDS = {"homestay", "nha hang", "restaurant", "khong gian", "vuon", "garden", "xuong", "workshop"}
OWN_KIND_SAID = {"restaurant": "nha hang", "garden": "vuon", "workshop": "xuong"}  # in English, of a Vietnamese name
SHARED_WORD = 3  # a word in this many place names is no part of any one's own name
MARKET_KINDS = {"market", "night_market"}
NIGHT_WORDS = {"dem", "night", "evening"}
# Words that name the legal form or trade of a producer, not which one it is.
LEGAL = ("cong ty tnhh mtv", "cong ty tnhh", "cong ty co phan", "cong ty", "hop tac xa", "to hop tac", "htx",
         "thuong mai", "dich vu", "nong nghiep", "xay dung", "tong hop", "phat trien", "san xuat", "co so",
         "tnhh", "mtv")  # fmt: skip
# Capitalised words that open a name by saying the kind of place ("Chợ phiên", "Điểm", "Khu").
PREFIX = {"cho", "phien", "dem", "diem", "cua", "hang", "lang", "khu", "khong", "gian", "nha", "san", "quang",
          "truong", "pho", "ocop", "khuon", "to"}  # fmt: skip


def _signature(name: str) -> frozenset[str]:
    """The proper-noun words of a name, before any parenthesis ("Chợ phiên Bắc Hà" -> bac, ha)."""
    head = name.split("(")[0]
    typed = [w.strip("'\"-–,.") for w in head.replace("-", " ").split()]
    folded = [fold(w) for w in typed]
    keep = [True] * len(typed)
    for phrase in LEGAL:
        size = len(phrase.split())
        for i in range(len(folded) - size + 1):
            if " ".join(folded[i : i + size]) == phrase:
                keep[i : i + size] = [False] * size
    proper = [f for w, f, k in zip(typed, folded, keep, strict=True) if k and f and w[:1].isupper()]
    while proper and proper[0] in PREFIX:
        proper.pop(0)
    if not proper and "(" in name:  # "Điểm giới thiệu … (chợ Kim Tân)": the name is inside
        return _signature(name.split("(", 1)[1].rstrip(")"))
    return frozenset(proper)


def _signatures(name: str) -> list[frozenset[str]]:
    """A name's signature, and its other name's when the parenthesis gives one: "Chợ du lịch Lào
    Cai (chợ Phố Mới)" is also "chợ Phố Mới"; "(nêu trong luận văn…)" is a note, not a name."""
    found = [sig] if (sig := _signature(name)) else []
    inside = name.split("(", 1)[1].rstrip(")") if "(" in name else ""
    if inside and fold(inside).split()[:1] and fold(inside).split()[0] in PREFIX:
        other = _signature(inside)
        if other and other not in found:
            found.append(other)
    return found


class PlaceNames:
    def __init__(self, places: Sequence[Place], localities: Sequence[Locality] = ()) -> None:
        self._signatures = [(place, sig) for place in places for sig in _signatures(place.name)]
        self._night_markets = [place for place in places if place.kind == "night_market"]
        # Glued spellings of a name's words ("sapa", "bacha"), as people type them.
        self._glued = {
            place.id: {a + b for a, b in zip(words_, words_[1:], strict=False)}
            for place, _ in self._signatures
            if len(words_ := [fold(w) for w in place.name.split("(")[0].replace("-", " ").split()]) > 1
        }
        # A name that is only a town's ("… xã Mù Cang Chải") needs the kind of place said too.
        self._town_names = {frozenset(fold(n).split()) for loc in localities for n in (loc.name, *loc.aliases)}
        # The 2025 communes and wards by their own names ("xã Tả Phìn" -> Tả Phìn), for `named_as_town`.
        self._unit_names = {
            frozenset(fold(unit).split()[1:]) for loc in localities for unit in loc.new_units if len(unit.split()) > 1
        }
        # The other words of a place's own name say its kind as well as "chợ" does: "Phố đi bộ Cầu
        # Mây", "Nhà hàng cá hồi Song Nhi", "Điểm bán táo mèo … Mù Cang Chải".
        # Words many names share ("điểm", "bán", "sản phẩm", "OCOP") say nothing of which place.
        heads = {place.id: frozenset(fold(place.name.split("(")[0]).split()) for place in places}
        shared = Counter(w for head in heads.values() for w in head)
        # Not the words of any of its names' signatures: "Chợ du lịch Lào Cai (chợ Phố Mới)" is
        # not named by "Lào Cai mới có bao nhiêu sản phẩm".
        signed: dict[int, set[str]] = {}
        for place, sig in self._signatures:
            signed.setdefault(place.id, set()).update(sig)
        self._own_words = {
            place.id: frozenset(w for w in heads[place.id] if len(w) > 1 and shared[w] < SHARED_WORD) - signed[place.id]
            for place, _ in self._signatures
        }
        # How each name writes its words: "chợ tình" typed with marks is not "Tinh hoa hội tụ".
        self._written: dict[int, dict[str, set[str]]] = {}
        for place in places:
            for w in words(place.name):
                self._written.setdefault(place.id, {}).setdefault(fold(w), set()).add(accent_key(w))

    def find(self, text: str, *, kind_said: bool = False) -> list[Place]:
        """`kind_said`: only when the text says the kind of place too ("chợ", "cửa hàng"), even for
        long names: "chè Bản Liền" is the tea, "HTX Chè Bản Liền" the cooperative."""
        folded = [fold(w) for w in words(text)]
        if not folded:
            return []
        tokens = set(folded)
        for place, signature in self._signatures:  # "sapa" says both words of "Sa Pa"
            for glued in self._glued.get(place.id, ()) & tokens:
                tokens.update(w for w in signature if w in glued)
        typed = words(text)
        # Each word typed with marks, by its folded form: only with those marks it names a place's
        # word (a word also typed bare names either).
        marked: dict[str, set[str]] = {}
        for w in typed:
            marked.setdefault(fold(w), set()).add(accent_key(w) if fold(w) != w.lower() else "")
        pairs = {f"{a} {b}" for a, b in zip(folded, folded[1:], strict=False)}
        triples = {f"{a} {b} {c}" for a, b, c in zip(folded, folded[1:], folded[2:], strict=False)}  # "điểm giới thiệu"
        said = tokens | pairs | triples
        if "cho" in tokens and "chợ" not in typed and not self._cho_is_market(folded):
            said.discard("cho")  # unaccented "cho" is usually "for": "mua cho mẹ"
        if "san" in tokens and not {"sân", "san"} & set(typed):
            said.discard("san")  # "đặc sản" (speciality) is not "sân" (a square)
        night = bool(tokens & NIGHT_WORDS)
        scored = []
        for place, signature in self._signatures:
            if not signature <= tokens:
                continue
            written = self._written.get(place.id, {})
            if any(not self._same_marks(marked.get(w), written.get(w)) for w in signature):
                continue  # marks typed are meant: "chợ tình" does not name "… Tinh hoa hội tụ"
            kind_words = KIND_WORDS.get(place.kind, set())
            if place.kind in MARKET_KINDS or "cho" in fold(place.name).split():
                kind_words = kind_words | KIND_WORDS["market"] | KIND_WORDS["night_market"]
            named_kind = f" {fold(place.name)} "
            kind_words = {
                w for w in kind_words if w not in OWN_KIND_WORDS or f" {OWN_KIND_SAID.get(w, w)} " in named_kind
            }
            loose = len(signature) >= 3 and signature not in self._town_names and not kind_said
            owned = tokens & self._own_words.get(place.id, frozenset())
            owned = {w for w in owned if self._same_marks(marked.get(w), written.get(w))}
            own = signature not in self._town_names and len(owned) >= 2
            if not (said & kind_words) and not loose and not own:
                continue
            # A word of its own name said beside ("chợ tình Sa Pa"): that one of the town's places.
            spelled = {
                w for w in marked if w not in signature and w not in _KIND_SINGLE and marked[w] & written.get(w, set())
            }
            score = len(signature) + (0.25 if own else 0.0) + 0.1 * len(owned | spelled)
            typed_kinds = {w for w in said & kind_words & set(named_kind.split()) if "" not in marked.get(w, {""})}
            if place.kind not in MARKET_KINDS and typed_kinds:
                # The kind said, with its marks, is in its own name ("chợ phiên" of "Phiên chợ vùng
                # cao …"): as sure as a market's kind ("Điểm bán táo mèo" is a market too).
                score += 0.6
            if place.kind in MARKET_KINDS:
                score += 0.5 if (place.kind == "night_market") == night else 0.0
            scored.append((score, place))
        if not scored:
            return []
        best = max(score for score, _ in scored)
        return list(dict.fromkeys(place for score, place in scored if score == best))[:3]

    def named_as_town(self, text: str) -> list[Place]:
        """Places whose whole name is a town's or commune's, said here ("Tả Phìn cách Sa Pa bao xa":
        "Tả Phìn - làng thuốc tắm Dao đỏ"), the one said first; for questions only a place
        answers, where `find` would want the kind of place said too."""
        said = [fold(w) for w in words(text)]
        tokens = set(said)
        named = (self._town_names | self._unit_names) - {frozenset()}
        towns = sorted((min(said.index(w) for w in town), sorted(town)) for town in named if town <= tokens)
        for _, town in towns:  # the town said first is the one asked about; "cách Sa Pa" is where from
            found = [place for place, sig in self._signatures if set(town) <= sig]
            if found:
                return list(dict.fromkeys(found))[:3]
        return []

    @staticmethod
    def _same_marks(typed: set[str] | None, written: set[str] | None) -> bool:
        return not typed or not written or "" in typed or bool(typed & written)

    def night_markets(self, text: str) -> list[Place]:
        """ "chợ đêm", "where is the night market": every night market we know, when the words
        name no town of their own (then `find` answers)."""
        folded = " ".join(fold(w) for w in words(text))
        asked = any(f" {w} " in f" {folded} " for w in ("cho dem", "night market", "night markets"))
        return list(self._night_markets) if asked else []

    def _cho_is_market(self, folded: list[str]) -> bool:
        """ "cho bac ha" typed without marks: a market when a place's own word follows "cho"."""
        known = {w for _, signature in self._signatures for w in signature} | {"dem", "phien", "du", "tinh"}
        return any(w == "cho" and i + 1 < len(folded) and folded[i + 1] in known for i, w in enumerate(folded))
