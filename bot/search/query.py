"""Understanding a query before matching: stars, places, categories, filler, synonyms."""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass, field

from bot.text import fold_word, nfc, words

NUMBER_WORDS = {
    "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
}  # fmt: skip
STAR_WORDS = {"sao", "star", "stars", "starred"}
AT_LEAST_BEFORE = (("tu",), ("at", "least"), ("toi", "thieu"), ("it", "nhat"), ("tren",))
AT_LEAST_AFTER = (("tro", "len"), ("tro", "len", "tren"), ("or", "more"), ("and", "up"), ("plus",))
# "4*", "mấy *", "bn ⭐": a star symbol after a number or a "how many" is the word "sao".
_STAR_SYMBOL_RE = re.compile(r"(\d|\bmấy|\bmay|\bbn|\bbnhieu|\bbao nhiêu|\bbao nhieu)\s*(?:\*|★|⭐|☆)+")
_GLUED_STAR_RE = re.compile(r"^([1-5])(sao|stars?)$")


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


MAX_REPEAT_PHRASE = 6  # words: "mật ong rừng Y Tý mật ong rừng Y Tý" is one phrase said twice


def drop_repeats(
    accented: list[str], folded: list[str], names: Container[tuple[str, str]] = ()
) -> tuple[list[str], list[str]]:
    """Drop immediate repetitions of a word or a phrase (same words, same marks): "mật ong mật ong
    mật ong ..." is "mật ong", so a pasted or held-down repetition costs nothing extra to match.
    Numbers repeat meaningfully ("4 4") and are kept, and so is a doubled word that `names`
    holds as a pair ("su su", a vegetable)."""
    accented, folded = list(accented), list(folded)
    for size in range(min(MAX_REPEAT_PHRASE, len(accented) // 2), 0, -1):
        i = 0
        while i + 2 * size <= len(accented):
            doubled_name = (
                size == 1 and (folded[i], folded[i]) in names and (i + 2 >= len(folded) or folded[i + 2] != folded[i])
            )
            if (
                accented[i : i + size] == accented[i + size : i + 2 * size]
                and not folded[i].isdigit()
                and not doubled_name
            ):
                del accented[i + size : i + 2 * size], folded[i + size : i + 2 * size]
            else:
                i += 1
    return accented, folded


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
        before = folded[span[0] - 1] if span[0] > 0 else ""
        if before.isdigit() and 1 <= int(before) < number:  # "4-5 sao": a range, at least its lower end
            number, at_least, span = int(before), True, [span[0] - 1, *span]
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
        for j in range(span[-1] + 1, len(folded) - 1):  # "4 star or 3 star": the others are no name
            if (folded[j].isdigit() or folded[j] in NUMBER_WORDS) and folded[j + 1] in STAR_WORDS:
                consumed.update((j, j + 1))
        return (None, number) if at_least else (number, None)
    return None, None


_LONGEST: dict[int, tuple[dict, int, int]] = {}  # id -> (the table, its size, its longest phrase)


def _longest(phrases: dict[tuple[str, ...], object]) -> int:
    """The longest phrase of a table, worked out once per table: the tables hold thousands of
    phrases and every search reads several of them. The table itself is kept with its entry, so
    its id cannot be reused while the entry lives."""
    entry = _LONGEST.get(id(phrases))
    if entry is None or entry[0] is not phrases or entry[1] != len(phrases):
        if len(_LONGEST) >= 64:
            _LONGEST.clear()
        entry = _LONGEST[id(phrases)] = (phrases, len(phrases), max((len(p) for p in phrases), default=0))
    return entry[2]


def find_phrases(
    folded: list[str], consumed: set[int], phrases: dict[tuple[str, ...], object]
) -> list[tuple[int, int, object]]:
    """Longest-first, non-overlapping phrase matches over unconsumed tokens."""
    found = []
    max_len = _longest(phrases)
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
