"""Vietnamese text normalisation shared by search, import and rendering.

Matching uses the folded form (no marks, đ→d); ranking can compare a tone-placement-
independent accented key, so "hoà"/"hòa" are equal but "mận" and "màn" are not.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_FOLD_MAP: dict[int, str] = {}
for _cp in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]:
    _ch = chr(_cp)
    _base = "".join(c for c in unicodedata.normalize("NFD", _ch) if not unicodedata.combining(c))
    if _base != _ch and _base.isascii():
        _FOLD_MAP[_cp] = _base.lower()
# đ has no decomposition, so NFD alone would leave it; Ð/ð are look-alikes seen in pasted text.
_FOLD_MAP.update({ord(c): "d" for c in "đĐÐð"})
_FOLD_TABLE = str.maketrans(_FOLD_MAP)

# The five tone marks; vowel-quality marks (â ă ê ô ơ ư) are kept in the accent key.
_TONE_MARKS = {"\u0300": "2", "\u0301": "1", "\u0303": "4", "\u0309": "3", "\u0323": "5"}
_NON_WORD_RE = re.compile(r"[^0-9a-z]+")
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def clean_input(text: str, max_len: int = 500) -> str:
    """User text made safe to process: NFC, no control/bidi characters, bounded length."""
    text = _CONTROL_RE.sub(" ", nfc(text or ""))
    text = " ".join(text.split())
    return text[:max_len]


def fold(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: 'Rượu ngô Đồng' -> 'ruou ngo dong'."""
    text = nfc(text).lower().translate(_FOLD_TABLE)
    if not text.isascii():  # the table covers precomposed Vietnamese; this catches the rest
        text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(_NON_WORD_RE.sub(" ", text).split())


# Index builds fold the same producer and alias strings many times over.
fold_cached = lru_cache(maxsize=262_144)(fold)


def fold_word(word: str) -> str:
    return fold(word).replace(" ", "")


def accent_key(word: str) -> str:
    """A syllable with its tone moved to the end: 'hoà' and 'hòa' both give 'hoa2'."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tone = ""
    kept = []
    for c in decomposed:
        if c in _TONE_MARKS:
            tone = _TONE_MARKS[c]
        else:
            kept.append(c)
    return unicodedata.normalize("NFC", "".join(kept)) + tone


def marks_fit(typed: str, written_key: str) -> bool:
    """A word as typed may be the word written so (`written_key`, its accent key): marks typed are
    meant ("tình" is not "Tinh", "Năm" is not "Nậm"), while a word typed or written bare fits any."""
    return fold(typed) == typed.lower() or written_key == fold(written_key) or accent_key(typed) == written_key


def words(text: str) -> list[str]:
    """Lower-case NFC words (letters and digits, accents kept)."""
    return _WORD_RE.findall(nfc(text).lower())


_PAREN_RE = re.compile(r"\s*\(([^()]*)\)\s*")


def split_qualifier(name: str) -> tuple[str, str]:
    """'Mật ong (Bảo Yên)' -> ('Mật ong', 'Bảo Yên'): the parentheses hold our qualifier."""
    qualifiers = _PAREN_RE.findall(name)
    official = " ".join(_PAREN_RE.sub(" ", name).split())
    return official, "; ".join(q.strip() for q in qualifiers if q.strip())
