"""Which language to answer a chat message in: "vi", "en", "zh" or "ko".

    detect_language("toi can mua mat ong cho me")       -> "vi"
    detect_language("where can I buy rượu ngô Bắc Hà")  -> "en"
    detect_language("蜂蜜在哪里买")                      -> "zh"
    detect_language("🍯🍯")                              -> None   (no letters)

How it decides (bench/language_detect.py compares it with py3langid and lingua):

1. Script. Hangul -> "ko", Han ideographs -> "zh", unless the Latin part of the message carries
   more sentence-frame evidence than the Korean/Chinese part ("where can I buy 蜂蜜" is English).
   Kana means Japanese, which the bot does not speak: "en". Other scripts only: "en".
2. Latin text: every word adds evidence for Vietnamese or English, and English wins only with
   more evidence (a tie, e.g. "ok", goes to Vietnamese, the bot's first language).
   - Frame words weigh most: English function/question words and request verbs
     (data/language/english_words.txt [frame]), Vietnamese function words, particles and teen-code
     (data/language/vi_chat_words.txt, phrases such as "cam on" included).
   - Product and place names (data/language/vi_names.txt) weigh little: they are Vietnamese in
     English sentences too ("where to buy mat ong" is English).
   - A word with Vietnamese diacritics is Vietnamese; a bare word that is a valid Vietnamese
     syllable (data/language/vi_syllable.toml) is weak Vietnamese evidence; a word that is neither
     a syllable nor in any list ("jerky") is weak English evidence; an apostrophe ("what's") is
     English.
   - A word in both languages ("can", "me", "to"): in a message typed with diacritics the writer
     would have typed "cần", "mẹ", "tô", so it is English; in one typed without, half each.
   - Loanwords both languages chat in ("ship", "online", "order"; data/language/loanwords.txt)
     and acronyms written in capitals ("HTX") count for neither.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

LANGUAGE_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "language"

EN_FRAME = 3.0  # English function word / request verb
EN_WORD = 1.0  # frequent English content or chat word
EN_UNKNOWN = 1.0  # Latin word that is no Vietnamese syllable and in no list
EN_CONTRACTION = 3.0  # "what's", "I'm": Vietnamese never has an apostrophe inside a word
VI_FRAME = 2.5  # Vietnamese function word / particle / teen-code, typed without marks
VI_FRAME_MARKED = 3.0  # the same with its diacritics
VI_MARKED = 1.0  # any other word with Vietnamese diacritics
VI_SYLLABLE = 1.0  # bare word that is a valid Vietnamese syllable
NAME = 0.3  # product or place name: Vietnamese, but not the sentence frame
NAME_WORDS_COUNTED = 2  # words of one name that count as Vietnamese evidence
CJK_UNIT = 3.0  # one Korean word / two Chinese characters, as frame evidence

_HANGUL_RE = re.compile(r"[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff]+")
_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_KANA_RE = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")
# A Latin word (any Latin diacritics), optionally with English-style apostrophe parts.
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_LATIN_RE = re.compile(rf"[{_LATIN}]+(?:['’][{_LATIN}]+)*")

_FOLD_MAP: dict[int, str] = {}
for _cp in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]:
    _base = "".join(c for c in unicodedata.normalize("NFD", chr(_cp)) if not unicodedata.combining(c))
    if _base != chr(_cp) and _base.isascii():
        _FOLD_MAP[_cp] = _base.lower()
_FOLD_MAP.update({ord(c): "d" for c in "đĐÐð"})
_FOLD_TABLE = str.maketrans(_FOLD_MAP)


def _fold(word: str) -> str:
    """Lower-case word without marks: 'Rượu' -> 'ruou' (input already NFC and lower-case)."""
    return word.translate(_FOLD_TABLE)


@dataclass(frozen=True)
class _Lexicon:
    en_weight: dict[str, float]  # english word -> EN_FRAME or EN_WORD
    vi_typed: frozenset[str]  # chat words as people type them (accents kept; teen-code)
    vi_folded: frozenset[str]  # the same folded: counts only in a message typed without marks
    syllables: frozenset[str]  # every valid unaccented Vietnamese syllable
    loans: frozenset[str]
    # folded multi-word phrase -> weight of each of its words (chat phrases VI_FRAME, names NAME)
    phrases: dict[tuple[str, ...], float]
    max_phrase: int
    borrowed: frozenset[str] = frozenset()  # "ok", "thanks": Vietnamese chat uses them too


def _lines(path: Path) -> list[str]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(unicodedata.normalize("NFC", line).lower())
    return out


def _syllables(onsets: list[str], rimes: list[str]) -> frozenset[str]:
    front = "eêiy"
    out = set()
    for onset in onsets:
        for rime in rimes:
            first = rime[0]
            if onset in ("c", "g", "ng") and first in front:
                continue
            if onset in ("k", "gh", "ngh") and first not in front:
                continue
            if onset == "qu" and first in "ou":
                continue
            if onset == "gi" and first == "i":  # gi + iêng is written "giêng"
                rime = rime[1:] or rime
            out.add(_fold(onset + rime))
    return frozenset(out)


@cache
def _lexicon(directory: Path = LANGUAGE_DIR) -> _Lexicon:
    en_weight: dict[str, float] = {}
    weight = EN_FRAME
    borrowed: set[str] = set()
    section = "frame"
    for line in _lines(directory / "english_words.txt"):
        if line in ("[frame]", "[common]", "[borrowed]"):
            section = line[1:-1]
            weight = EN_FRAME if section == "frame" else EN_WORD
        else:
            for word in line.split():
                en_weight[word] = max(en_weight.get(word, 0.0), weight)
                if section == "borrowed":
                    borrowed.add(word)

    phrases: dict[tuple[str, ...], float] = {}
    names = _lines(directory / "vi_names.txt")
    elsewhere = directory.parent / "understanding" / "elsewhere.txt"  # "Buon Ma Thuot coffee": a name too
    if elsewhere.exists():
        names += [part for line in _lines(elsewhere) for part in line.split("=") if part.strip()]
    for name in names:
        phrases[tuple(_fold(name).split())] = NAME
    typed, folded = set(), set()
    for entry in _lines(directory / "vi_chat_words.txt"):
        words = entry.split()
        if len(words) == 1:
            typed.add(entry)
            folded.add(_fold(entry))
        else:
            phrases[tuple(_fold(entry).split())] = VI_FRAME  # chat phrases win over names

    with (directory / "vi_syllable.toml").open("rb") as fh:
        structure = tomllib.load(fh)
    loans = frozenset(word for line in _lines(directory / "loanwords.txt") for word in line.split())
    return _Lexicon(
        en_weight=en_weight,
        vi_typed=frozenset(typed),
        vi_folded=frozenset(folded),
        syllables=_syllables(structure["onsets"], structure["rimes"]),
        loans=loans,
        phrases=phrases,
        max_phrase=max(len(p) for p in phrases),
        borrowed=frozenset(borrowed),
    )


def borrowed_only(text: str) -> bool:
    """Only words Vietnamese chat borrows from English ("ok thanks", "bye"), or none at all: the
    message does not tell which of the two the person writes."""
    found = re.findall(r"[^\W\d_]+", text.lower())
    return bool(found) and all(w in _lexicon().borrowed for w in found)


def latin_scores(text: str) -> tuple[float, float]:
    """(Vietnamese, English) evidence of the Latin words in `text` (NFC)."""
    lex = _lexicon()
    raw = _LATIN_RE.findall(text)
    if not raw:
        return 0.0, 0.0
    all_caps = text.upper() == text
    words = [w.lower() for w in raw]
    folded = [_fold(w) for w in words]
    marked_mode = any(f != w for f, w in zip(folded, words, strict=True))
    vi = en = 0.0
    name_run = 0  # words of names just read, side by side
    i, n = 0, len(words)
    while i < n:
        # Names and chat phrases of two or more words, longest first; single-word names too.
        matched = 0
        for size in range(min(lex.max_phrase, n - i), 0, -1):
            weight = lex.phrases.get(tuple(folded[i : i + size]))
            if weight is not None and (size > 1 or weight == NAME):
                if weight == NAME:
                    # Names side by side are one long name, Vietnamese whatever the sentence:
                    # "Tuong ot Muong Khuong price?" is asked in English.
                    vi += weight * max(0, min(size, NAME_WORDS_COUNTED - name_run))
                    name_run += size
                else:
                    vi += weight * size
                matched = size
                break
        if matched:
            i += matched
            continue
        name_run = 0
        word, fold, original = words[i], folded[i], raw[i]
        i += 1
        if "'" in word or "’" in word:
            en += EN_CONTRACTION
            continue
        if fold != word:  # has diacritics
            vi += VI_FRAME_MARKED if word in lex.vi_typed else VI_MARKED
            continue
        if word in lex.loans:
            continue
        en_w = lex.en_weight.get(word, 0.0)
        if marked_mode:
            vi_w = VI_FRAME if word in lex.vi_typed else 0.0
            if en_w and vi_w:
                en += en_w / 2
                vi += vi_w / 2
            elif en_w:
                en += en_w
            elif vi_w:
                vi += vi_w
            elif word in lex.syllables:
                vi += VI_SYLLABLE
            elif not (len(original) > 1 and original.isupper() and not all_caps):
                en += EN_UNKNOWN
            continue
        vi_w = VI_FRAME if word in lex.vi_folded else (VI_SYLLABLE if word in lex.syllables else 0.0)
        if en_w and vi_w == VI_FRAME:
            en += en_w / 2
            vi += vi_w / 2
        elif en_w and vi_w:  # a frequent English word that merely could be a syllable ("hi", "so")
            en += en_w / 2
        elif en_w:
            en += en_w
        elif vi_w:
            vi += vi_w
        elif not (len(original) > 1 and original.isupper() and not all_caps):
            en += EN_UNKNOWN
    return vi, en


@lru_cache(maxsize=2048)  # the router and the understanding both ask, once each per message
def detect_language(text: str) -> str | None:
    """The reply language of a chat message ("vi", "en", "zh" or "ko"); None when it has no letters."""
    if not text:
        return None
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        hangul = _HANGUL_RE.findall(text)
        han = len(_HAN_RE.findall(text))
        if hangul or han:
            vi, en = latin_scores(text)
            if _KANA_RE.search(text):
                units, lang = len(hangul) + han / 2, "en"  # Japanese: not spoken by the bot
            elif hangul and sum(map(len, hangul)) >= han:
                units, lang = float(len(hangul)), "ko"
            else:
                units, lang = han / 2, "zh"
            if units * CJK_UNIT >= max(vi, en):
                return lang
            return "en" if en > vi else "vi"
        if _KANA_RE.search(text):
            return "en"
    vi, en = latin_scores(text)
    if vi or en:
        return "en" if en > vi else "vi"
    if not any(c.isalpha() for c in text):
        return None
    # Letters but no evidence: loanwords only ("ok", "OCOP"), or another script entirely.
    return "vi" if _LATIN_RE.search(text) else "en"
