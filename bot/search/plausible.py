"""Is a suggestion a plausible reading of what the person typed, or only a look-alike?

"phở bò" shares a folded word with "Bộ trang trí bàn ăn Thổ cẩm" ("bo"), but "bò" and "bộ"
differ in their marks: that suggestion is noise, and the honest answer is "not in our
catalogue". A word typed with marks counts fully with its own marks and three quarters with
other marks (a slip: "mât"); a typo of an unmarked word counts half.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Container
from functools import lru_cache

from bot.models import Product
from bot.search.engine import ParsedQuery
from bot.text import accent_key, fold, words

PLAUSIBLE_SHARE = 0.5  # more than half of what was typed


def plausible(query: ParsedQuery, product: Product) -> bool:
    return matched_share(query, product) > PLAUSIBLE_SHARE


def matched_share(
    query: ParsedQuery, product: Product, known: Container[str] | None = None, known_keys: Container[str] = ()
) -> float:
    """The share of the query's weight that the product's names carry, marks respected. With
    `known` (the catalogue's folded words) and `known_keys` (their accent keys), a word no
    product has in any spelling, or typed with marks no product's word has, is not counted: in
    a story, "facebook" or "chị" beside "miến đao tráng thái Toàn Nga" is scenery, and so is
    "gói" (a packet) beside "chè Bát tiên Hưng Khánh", though "gối" (a pillow) is a word of ours."""
    keys, folded = _names(product)
    total = matched = 0.0
    for term in query.required:
        if known is not None:
            marked = fold(term.accented) != term.accented
            if marked and " " not in term.accented and accent_key(term.accented) not in known_keys:
                continue
            if not any(all(t in known for t in alt) for alt, _ in term.alternatives):
                continue
        total += term.weight
        matched += term.weight * _credit(term, keys, folded)
    return matched / total if total else 0.0


def carries_head(query: ParsedQuery, product: Product) -> bool:
    """The product carries the first two words asked about, what kind of thing it is: "Sữa ong
    chúa" is no answer to "sữa chua Mộc Châu", nor "Cá hồi cắt khúc" to "nước mắm Cát Hải". In a
    message typed with marks a bare word is meant bare ("chua" is not "chúa")."""
    keys, folded = _names(product)
    marked = any(fold(t.accented) != t.accented for t in query.required)
    for term in query.required[:2]:
        bare = fold(term.accented) == term.accented
        if marked and bare and term.typed.isalpha() and accent_key(term.accented) not in keys:
            if not _synonym(term, folded):
                return False
        elif not _credit(term, keys, folded):
            return False
    return True


@lru_cache(maxsize=8192)  # a product is checked again and again, by every search that meets it
def _names(product: Product) -> tuple[frozenset[str], dict[str, list[str]]]:
    """The accent keys of the product's words, and its words by their folded form (read only)."""
    texts = [product.display_name, product.english_name, product.producer, *product.aliases]
    typed = [w for text in texts for w in words(text)]
    by_fold: dict[str, list[str]] = {}
    for word in typed:
        by_fold.setdefault(fold(word), []).append(word)
    return frozenset(accent_key(w) for w in typed), by_fold


def _marks(word: str) -> Counter:
    return Counter(c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.combining(c))


def slip(typed: str, written: list[str]) -> bool:
    """Marks left out, none wrong: "mât" for "mật" yes; "tuổi" for "tươi" no (ổ is not ơ)."""
    marks = _marks(typed)
    return any(not (marks - _marks(word)) for word in written)


def _credit(term, keys: set[str], folded: dict[str, list[str]]) -> float:
    """How much of a typed word the product's names carry: 1 with its marks, 0.75 with marks left
    out (a slip: "mât"), 0.5 as a typo of an unmarked word (0.8 and more for a close one of a long
    word, or a Telex reading), 1 as a synonym ("honey")."""
    marked = fold(term.accented) != term.accented
    if (accent_key(term.accented) in keys) if marked else (term.typed in folded):
        return 1.0
    if marked and term.typed in folded and slip(term.accented, folded[term.typed]):
        return 0.75
    slips = [p for alt, p in term.alternatives if len(alt) == 1 and p < 1.0 and alt[0] in folded]
    if not marked and slips:
        # A Telex reading is the word itself; one letter off a long word ("cordycep") nearly so.
        best = max(slips)
        return best if best >= 0.95 or (best >= 0.8 and len(term.typed) >= 6) else 0.5
    return 1.0 if _synonym(term, folded) else 0.0


def _synonym(term, folded: dict[str, list[str]]) -> bool:
    """The product's names carry one of the word's synonyms ("honey" for "mật ong")."""
    return any(all(t in folded for t in alt) for alt, p in term.alternatives if p == 1.0 and alt != (term.typed,))


def leave_out(raw: str, query: ParsedQuery, most: int = 3) -> list[str]:
    """The text less its rarest words, one more each time: "ba mình uống rượu nếp Cường Thịnh"
    finds the rice wine once "uống" (a word of other names, not of this one) is left out."""
    typed = words(raw)
    out: list[str] = []
    if len(query.required) < 3:
        return out  # "phở bò" less a word is another question, not the same one
    dropped: set[str] = set()
    for term in sorted(query.required, key=lambda t: -t.weight)[:most]:
        if len(query.required) - len(dropped) <= 2:
            break
        dropped.update(term.typed.split())
        kept = [w for w in typed if fold(w) not in dropped]
        if kept and len(kept) < len(typed):
            out.append(" ".join(kept))
    return out
