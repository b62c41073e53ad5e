"""Understanding a query before matching: stars, places, categories, filler, synonyms."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.text import fold_word, nfc, words

NUMBER_WORDS = {
    "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
}  # fmt: skip
STAR_WORDS = {"sao", "star", "stars", "starred"}
AT_LEAST_BEFORE = (("tu",), ("at", "least"), ("toi", "thieu"), ("it", "nhat"), ("tren",))
AT_LEAST_AFTER = (("tro", "len"), ("tro", "len", "tren"), ("or", "more"), ("and", "up"), ("plus",))
_STAR_SYMBOL_RE = re.compile(r"(\d)\s*(?:\*|★|⭐|☆)+")
_GLUED_STAR_RE = re.compile(r"^([1-5])(sao|stars?)$")

# Question and chat phrases, dropped as whole phrases (folded). Longest first when applied.
STOP_PHRASES = """
mua o dau|ban o dau|o dau ban|o dau co ban|co ban o dau|mua duoc o dau|co the mua o dau|tim mua o dau|o dau
mua o cho nao|cho nao ban|cho nao|noi nao ban|cho ban|diem ban|chi cho|mua|ban
may sao|bao nhieu sao|duoc may sao|dat may sao|la may sao|hang may sao|co phai|phai khong|dung khong|that khong
co that|that su|that la|co dat|dat chuan|dat|chuan|duoc chung nhan|chung nhan|cong nhan|co phai la
co ban khong|co khong|khong|gia bao nhieu|bao nhieu tien|bao nhieu|gia ca|gia|re nhat|tot nhat|ngon nhat
cho toi|cho minh|cho em|cho anh|cho chi|toi muon|minh muon|em muon|toi can|minh can|muon mua|can mua|muon|can
tim kiem|tim|xem|hoi|tra cuu|goi y|gioi thieu|danh sach|liet ke|co gi|nhung gi|gi
san pham ocop|san pham|sp|ocop|dac san|dac san ocop|hang|mat hang|loai|loai nao|nao|la gi|la|thi|voi|va|hoac
nhe|nha|a|ah|oi|ha|vay|the|ko|k|kg|dc|duoc|nhung|cac|mot so|co|cua|o|tai|tu|den|o tai
ngon|tot|re|dep|noi tieng|chat luong|chinh hang|xin|vui long|giup|ban oi|shop|ad|admin|bot|oke|ok
where to buy|where can i buy|where can i get|where can i find|where do i buy|where do they sell|where to get
where to find|where is|where are|where|buy|to buy|purchase|sell|sells|selling|sold|shop for
how many stars|how many star|how many|is it|is|are|really|truly|actually|certified|ocop certified|rated|rating
does|do|have|has|a|an|the|of|in|from|at|near|around|for|to|with|and|or|me|my|i|we|you|please|pls
show me|show|find|search|looking for|look for|i want|i need|want|need|want to|tell me about|tell me|about
what|which|what is|product|products|specialty|specialties|speciality|local|best|good|famous|cheap|nice
delicious|original|authentic|some|any|list|there|any good|can|could|would|like|get
how much|price|prices|cost|costs|how much does|visit|go|spot|spots|destination|destinations|attraction|attractions
minh|toi|em|anh|chi|con|con khong|qua|mon qua|lam qua|qua tang|gift|gifts|souvenir|souvenirs|tang
"""
STOP_PHRASE_SET = {p.strip() for line in STOP_PHRASES.split("\n") for p in line.split("|") if p.strip()}


@dataclass(frozen=True)
class PlacePhrase:
    tokens: tuple[str, ...]
    district: str | None  # locality the filter keeps (old district/town), None = whole province
    province: str | None  # former province filter ("Yên Bái")
    label: str  # how to name it back to the user


@dataclass
class Term:
    """One thing the user asked for; any alternative satisfies it."""

    typed: str  # folded, as typed
    accented: str  # as typed, lower-case NFC
    alternatives: list[tuple[tuple[str, ...], float]]  # token sequences with a penalty (1 = exact)
    required: bool = True
    weight: float = 1.0  # filled by the engine (idf based)


@dataclass
class ParsedQuery:
    raw: str
    terms: list[Term] = field(default_factory=list)
    star: int | None = None
    star_min: int | None = None
    place: PlacePhrase | None = None
    category: str | None = None
    star_filter_off: bool = False  # the star is a claim to check, not a filter

    @property
    def required(self) -> list[Term]:
        return [t for t in self.terms if t.required]

    @property
    def has_filters(self) -> bool:
        stars = (self.star or self.star_min) and not self.star_filter_off
        return bool(stars or self.place or self.category)

    @property
    def content(self) -> str:
        return " ".join(t.typed for t in self.terms if t.required)

    def star_ok(self, star: int | None) -> bool:
        if self.star_filter_off:
            return True
        if self.star is not None:
            return star == self.star
        if self.star_min is not None:
            return star is not None and star >= self.star_min
        return True


def _match_at(tokens: list[str], i: int, phrase: tuple[str, ...]) -> bool:
    return tuple(tokens[i : i + len(phrase)]) == phrase


def tokenize(raw: str) -> tuple[list[str], list[str]]:
    """Accented and folded word lists, aligned one to one."""
    text = _STAR_SYMBOL_RE.sub(r"\1 sao ", nfc(raw).lower())
    accented = words(text)
    folded = [fold_word(w) for w in accented]
    keep = [i for i, f in enumerate(folded) if f]
    return [accented[i] for i in keep], [folded[i] for i in keep]


def extract_stars(folded: list[str], consumed: set[int]) -> tuple[int | None, int | None]:
    for i, tok in enumerate(folded):
        glued = _GLUED_STAR_RE.match(tok)
        number: int | None = None
        span = [i]
        if glued:
            number = int(glued.group(1))
        elif i + 1 < len(folded) and folded[i + 1] in STAR_WORDS:
            if tok.isdigit() and 1 <= int(tok) <= 5:
                number = int(tok)
            elif tok in NUMBER_WORDS:
                number = NUMBER_WORDS[tok]
            span = [i, i + 1]
        if number is None:
            continue
        at_least = False
        for phrase in AT_LEAST_BEFORE:
            start = span[0] - len(phrase)
            if start >= 0 and _match_at(folded, start, phrase):
                span = list(range(start, span[0])) + span
                at_least = True
                break
        for phrase in AT_LEAST_AFTER:
            if _match_at(folded, span[-1] + 1, phrase):
                span = span + list(range(span[-1] + 1, span[-1] + 1 + len(phrase)))
                at_least = True
                break
        consumed.update(span)
        return (None, number) if at_least else (number, None)
    return None, None


def find_phrases(
    folded: list[str], consumed: set[int], phrases: dict[tuple[str, ...], object]
) -> list[tuple[int, int, object]]:
    """Longest-first, non-overlapping phrase matches over unconsumed tokens."""
    found = []
    max_len = max((len(p) for p in phrases), default=0)
    i = 0
    while i < len(folded):
        hit = None
        for n in range(min(max_len, len(folded) - i), 0, -1):
            span = range(i, i + n)
            if any(j in consumed for j in span):
                continue
            key = tuple(folded[i : i + n])
            if key in phrases:
                hit = (i, n, phrases[key])
                break
        if hit:
            found.append(hit)
            i += hit[1]
        else:
            i += 1
    return found
