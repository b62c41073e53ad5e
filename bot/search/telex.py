"""Words typed with the Vietnamese keyboard switched off: Telex ("maatj ong" is "mật ong")
or VNI residue ("ru7o75u").

Telex writes a mark as letters: doubled vowels (aa â, ee ê, oo ô, dd đ), w after a vowel
(aw ă, ow ơ, uw ư, uow ươ) and a tone key (s sắc, f huyền, r hỏi, x ngã, j nặng) anywhere
after the first vowel, usually at the end. No Vietnamese final is s, f, r, x or j, so such a
letter after a vowel is a tone key. A word is decoded only when the letters spell one
Vietnamese syllable; callers keep a decoding only when it gives a word they know, so
"ships" or "chef" in an English message stay as typed.
"""

from __future__ import annotations

import re
import unicodedata

from bot.text import fold

_TONES = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
_HATS = (("uow", "ươ"), ("aa", "â"), ("ee", "ê"), ("oo", "ô"), ("dd", "đ"), ("aw", "ă"), ("ow", "ơ"), ("uw", "ư"))
_VOWELS = set("aeiouy")
_SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
    r"([aăâeêioôơuưy]{1,3})"
    r"(ch|ng|nh|[cmnpt])?$"
)
_MARKED = set("ăâêôơư")


def decode_telex(word: str) -> str | None:
    """The Vietnamese syllable, marks and tone included, that a Telex-typed word spells; None
    when it spells none or carries no Telex key at all."""
    lower = word.lower()
    if not lower.isascii() or not lower.isalpha() or len(lower) < 2:
        return None
    tone = ""
    kept: list[str] = []
    seen_vowel = False
    for c in lower:
        if c in _TONES and seen_vowel and len(lower) > 2:
            tone = _TONES[c]
            continue
        seen_vowel = seen_vowel or c in _VOWELS
        kept.append(c)
    base = "".join(kept)
    for keys, letter in _HATS:
        base = base.replace(keys, letter)
    if base.count("w") == 1 and base.index("w") > 0:
        base = base.replace("w", "ư")  # "tuw" -> "tư"
    if base == lower:
        return None
    match = _SYLLABLE.match(base)
    if match is None:
        return None
    onset, vowels, final = (match.group(1) or ""), match.group(2), (match.group(3) or "")
    if tone:
        at = _tone_position(vowels, bool(final))
        vowels = vowels[: at + 1] + tone + vowels[at + 1 :]
    return unicodedata.normalize("NFC", onset + vowels + final)


def decode_ime(token: str) -> str | None:
    """The folded word a Telex- or VNI-typed token spells: 'ruowju' -> 'ruou', 'ddaauj' -> 'dau',
    'ru7o75u' -> 'ruou'; None if nothing to decode. Only a candidate: the search accepts it
    only when it is a catalogue word."""
    if not token or not token[0].isalpha():
        return None
    if any(c.isdigit() for c in token):
        decoded = re.sub(r"[1-9]", "", token)
        return decoded if decoded.isalpha() else None
    decoded = decode_telex(token)
    return fold(decoded) if decoded and fold(decoded) != token else None


def _tone_position(vowels: str, closed: bool) -> int:
    """Where the tone mark sits: on a vowel with a hat (ươ: on ơ), else on the last vowel of a
    closed syllable, the middle of three, the first of two ("múa", "hòa")."""
    marked = [i for i, v in enumerate(vowels) if v in _MARKED]
    if marked:
        return marked[-1]
    if len(vowels) == 1:
        return 0
    if closed:
        return len(vowels) - 1
    return 1 if len(vowels) == 3 else 0
