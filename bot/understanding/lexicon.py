"""The words the bot understands, loaded once from data/understanding/ and data/cjk_words.csv.

Nothing here decides anything: it turns the data files into lookup tables keyed by folded
word tuples, so that `understand` can match phrases on whole words.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from bot.text import accent_key, fold, nfc

# A Chinese or Korean product word becomes this placeholder in the text the search reads; the
# search knows each placeholder as a synonym of the Vietnamese words it stands for.
CJK_TOKEN_PREFIX = "cjkw"
INTENT_TOKEN_PREFIX = "xintent"


SMALLTALK_PREFIX = "smalltalk:"  # a whole-message entry that is small talk, not an action


def cjk_token(text: str) -> str:
    return CJK_TOKEN_PREFIX + "x".join(f"{ord(c):x}" for c in text)


def intent_token(intent: str) -> str:
    return INTENT_TOKEN_PREFIX + intent.replace("_", "x")


@dataclass(frozen=True)
class Phrase:
    intent: str
    accented: tuple[str, ...]  # as written in the data file, lower-case NFC


@dataclass(frozen=True)
class CjkWord:
    text: str
    lang: str
    kind: str  # product | category | place | intent | filler | star
    meaning: str


@dataclass(frozen=True)
class Lexicon:
    phrases: dict[tuple[str, ...], tuple[Phrase, ...]]  # folded phrase -> what it may ask
    smalltalk: frozenset[str]
    whole_message: dict[str, str]  # folded whole message -> action ("subscribe", "lang_en", ...)
    fillers: frozenset[tuple[str, ...]]
    teencode: dict[str, tuple[str, str]]  # folded short form -> (accented short form, full words)
    cjk: tuple[CjkWord, ...] = ()  # longest first
    # folded one-word filler -> accent keys of its written forms: "bố" is a filler, "bò" is beef
    filler_marks: dict[str, frozenset[str]] = field(default_factory=dict)
    # Fillers of several words as written: "cô giáo" typed "có giao" (has delivery) is not one.
    filler_written: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    filler_plain: frozenset[str] = frozenset()  # one-word fillers also written without marks ("ko")
    pointers: frozenset[tuple[str, ...]] = frozenset()  # "sp đó", "it": about the thing named before
    openers: frozenset[str] = frozenset()  # one-word openers and particles around a command word
    follow_up: tuple[frozenset[tuple[str, ...]], frozenset[tuple[str, ...]]] = (frozenset(), frozenset())
    claim_ends: frozenset[str] = frozenset()  # "5 sao à?": the particle that makes a star a claim
    units: frozenset[str] = frozenset()  # folded: "1 hũ", "2 kg" are amounts
    counted: frozenset[str] = frozenset()  # English words that count like a number: "a bottle"
    date_words: frozenset[str] = frozenset()  # "tháng 12", "năm 2025": the number is a date, not an amount
    emoji: dict[str, str] = field(default_factory=dict)  # "👍" -> "ok", "🙏" -> "thanks"
    elsewhere: dict[tuple[str, ...], str] = field(default_factory=dict)  # folded -> "Hà Giang"
    words: dict[str, frozenset[str]] = field(default_factory=dict)  # [words] of intents.toml, folded
    pointing: frozenset[str] = frozenset()  # as written: "này" (this), not "nay" (now)
    places_asked: tuple[str, ...] = ()  # as written: "chợ" (a market), not "cho" (for)
    # [[combine]] of intents.toml: (when all of these, drop these, rename these), in order
    combining: tuple[tuple[frozenset[str], frozenset[str], dict[str, str]], ...] = ()

    def combine(self, intents: list[str]) -> list[str]:
        """One clause's questions, as [[combine]] merges them: "có hội chợ OCOP nào" asks the
        fairs, not a list and the fairs."""
        for when, drop, rename in self.combining:
            if when <= set(intents):
                intents = [rename.get(i, i) for i in intents if i not in drop]
        return intents

    @cached_property
    def phrase_keys(self) -> frozenset[str]:
        """The accent keys of the words of our question phrases as written ("bán", "mấy"): words
        of the chat, not names of things."""
        return frozenset(accent_key(w) for options in self.phrases.values() for p in options for w in p.accented)

    @property
    def max_phrase(self) -> int:
        return max((len(p) for p in (*self.phrases, *self.fillers)), default=1)

    def cjk_synonyms(self) -> dict[tuple[str, ...], list[tuple[str, ...]]]:
        """Placeholder token -> the Vietnamese words it stands for, for the search's synonyms."""
        out: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for word in self.cjk:
            if word.kind == "product":
                alternatives = [tuple(fold(m).split()) for m in word.meaning.split(";") if fold(m)]
                out[(cjk_token(word.text),)] = alternatives
        return out

    @classmethod
    def load(cls, data_dir: Path) -> Lexicon:
        folder = data_dir / "understanding"
        with (folder / "intents.toml").open("rb") as fh:
            intents = tomllib.load(fh)
        phrases: dict[tuple[str, ...], tuple[Phrase, ...]] = {}
        for intent, items in intents["phrases"].items():
            for item in items:
                key = tuple(fold(item).split())
                phrase = Phrase(intent, tuple(nfc(item).lower().split()))
                # Several phrases may fold alike ("giá" price, "giả" fake): the marks typed decide,
                # and without marks the one listed first.
                if key and phrase not in phrases.get(key, ()):
                    phrases[key] = (*phrases.get(key, ()), phrase)
        for intent in intents["phrases"]:
            phrases[(intent_token(intent),)] = (Phrase(intent, (intent_token(intent),)),)
        whole = {}
        for action, items in intents["whole_message"].items():
            for item in items:
                whole[fold(item) or nfc(item).strip()] = action
        for intent, items in intents.get("whole_smalltalk", {}).items():
            for item in items:
                whole[fold(item)] = f"{SMALLTALK_PREFIX}{intent}"
        with (folder / "fillers.toml").open("rb") as fh:
            filler_lists = tomllib.load(fh)
        filler_words = [item for items in filler_lists.values() for item in items]
        pointers = frozenset(tuple(fold(item).split()) for item in filler_lists.get("pointers", []) if fold(item))
        filler_words += _word_list(data_dir / "language" / "vi_chat_words.txt")
        filler_words += _word_list(data_dir / "language" / "english_words.txt", section="frame")
        fillers = frozenset(tuple(fold(item).split()) for item in filler_words if fold(item))
        marks: dict[str, set[str]] = {}
        plain: set[str] = set()
        written: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for item in filler_words:
            word = nfc(item).strip().lower()
            if " " in word and fold(word):
                written.setdefault(tuple(fold(word).split()), []).append(tuple(word.split()))
            if " " not in word and fold(word) and fold(word) != word:
                marks.setdefault(fold(word), set()).add(accent_key(word))
            elif " " not in word and fold(word) == word:
                plain.add(word)
        teencode: dict[str, tuple[str, str]] = {}
        with (folder / "teencode.csv").open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                teencode[fold(row["short"])] = (nfc(row["short"]).lower(), nfc(row["full"]))
        cjk: list[CjkWord] = []
        cjk_path = data_dir / "cjk_words.csv"
        if cjk_path.exists():
            with cjk_path.open(encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    text = nfc(row["text"]).strip()
                    if text:
                        cjk.append(CjkWord(text, row["lang"].strip(), row["kind"].strip(), nfc(row["meaning"]).strip()))
        cjk.sort(key=lambda w: -len(w.text))
        elsewhere: dict[tuple[str, ...], str] = {}
        for line in _word_list(folder / "elsewhere.txt"):  # "HN = Hà Nội": a short name for one
            said, _, name = line.partition("=")
            if fold(said):
                elsewhere[tuple(fold(said).split())] = (name or said).strip()
        emoji: dict[str, str] = {}
        with (folder / "emoji.csv").open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                emoji[row["emoji"].strip()] = row["intent"].strip()
        return cls(
            phrases=phrases,
            smalltalk=frozenset(intents["kinds"]["smalltalk"]),
            whole_message=whole,
            fillers=fillers,
            teencode=teencode,
            cjk=tuple(cjk),
            filler_marks={word: frozenset(keys) for word, keys in marks.items()},
            filler_written={key: tuple(forms) for key, forms in written.items()},
            filler_plain=frozenset(plain),
            pointers=pointers,
            claim_ends=frozenset(nfc(item).lower() for item in intents.get("claim", {}).get("ends", [])),
            emoji=emoji,
            # Chinese and Korean words fold to nothing: they are kept as written.
            words={key: frozenset(fold(w) or nfc(w) for w in items) for key, items in intents.get("words", {}).items()},
            pointing=frozenset(nfc(w).lower() for w in intents.get("words", {}).get("pointing", [])),
            places_asked=tuple(nfc(w).lower() for w in intents.get("words", {}).get("places_asked", [])),
            combining=tuple(
                (frozenset(rule["when"]), frozenset(rule.get("drop", [])), dict(rule.get("rename", {})))
                for rule in intents.get("combine", [])
            ),
            elsewhere=elsewhere,
            units=frozenset(fold(item) for item in intents.get("amount", {}).get("units", [])),
            counted=frozenset(fold(item) for item in intents.get("amount", {}).get("counted", [])),
            date_words=frozenset(fold(item) for item in intents.get("amount", {}).get("dates", [])),
            follow_up=tuple(
                frozenset(
                    tuple(fold(item).split()) or (nfc(item),) for item in intents.get("follow_up", {}).get(key, [])
                )
                for key in ("starts", "ends")
            ),
            openers=frozenset(
                fold(item)
                for key in ("openers", "particles")
                for item in filler_lists.get(key, [])
                if " " not in fold(item)
            ),
        )


def _word_list(path: Path, section: str | None = None) -> list[str]:
    """Entries of the language detector's word lists (one or more a line; `[section]` headers)."""
    if not path.exists():
        return []
    out: list[str] = []
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            continue
        if section is None:
            out.append(line)  # one entry a line: phrases keep their spaces
        elif current == section:
            out += line.split()
    return out
