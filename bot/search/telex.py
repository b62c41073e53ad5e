"""Decoding words typed with the Vietnamese IME switched off (Telex or VNI residue)."""

from __future__ import annotations

import re

_TONE_KEYS = set("sfrxj")
_VOWELS = set("aeiouy")


def decode_ime(token: str) -> str | None:
    """'ruowju' -> 'ruou', 'ddaauj' -> 'dau', 'ru7o75u' -> 'ruou'; None if nothing to decode.

    The result is only a candidate: the caller accepts it only when it is a catalogue word,
    so English words are never mangled into Vietnamese ones.
    """
    if not token or not token[0].isalpha():
        return None
    if any(c.isdigit() for c in token):
        decoded = re.sub(r"[1-9]", "", token)
        return decoded if decoded.isalpha() else None
    out = token.replace("dd", "d")
    for double in ("aa", "ee", "oo"):
        out = out.replace(double, double[0])
    out = out.replace("uow", "uo").replace("aw", "a").replace("ow", "o").replace("uw", "u").replace("w", "u")
    seen_vowel = False
    kept = []
    for c in out:
        if c in _TONE_KEYS and seen_vowel:
            continue
        seen_vowel = seen_vowel or c in _VOWELS
        kept.append(c)
    decoded = "".join(kept)
    return decoded if decoded != token else None
