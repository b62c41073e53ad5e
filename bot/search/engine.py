"""In-memory search over the catalogue: inverted index of folded tokens, rapidfuzz re-ranking.

Candidates come from postings (never a scan of every product); coverage of the user's words
decides whether we claim an answer at all, then field weights, exactness, accents and
rapidfuzz similarity order the answers.
"""

from __future__ import annotations

import csv
import heapq
import math
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from bot.models import Locality, Product
from bot.search.postings import ALIAS, FIELD_WEIGHTS, NAME, PRODUCER, QUALIFIER, Postings
from bot.search.query import (
    STAR_WORDS,
    ParsedQuery,
    PlacePhrase,
    Term,
    drop_repeats,
    extract_stars,
    find_phrases,
    tokenize,
)
from bot.search.telex import decode_ime
from bot.text import accent_key, fold, fold_cached, marks_fit, split_qualifier, words

ANSWER_COVERAGE = 0.8  # below this share of the user's words we claim no answer
SUGGEST_COVERAGE = 0.34
MAX_CANDIDATES = 60  # re-ranked with rapidfuzz; the rest are never close
PROBE_FACTOR = 8  # a list this many times longer than the candidates is probed, not scanned
MAX_REQUIRED = 8  # words beyond the 8 rarest of a query count as a bonus, not as required
LISTINGS_KEPT = 256
EXPANSIONS_KEPT = 50_000  # unknown words whose typo readings are kept per index
# A search's time budget. Reading an unknown word as a typo is a fuzzy pass over the
# vocabulary (~2 ms at 20,000 products); a message of 80 made-up words held the loop 100 ms.
# Past FUZZY_WORDS new unknown words, or FUZZY_SECONDS, the rest are taken as typed: per
# search, or per message when the chat opens a `fuzzy_budget()` around all its searches.
FUZZY_WORDS = 12
FUZZY_SECONDS = 0.02
PRUNE_ABOVE = 500  # candidates beyond this are pruned as soon as they cannot reach an answer


class _AnyOf:
    """Membership in any of a few sets, without copying them into one."""

    __slots__ = ("sets",)

    def __init__(self, *sets) -> None:
        self.sets = sets

    def __contains__(self, doc: int) -> bool:
        for docs in self.sets:  # noqa: SIM110 - a loop beats any() on this hot path
            if doc in docs:
                return True
        return False

    def __len__(self) -> int:
        return sum(len(docs) for docs in self.sets)

    def __iter__(self):
        seen: set[int] = set()
        for docs in self.sets:
            for doc in docs:
                if doc not in seen:
                    seen.add(doc)
                    yield doc


LEGAL_FORMS = {
    tuple(p.split()): True
    for p in (
        "htx", "hop tac xa", "tnhh", "co phan", "mot thanh vien", "mtv",
        "to hop tac", "tht", "ho kinh doanh", "co so", "co so san xuat", "doanh nghiep", "dntn",
    )
}  # fmt: skip
PROVINCE_WIDE = {("lao", "cai"), ("laocai",), ("lao", "kay"), ("laokay",)}
PROVINCE_NAME = "Lào Cai"  # searched alone, it lists the whole catalogue


@dataclass(frozen=True)
class Hit:
    product: Product
    score: float  # 0..1, how sure we are
    coverage: float


UNIT_WORDS = frozenset({"xa", "phuong"})  # before a 2025 unit's name: "xã Lâm Thượng", "phường Cam Đường"


@dataclass
class SearchResult:
    query: ParsedQuery
    hits: list[Hit] = field(default_factory=list)  # answers, best first
    suggestions: list[Product] = field(default_factory=list)  # "did you mean", not answers
    relaxed: tuple[str, ...] = ()  # filters dropped because nothing matched them ("star", "place")
    listing: bool = False  # the query was filters only: hits are a list, not matches

    @property
    def found(self) -> bool:
        return bool(self.hits)


def _other_number(token: str) -> list[str]:
    """An English word's singular or plural. No Vietnamese syllable ends in "s", so a word ending
    in it is not one of ours misread."""
    if len(token) < 4 or not token.isascii() or not token.isalpha():
        return []
    if token.endswith("ies"):
        return [token[:-3] + "y"]
    if token.endswith("es"):
        return [token[:-1], token[:-2]]
    if token.endswith("s") and not token.endswith("ss"):
        return [token[:-1]]
    return [token + "s", token + "es"]


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class Vocabulary:
    """Our own words: categories and synonyms (data/categories.csv, data/synonyms.csv)."""

    category_phrases: dict[tuple[str, ...], str]
    synonyms: dict[tuple[str, ...], list[tuple[str, ...]]]
    stop_phrases: dict[tuple[str, ...], bool]
    # Accent keys of chat words as written ("không", "có"): such a word is a stop word even
    # where a name has it too ("Không gian văn hoá"), unlike one typed with other marks ("cổ").
    chat_keys: frozenset[str] = frozenset()
    compounds: frozenset[tuple[str, ...]] = frozenset()
    # Groups' names as written, by accent keys: "đồ uống" typed with its marks is the group;
    # "Nậm Đét mấy sao" is no "dệt may".
    category_written: frozenset[tuple[str, ...]] = frozenset()

    @classmethod
    def load(cls, data_dir: Path, lexicon=None) -> Vocabulary:
        """The chat's words (fillers, question words, Chinese/Korean words) feed the search's."""
        from bot.understanding.lexicon import Lexicon

        lexicon = lexicon or Lexicon.load(data_dir)
        phrases: dict[tuple[str, ...], str] = {}
        written: set[tuple[str, ...]] = set()
        for row in _read_csv(data_dir / "categories.csv"):
            for alias in [row["key"], row["vi"], row["en"], *row.get("aliases", "").split(";")]:
                if fold(alias):
                    phrases[tuple(fold(alias).split())] = row["key"]
                    written.add(tuple(accent_key(w) for w in alias.lower().split()))
        synonyms: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
        for row in _read_csv(data_dir / "synonyms.csv"):
            key = tuple(fold(row["term"]).split())
            for expansion in row["expansion"].split(";"):
                if fold(expansion) and key:
                    synonyms[key].append(tuple(fold(expansion).split()))
        for key, alternatives in lexicon.cjk_synonyms().items():
            synonyms[key].extend(alternatives)
        stop: set[str] = set()
        with (data_dir / "understanding" / "search_stopwords.txt").open(encoding="utf-8") as fh:
            for line in fh:
                if not line.startswith("#"):
                    stop.update(fold(p) for p in line.split("|") if fold(p))
        chat_keys = {key for keys in lexicon.filler_marks.values() for key in keys}
        chat_words = data_dir / "language" / "vi_chat_words.txt"
        if chat_words.exists():
            for line in chat_words.read_text(encoding="utf-8").splitlines():
                if line.strip() and not line.startswith("#"):
                    chat_keys.update(accent_key(w) for w in line.split() if fold(w) != w.lower())
        compounds = frozenset(
            tuple(fold(line).split())
            for line in (data_dir / "understanding" / "compounds.txt").read_text(encoding="utf-8").splitlines()
            if fold(line) and not line.startswith("#")
        )
        stop_phrases = {tuple(p.split()): True for p in stop}
        return cls(phrases, dict(synonyms), stop_phrases, frozenset(chat_keys), compounds, frozenset(written))


def _spanned(hits: dict[int, tuple[int, list]]) -> set[int]:
    """The word positions phrase hits ({start: (length, …)}) cover."""
    return {j for start, (length, _) in hits.items() for j in range(start, start + length)}


class _FuzzyBudget:
    """How many more unknown words may be read as typos (see FUZZY_WORDS)."""

    def __init__(self) -> None:
        self.left = FUZZY_WORDS
        self.until = time.perf_counter() + FUZZY_SECONDS

    def take(self) -> bool:
        if self.left <= 0 or time.perf_counter() > self.until:
            return False
        self.left -= 1
        return True


_MESSAGE_BUDGET: ContextVar[_FuzzyBudget | None] = ContextVar("fuzzy_budget", default=None)


@contextmanager
def fuzzy_budget() -> Iterator[None]:
    """One budget for every search made while answering one message (a chat message is parsed
    again for each question and rescue it leads to: each would otherwise get its own)."""
    token = _MESSAGE_BUDGET.set(_FuzzyBudget())
    try:
        yield
    finally:
        _MESSAGE_BUDGET.reset(token)


@dataclass(frozen=True)
class NameWords:
    """What the products' names say word by word, built once per catalogue version."""

    pairs: dict[tuple[str, str], set[tuple[str, str]]]  # folded pair -> the same pair as accent keys
    areas: dict[tuple[str, str], set[str]]  # folded pair (English names too) -> areas so named
    keys: set[str]  # accent keys of every word of names, qualifiers and producers
    proper: set[tuple[str, str]]  # folded pairs written capitalised ("Gia Phú")
    triples: set[tuple[str, str, str]]  # folded runs of three words (English names too)
    spellings: dict[str, set[str]]  # folded word -> as the catalogue writes it


_PARENS_RE = re.compile(r"[(（][^)）]*[)）]")
_CJK_RUN_RE = re.compile(r"[\u3400-\u9fff\uac00-\ud7af][\u3400-\u9fff\uac00-\ud7af ]*[\u3400-\u9fff\uac00-\ud7af]")


class SearchIndex:
    def __init__(self, products: Sequence[Product], localities: Sequence[Locality], vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.products: dict[int, Product] = {p.id: p for p in products}
        self.postings = Postings()
        self.name_folded: dict[int, str] = {}
        self.alt_folded: dict[int, tuple[str, ...]] = {}
        self.area_of: dict[int, str] = {}
        self.province_of: dict[int, str] = {}
        self.places: dict[tuple[str, ...], PlacePhrase] = {}
        self.place_spellings: dict[tuple[str, ...], set[tuple[str, ...]]] = defaultdict(set)  # as written, accent keys
        self._build_places(localities)
        self.compound_phrases = {compound: True for compound in vocab.compounds}
        self._compound_heads = {compound[:2] for compound in vocab.compounds}
        # word -> docs that have it only inside a compound ("pho" of "pho mai"): not found by it alone.
        self.bound: dict[str, set[int]] = defaultdict(set)
        self.address_only: dict[str, set[int]] = defaultdict(set)
        for product in sorted(products, key=lambda p: p.id):  # postings need increasing ids
            self._add(product)
        # Listings (filters only) come out in this order: stars first, then by name.
        self.ordered = sorted(self.products, key=lambda d: (-(self.products[d].star or 0), self.name_folded[d]))
        self.ordered_by_area: dict[str, list[int]] = defaultdict(list)
        self.ordered_by_province: dict[str, list[int]] = defaultdict(list)
        self.ordered_by_category: dict[str, list[int]] = defaultdict(list)
        for doc in self.ordered:
            product = self.products[doc]
            self.ordered_by_area[product.area].append(doc)
            self.ordered_by_province[product.former_province].append(doc)
            self.ordered_by_category[product.category].append(doc)
        self.area_sets = {area: frozenset(docs) for area, docs in self.ordered_by_area.items()}
        n = max(len(self.products), 1)
        self.idf = {tok: math.log(1 + n / self.postings.df(tok)) for tok in self.postings}
        self.max_idf = math.log(1 + n)
        self.by_length: dict[int, list[str]] = defaultdict(list)
        for tok in self.postings:
            self.by_length[len(tok)].append(tok)
        self.sorted_vocab = sorted(self.postings)
        self._listings: dict[tuple, list[Hit]] = {}
        self._expansions: dict[tuple[str, bool], list[tuple[tuple[str, ...], float]]] = {}
        self._accent_sets: dict[int, frozenset[str]] = {}
        self._place_naming: dict[tuple[str, ...], frozenset[int]] = {}

    # -- building -----------------------------------------------------------------------

    def _build_places(self, localities: Sequence[Locality]) -> None:
        ordered = sorted(localities, key=lambda loc: loc.district != loc.name)  # districts first
        for loc in ordered:
            district = loc.district or loc.name
            label = district
            spellings = [loc.name, *loc.aliases]
            units = [u for u in loc.new_units if " " in u and "part" not in u]
            # "Lâm Thượng", and "xã Lâm Thượng" whole: typed bare, "xa" before it is no "xa" (far).
            spellings += [u.split(" ", 1)[1] for u in units] + units
            province = tuple(fold(loc.former_province).split())
            for spelling in spellings:
                tokens = tuple(fold(spelling.split("(")[0]).split())
                written = tuple(accent_key(w) for w in spelling.split("(")[0].split())
                if len(written) == len(tokens):
                    self.place_spellings[tokens].add(written)
                for variant in {tokens, ("".join(tokens),)}:
                    if not variant or not variant[0] or variant in self.places:
                        continue
                    # "Lào Cai" alone is the province; "thành phố Lào Cai", "phường Cam Đường" the city.
                    bare = variant in {province, ("".join(province),)}
                    if variant in PROVINCE_WIDE:
                        self.places[variant] = PlacePhrase(variant, None, None, loc.name)
                    elif bare and district == loc.former_province:
                        self.places[variant] = PlacePhrase(variant, None, loc.former_province, loc.name)
                    else:
                        self.places[variant] = PlacePhrase(variant, district, None, label)

    def _add(self, product: Product) -> None:
        doc = product.id
        name = fold_cached(product.name)
        english = fold_cached(product.english_name)
        aliases = [fold_cached(alias) for alias in product.aliases]
        # Weakest field first: a word in several fields keeps the best one's code.
        # Area, province and category are filters (parsed out of the query), not search words:
        # as postings they would touch a third of the catalogue for every "Sa Pa".
        best: dict[str, int] = {}
        for text, code in (
            (fold_cached(product.producer), PRODUCER), (fold_cached(product.qualifier), QUALIFIER),
            (english, ALIAS), *((alias, ALIAS) for alias in aliases), (name, NAME),
        ):  # fmt: skip
            tokens = text.split()
            best.update(dict.fromkeys(tokens, code))
            if code != ALIAS:  # glued pairs ("sanlung", "sapa") as people type names
                best.update(dict.fromkeys(map(str.__add__, tokens, tokens[1:]), code))
        self.postings.add_document(doc, best)
        self._mark_bound(doc, [name, english, *aliases, fold_cached(product.producer), fold_cached(product.qualifier)])
        # Words only in the producer's address ("Công ty … (thị trấn Phố Ràng)"): they find it
        # beside other words ("chè Phố Ràng"), never alone ("pho" is phở).
        maker, address = split_qualifier(product.producer)
        named = set(
            f"{name} {english} {' '.join(aliases)} {fold_cached(maker)} {fold_cached(product.qualifier)}".split()
        )
        for token in set(fold_cached(address).split()) - named:
            self.address_only[token].add(doc)
        self.name_folded[doc] = name
        display = fold_cached(product.display_name) if product.qualifier else name
        # What a person may type for this product; the producer too ("HTX Sơn Hoà").
        producer = fold_cached(product.producer)
        self.alt_folded[doc] = tuple(s for s in (name, display, english, *aliases, producer) if s)
        self.area_of[doc] = product.area
        self.province_of[doc] = product.former_province

    def _mark_bound(self, doc: int, texts: list[str]) -> None:
        free: set[str] = set()
        inside: set[str] = set()
        for text in texts:
            tokens = text.split()
            covered: set[int] = set()
            # Most names hold no compound: the phrase walk only where one may start (index build time).
            if any(pair in self._compound_heads for pair in zip(tokens, tokens[1:], strict=False)):
                for start, length, _ in find_phrases(tokens, set(), self.compound_phrases):
                    covered.update(range(start, start + length))
            for j, token in enumerate(tokens):
                (inside if j in covered else free).add(token)
        for token in inside - free:
            self.bound[token].add(doc)

    # -- query understanding ------------------------------------------------------------

    @cached_property
    def name_pairs(self) -> dict[tuple[str, str], set[tuple[str, str]]]:
        """Folded word pairs of product names -> the same pairs as accent keys (the chat's
        understanding tells "bán liền" for "Bản Liền" from "có bán" with them). Built with the
        snapshot, in its thread: at 20,000 products it takes ~0.5 s, once on the loop it was
        the first reply after every import."""
        return self._name_words.pairs

    @property
    def name_pair_areas(self) -> dict[tuple[str, str], set[str]]:
        """Folded word pairs of product names -> the areas of the products so named."""
        return self._name_words.areas

    @property
    def word_keys(self) -> set[str]:
        """The accent keys of every word of product names, qualifiers and producers."""
        return self._name_words.keys

    @property
    def spellings(self) -> dict[str, set[str]]:
        """Folded word -> how the catalogue's names, qualifiers and producers write it ("khau" ->
        "khẩu")."""
        return self._name_words.spellings

    @cached_property
    def gloss_words(self) -> dict[str, list[tuple[str, str]]]:
        """The Chinese and Korean words of our glosses of the names ("Thanh Mai 말린 개구리" for
        "Ếch sấy Thanh Mai"), by first character -> (word, the Vietnamese words it glosses),
        longest first: a person may type back what the bot showed. A word two products gloss
        differently says neither."""
        found: dict[str, set[str]] = {}
        for product in self.products.values():
            name_words: list[str] | None = None
            for gloss in (product.name_zh, product.name_ko):
                if not gloss or not _CJK_RUN_RE.search(gloss):
                    continue
                bare = _PARENS_RE.sub(" ", gloss) if "(" in gloss or "（" in gloss else gloss
                said = {fold_cached(w) for w in words(bare) if w.isascii()}
                if name_words is None:
                    name_words = words(split_qualifier(product.name)[0])
                meaning = " ".join(w for w in name_words if fold_cached(w) not in said)
                for run in _CJK_RUN_RE.findall(bare):
                    run = " ".join(run.split())
                    if len(run) >= 2 and meaning:
                        found.setdefault(run, set()).add(meaning)
        by_first: dict[str, list[tuple[str, str]]] = {}
        for text, meanings in sorted(found.items(), key=lambda item: -len(item[0])):
            if len(meanings) == 1:
                by_first.setdefault(text[0], []).append((text, next(iter(meanings))))
        return by_first

    @cached_property
    def name_heads(self) -> frozenset[tuple[str, str]]:
        """The first two words of each product's name, folded: what kind of thing it is."""
        return frozenset(tuple(words[:2]) for words in (n.split() for n in self.name_folded.values()) if len(words) > 1)

    @property
    def proper_pairs(self) -> set[tuple[str, str]]:
        """Folded pairs written capitalised in a name ("Gia Phú", "Bản Liền"): a proper name."""
        return self._name_words.proper

    @property
    def name_triples(self) -> set[tuple[str, str, str]]:
        """Folded runs of three words of product names."""
        return self._name_words.triples

    @cached_property
    def _name_words(self) -> NameWords:
        pairs: dict[tuple[str, str], set[tuple[str, str]]] = {}
        areas: dict[tuple[str, str], set[str]] = {}
        keys: set[str] = set()
        proper: set[tuple[str, str]] = set()
        triples: set[tuple[str, str, str]] = set()
        spellings: dict[str, set[str]] = {}
        seen: dict[str, tuple[str, str]] = {}  # names share their words: each is read once

        def read(word: str) -> tuple[str, str]:
            found = seen.get(word)
            if found is None:
                found = seen[word] = (fold(word), accent_key(word))
            return found

        for product in self.products.values():
            written = words(product.name)
            typed = [read(w) for w in written]
            for (fa, ka), (fb, kb) in zip(typed, typed[1:], strict=False):
                pairs.setdefault((fa, fb), set()).add((ka, kb))
                areas.setdefault((fa, fb), set()).add(product.area or "")
            folded = [f for f, _ in typed]
            for i in range(len(written) - 1):
                if written[i][:1].isupper() and written[i + 1][:1].isupper():
                    proper.add((folded[i], folded[i + 1]))
            triples.update(tuple(folded[i : i + 3]) for i in range(len(folded) - 2))
            english = [read(w) for w in words(split_qualifier(product.english_name or "")[0])]
            for (fa, _), (fb, _) in zip(english, english[1:], strict=False):  # "Lương Thịnh honey"
                areas.setdefault((fa, fb), set()).add(product.area or "")
            english_folded = [f for f, _ in english]
            triples.update(tuple(english_folded[i : i + 3]) for i in range(len(english_folded) - 2))
            keys.update(k for _, k in typed)
            others = words(f"{product.qualifier or ''} {product.producer or ''}")
            keys.update(read(w)[1] for w in others)
            for word in (*written, *others):
                spellings.setdefault(read(word)[0], set()).add(word.lower())
        return NameWords(pairs, areas, keys, proper, triples, spellings)

    def parse(self, raw: str, fillers: frozenset[str] = frozenset()) -> ParsedQuery:
        """`fillers`: more words to drop, as a chat's; a catalogue word among them stays a bonus."""
        accented, folded = drop_repeats(*tokenize(raw), self.name_pairs)
        query = ParsedQuery(raw=raw)
        consumed: set[int] = set()
        query.star, query.star_min = extract_stars(folded, consumed)
        optional: set[int] = set()
        legal_ends: set[int] = set()
        for start, length, _ in find_phrases(folded, consumed, LEGAL_FORMS):
            # "HTX", "Công ty TNHH": every producer has one, so they rank but never decide.
            for j in range(start, start + length):
                if folded[j] in self.postings:
                    optional.add(j)
                consumed.add(j)
            legal_ends.add(start + length)
        named_places = [p for p in find_phrases(folded, consumed, self.places) if p[0] not in legal_ends]
        # "HTX Gia Phú" names a producer, not the commune Gia Phú (legal_ends).
        for start, length, place in named_places:
            if not self._spelled_as_place(accented[start : start + length], place.tokens):
                continue  # marks typed are meant: "Năm 2025 có" is no "Nậm Có"
            if self._inside_a_name(accented, folded, start, length, consumed, place, several=len(named_places) > 1):
                continue  # words of the name, searched as such
            if query.place is None:
                query.place = place
            optional.update(range(start, start + length))
            consumed.update(range(start, start + length))
        for start, length, category in find_phrases(folded, consumed, self.vocab.category_phrases):
            query.category = str(category)
            consumed.update(range(start, start + length))
        synonym_hits = {s: (n, alts) for s, n, alts in find_phrases(folded, consumed, self.vocab.synonyms)}
        for start, length, _ in find_phrases(folded, consumed | _spanned(synonym_hits), self.compound_phrases):
            synonym_hits[start] = (length, [])  # one word in two: the whole of it is asked
        synonym_span = _spanned(synonym_hits)
        stop_hits = find_phrases(
            folded,
            consumed | synonym_span,
            self.vocab.stop_phrases,
        )
        # A word typed with the marks of a catalogue word is that word, though it folds like a
        # question word: "cổ" (ancient, "cổ thụ") is not "có", "nếp" is not "nệp".
        stop_hits = [
            (start, length, x)
            for start, length, x in stop_hits
            if length > 1
            or accented[start].isascii()
            or accent_key(accented[start]) not in self.word_keys
            or accent_key(accented[start]) in self.vocab.chat_keys
        ]
        taken = {j for start, length, _ in stop_hits for j in range(start, start + length)}
        chat_words = [(j, 1, True) for j, tok in enumerate(folded)
                      if tok in fillers and j not in consumed and j not in taken and j not in synonym_span]  # fmt: skip
        stop_hits += chat_words
        chat_soft = {j for j, _, _ in chat_words}
        chat_terms: list[Term] = []
        for start, length, _ in stop_hits:
            span = range(start, start + length)
            if length == 1 and folded[start] in self.postings:
                optional.add(start)  # "ban" is also "bản": a bonus if present, never required
            consumed.update(span)
        budget = _MESSAGE_BUDGET.get() or _FuzzyBudget()
        i = 0
        while i < len(folded):
            if i in synonym_hits:
                length, alternatives = synonym_hits[i]
                typed = tuple(folded[i : i + length])
                alts = [(typed, 1.0)] + [(tuple(a), 1.0) for a in alternatives]
                query.terms.append(Term(" ".join(typed), " ".join(accented[i : i + length]), alts))
                i += length
                continue
            if i in consumed:
                if i in optional:
                    query.terms.append(Term(folded[i], accented[i], [((folded[i],), 1.0)], required=False))
                    # Typed bare, the filler is a guess ("que" may be quế); "sao" alone is no name.
                    if i in chat_soft and accented[i].isascii() and folded[i] not in STAR_WORDS:
                        chat_terms.append(query.terms[-1])
                i += 1
                continue
            is_last = i == len(folded) - 1
            query.terms.append(Term(folded[i], accented[i], self._expand(folded[i], prefix=is_last, budget=budget)))
            i += 1
        if chat_terms and not any(term.required for term in query.terms):
            # A chat word is dropped only when what is left still says something: "que Văn Yên"
            # typed without marks is cinnamon (quế), not "home" (quê).
            for term in chat_terms:
                term.required = True
        for term in query.terms:
            exact = [alt for alt, penalty in term.alternatives if penalty == 1.0]
            known = [sum(self.idf.get(t, self.max_idf) for t in alt) / len(alt) for alt in exact]
            term.weight = max(known, default=self.max_idf)
        return query

    def _spelled_as_place(self, typed: list[str], tokens: tuple[str, ...]) -> bool:
        """Each word typed with marks has the marks of the place's word, in some spelling of it
        (a word typed bare, or written bare in an alias, fits any)."""
        spellings = self.place_spellings.get(tokens)
        if not spellings or len(typed) != len(tokens):
            return True

        return any(all(map(marks_fit, typed, spelling)) for spelling in spellings)

    def _inside_a_name(
        self,
        accented: list[str],
        folded: list[str],
        start: int,
        length: int,
        consumed: set[int],
        place: PlacePhrase,
        several: bool,
    ) -> bool:
        """ "Việt Hồng trà": the commune Việt Hồng (Trấn Yên) is the first words of a tea's name
        from Mường Khương. A place glued to a word it forms a product's name with is that name's
        part when another place is named too, or when no product so named comes from it
        ("chè Shan Mường Khương" is from Mường Khương: there the place stays a place)."""
        end = start + length
        glued = []
        if start > 0 and start - 1 not in consumed:
            glued.append((start - 1, start))
        if end < len(folded) and end not in consumed:
            glued.append((end - 1, end))
        areas = []
        for a, b in glued:
            pair = (folded[a], folded[b])
            neighbour = folded[a] if a < start else folded[b]
            if length >= 2 and b == end and tuple(folded[b - 2 : b + 1]) not in self.name_triples:
                # A place of two words followed by a name's word is in that name only with both:
                # "Việt Hồng trà" is, "Tran Yen cinnamon" is not "Văn Yên cinnamon".
                continue
            if pair not in self.name_pair_areas or (neighbour,) in self.vocab.stop_phrases:
                continue  # "Văn Yên có…": "có" glues to no name
            typed = (accented[a], accented[b])
            # Marks typed are meant: "Văn Yên có" is not a name "… Yên Cổ …".
            written = self.name_pairs.get(pair)  # None: a pair of an English name ("Lương Thịnh honey")
            if (
                written is not None
                and any(fold(w) != w for w in typed)
                and tuple(map(accent_key, typed)) not in written
            ):
                continue
            if written is not None and all(fold(w) == w for w in typed) and not self.plain_name(folded, a):
                continue  # "chuoi ngu an tien bao thang": "tien bao" is no "Bát tiên Bảo Hưng" here
            areas.append(self.name_pair_areas[pair])
        if not areas:
            return False
        return several or (place.district is not None and all(place.district not in found for found in areas))

    def plain_name(self, folded: list[str], i: int) -> bool:
        """Typed without marks, the pair at `i` is a name's when it is a proper name ("gia phu"),
        opens a name ("tra day" of "Trà dây leo": not "trà đây"), or a neighbour goes on with the
        name ("huu co ban", "viet hong tra")."""
        if (folded[i], folded[i + 1]) in self.proper_pairs or (folded[i], folded[i + 1]) in self.name_heads:
            return True
        return (
            tuple(folded[max(i - 1, 0) : i + 2]) in self.name_triples or tuple(folded[i : i + 3]) in self.name_triples
        )

    def _expand(
        self, token: str, *, prefix: bool, budget: _FuzzyBudget | None = None
    ) -> list[tuple[tuple[str, ...], float]]:
        """A word and what it may be a slip for; each word's reading is worked out once per index
        (an unknown word costs a fuzzy pass over the vocabulary, and chats repeat their words),
        while the search's `budget` lasts."""
        if token in self.postings:
            # "bags" and "bag" are both catalogue words (tea bags, a brocade bag): one thing asked.
            number = [w for w in _other_number(token) if w in self.postings] if token.endswith("s") else []
            return [((token,), 1.0), *[((w,), 1.0) for w in number[:1]]]
        key = (token, prefix)
        cached = self._expansions.get(key)
        if cached is None:
            if budget is not None and not budget.take():
                return [((token,), 1.0)]
            if len(self._expansions) >= EXPANSIONS_KEPT:
                self._expansions.clear()
            cached = self._expansions[key] = self._expand_unknown(token, prefix=prefix)
        return list(cached)

    def _expand_unknown(self, token: str, *, prefix: bool) -> list[tuple[tuple[str, ...], float]]:
        alternatives: list[tuple[tuple[str, ...], float]] = [((token,), 1.0)]
        decoded = decode_ime(token)
        # "aa" read as Telex is "â", folded "a": a single letter names nothing ("TT Mậu A").
        if decoded and len(decoded) > 1 and decoded in self.postings:
            return alternatives + [((decoded,), 0.95)]
        if token.isdigit():
            return alternatives
        number = [w for w in _other_number(token) if w in self.postings]
        if number:  # "homestays", "noodle": English says one or many; the thing is the same
            return alternatives + [((number[0],), 1.0)]
        n = len(token)
        budget = 0 if n <= 2 else 1 if n <= 7 else 2
        if budget:
            pool = [t for length in range(n - budget, n + budget + 1) for t in self.by_length.get(length, ())]
            for candidate, distance, _ in process.extract(
                token, pool, scorer=DamerauLevenshtein.distance, score_cutoff=budget, limit=8
            ):
                # A wrong first letter is rarer than a slip inside the word.
                penalty = 0.8 if distance == 1 else 0.6
                if candidate[0] != token[0]:
                    penalty -= 0.2
                if n <= 3:
                    penalty -= 0.2
                alternatives.append(((candidate,), penalty))
        if prefix and n >= 3:
            import bisect

            start = bisect.bisect_left(self.sorted_vocab, token)
            for candidate in self.sorted_vocab[start : start + 12]:
                if not candidate.startswith(token):
                    break
                alternatives.append(((candidate,), 0.7))
        return alternatives

    # -- matching -----------------------------------------------------------------------

    def _term_docs(
        self, term: Term, among: dict[int, float] | None = None, restrict: _AnyOf | None = None
    ) -> dict[int, tuple[float, float]]:
        """doc -> (penalty, field weight) of the term's best alternative in that doc.

        With `among`, only those docs are wanted: a long list is probed per candidate
        instead of walked, which keeps very common words cheap.
        """
        best: dict[int, tuple[float, float]] = {}
        postings = self.postings
        for alt, penalty in term.alternatives:
            if not all(tok in postings for tok in alt):
                continue
            lead, *rest = sorted(alt, key=postings.df)
            bound = self.bound.get(lead) if len(alt) == 1 else None
            if among is not None and postings.df(lead) > PROBE_FACTOR * len(among):
                found = ((doc, postings.field(lead, doc)) for doc in among)
            elif among is None and restrict is not None and postings.df(lead) > PROBE_FACTOR * len(restrict):
                found = ((doc, postings.field(lead, doc)) for doc in restrict)
            else:
                found = postings.scan(lead)
            for doc, code in found:
                if code is None or (among is not None and doc not in among):
                    continue
                if restrict is not None and doc not in restrict:
                    continue
                if bound and doc in bound:
                    continue
                for tok in rest:  # a multi-word alternative ("mat ong") needs every word
                    other = postings.field(tok, doc)
                    if other is None:
                        break
                    code = min(code, other)
                else:
                    weight = FIELD_WEIGHTS[code]
                    old = best.get(doc)
                    if old is None or penalty * weight > old[0] * old[1]:
                        best[doc] = (penalty, weight)
        return best

    def search(
        self, raw: str, limit: int | None = 5, *, ignore_stars: bool = False, fillers: frozenset[str] = frozenset()
    ) -> SearchResult:
        """`ignore_stars`: a star in the query is a claim to check, not a filter ("is X really 4-star?")."""
        query = self.parse(raw, fillers)
        query.star_filter_off = ignore_stars
        result = SearchResult(query)
        required = query.required
        if len(required) > MAX_REQUIRED:
            # A pasted company name: its rarest words decide; the common ones only add a bonus.
            for term in sorted(required, key=lambda t: t.weight)[: len(required) - MAX_REQUIRED]:
                term.required = False
            required = query.required
        if not required:
            if query.has_filters:
                result.listing = True
                result.hits = self._listing(query, limit)
                if not result.hits:
                    self._relax_listing(query, result, limit)
            return self._cap(result, limit)

        total = sum(t.weight for t in required)
        threshold = ANSWER_COVERAGE - 1e-9
        if self._best_possible(required) / total < threshold:
            return self._cap(result, limit)  # e.g. two unknown words of three: no product can answer
        place_docs = self._place_docs(query)
        coverage, lexical = self._score(query, required, total, place_docs)
        if place_docs is not None and not any(v >= threshold for v in coverage.values()):
            coverage, lexical = self._score(query, required, total, None)  # to say what the place lacks
        if len(required) == 1 and required[0].typed in self.address_only:
            for doc in self.address_only[required[0].typed] & coverage.keys():
                del coverage[doc], lexical[doc]
        content = coverage.keys()
        eligible = [doc for doc, value in coverage.items() if value >= threshold]
        relaxed: tuple[str, ...] = ()

        def key(doc: int) -> tuple[float, float]:
            return coverage[doc], lexical[doc]

        top = self._top_passing(query, eligible, key, ())
        if eligible and not top:
            # Nothing satisfies every filter: say which one we dropped, never hide it.
            for relax in (("star",), ("place",), ("category",), ("star", "place", "category")):
                top = self._top_passing(query, eligible, key, relax)
                if top:
                    relaxed = tuple(r for r in relax if self._filter_given(query, r))
                    break
        result.relaxed = relaxed
        ranked = self._rank(query, [(d, coverage[d], lexical[d]) for d in top], total)
        ceiling = 1.0
        for doc, cov, score in ranked:
            ceiling = min(ceiling, score)  # scores never rise down the list: best first, as ranked
            result.hits.append(Hit(self.products[doc], round(ceiling, 3), round(cov, 3)))
        if not result.hits:
            near = [d for d in content if coverage[d] >= SUGGEST_COVERAGE]
            near = heapq.nlargest(3, near, key=lambda d: (coverage[d], lexical[d]))
            result.suggestions = [self.products[d] for d in near] or self._fuzzy_suggestions(query, coverage)
        return self._cap(result, limit)

    def _relax_listing(self, query: ParsedQuery, result: SearchResult, limit: int | None) -> None:
        """ "4* Bắc Hà" and Bắc Hà has no 4-star product: the other stars there, said so. A place
        is never dropped: "everything elsewhere" answers nothing about the place asked for."""
        for drop in (("star",), ("category",), ("star", "category")):
            if not all(self._filter_given(query, name) for name in drop):
                continue
            relaxed = ParsedQuery(
                raw=query.raw,
                star=None if "star" in drop else query.star,
                star_min=None if "star" in drop else query.star_min,
                place=query.place,
                category=None if "category" in drop else query.category,
            )
            hits = self._listing(relaxed, limit)
            if hits and (relaxed.place or relaxed.category or relaxed.star or relaxed.star_min):
                result.hits, result.relaxed = hits, drop
                return

    def _best_possible(self, required: list[Term]) -> float:
        """The most coverage any product could reach: exact words count fully, typos less."""
        best = 0.0
        for term in required:
            penalties = [p for alt, p in term.alternatives if all(tok in self.postings for tok in alt)]
            best += term.weight * max(penalties, default=0.0)
        return best

    def _place_docs(self, query: ParsedQuery) -> _AnyOf | None:
        """Products in the asked-for district (or naming it), to score first; None: no such filter."""
        place = query.place
        if place is None or place.district is None:
            return None
        area = self.area_sets.get(place.district, frozenset())
        tokens = place.tokens
        if not all(t in self.postings for t in tokens):
            return _AnyOf(area)
        naming = self._place_naming.get(tokens)
        if naming is None:  # the products whose name says the place, once per place
            phrase = f" {' '.join(tokens)} "
            lead = min(tokens, key=self.postings.df)
            naming = frozenset(
                d for d, code in self.postings.scan(lead) if code == NAME and phrase in f" {self.name_folded[d]} "
            )
            self._place_naming[tokens] = naming
        return _AnyOf(area, naming)

    def _score(
        self, query: ParsedQuery, required: list[Term], total: float, restrict: _AnyOf | None
    ) -> tuple[dict[int, float], dict[int, float]]:
        """Coverage (share of the user's words matched) and lexical weight per candidate."""
        coverage: dict[int, float] = defaultdict(float)
        lexical: dict[int, float] = defaultdict(float)
        # Any answer matches at least one of the rarest words that together outweigh what an
        # answer may miss; those words' lists give the candidates, the others only check them.
        ordered = sorted(required, key=lambda t: -t.weight)
        leading, weight = [], 0.0
        for term in ordered:
            leading.append(term)
            weight += term.weight
            if weight > (1 - ANSWER_COVERAGE) * total + 1e-9:
                break
        leading_ids = {id(term) for term in leading}
        remaining = total
        for term in ordered:
            among = None if id(term) in leading_ids else coverage
            for doc, (penalty, field_weight) in self._term_docs(term, among, restrict).items():
                coverage[doc] += term.weight * penalty / total
                lexical[doc] += term.weight * penalty * field_weight
            remaining -= term.weight
            if among is not None and len(coverage) > PRUNE_ABOVE:
                # Drop candidates that cannot reach an answer even with every word left.
                floor = ANSWER_COVERAGE - 1e-9 - remaining / total
                for doc in [d for d, v in coverage.items() if v < floor]:
                    del coverage[doc], lexical[doc]
        # Bonus words ("HTX", "bán") only order candidates that can be answers or suggestions: the
        # few best, not the thousands a common word touches.
        optional = [term for term in query.terms if not term.required]
        if optional:
            threshold = ANSWER_COVERAGE - 1e-9
            ranked = {doc: value for doc, value in coverage.items() if value >= threshold}
            if len(ranked) < MAX_CANDIDATES:
                ranked = dict(heapq.nlargest(MAX_CANDIDATES * 5, coverage.items(), key=lambda item: item[1]))
            for term in optional:
                for doc, (penalty, field_weight) in self._term_docs(term, ranked, None).items():
                    lexical[doc] += 0.25 * penalty * field_weight
        return coverage, lexical

    def _filter_check(self, query: ParsedQuery, relax: tuple[str, ...]):
        """A per-document test for the query's filters, or None when nothing filters.

        A test per candidate, not a set per query: candidates are few, while a province's
        set can hold half the catalogue and copying it costs more than the whole search.
        """
        stars_on = "star" not in relax and not query.star_filter_off
        star, star_min = (query.star, query.star_min) if stars_on else (None, None)
        place = query.place if "place" not in relax else None
        if place is not None and not (place.district or place.province):
            place = None
        category = query.category if "category" not in relax else None
        if star is None and star_min is None and place is None and category is None:
            return None
        products, area_of, province_of, names = self.products, self.area_of, self.province_of, self.name_folded
        phrase = f" {' '.join(place.tokens)} " if place else ""

        def allowed(doc: int) -> bool:
            product = products[doc]
            if star is not None and product.star != star:
                return False
            if star_min is not None and (product.star or 0) < star_min:
                return False
            if category is not None and product.category != category:
                return False
            if place is not None:
                in_place = (place.district is not None and area_of[doc] == place.district) or (
                    place.province is not None and province_of[doc] == place.province
                )
                # ...or the place is part of the product's own name ("Quả mận Tả Van Si Ma Cai").
                return in_place or phrase in f" {names[doc]} "
            return True

        return allowed

    def _top_passing(self, query: ParsedQuery, eligible: list[int], key, relax: tuple[str, ...]) -> list[int]:
        """The best MAX_CANDIDATES documents that pass the filters, testing as few as possible."""
        allowed = self._filter_check(query, relax)
        if allowed is None:
            return heapq.nlargest(MAX_CANDIDATES, eligible, key=key)
        pool = heapq.nlargest(MAX_CANDIDATES * 5, eligible, key=key)
        top = [doc for doc in pool if allowed(doc)][:MAX_CANDIDATES]
        if len(top) < MAX_CANDIDATES and len(pool) < len(eligible):
            top = heapq.nlargest(MAX_CANDIDATES, [d for d in eligible if allowed(d)], key=key)
        return top

    @staticmethod
    def _filter_given(query: ParsedQuery, name: str) -> bool:
        return {
            "star": query.star is not None or query.star_min is not None,
            "place": query.place is not None,
            "category": query.category is not None,
        }[name]

    def _rank(
        self, query: ParsedQuery, candidates: Iterable[tuple[int, float, float]], total: float
    ) -> list[tuple[int, float, float]]:
        content = query.content
        full = " ".join(t.typed for t in query.terms)
        typed_marks = [accent_key(t.accented) for t in query.required if fold(t.accented) != t.accented]
        rows = []
        for doc, coverage, lexical in candidates:
            coverage = min(coverage, 1.0)
            alts = self.alt_folded[doc]
            similarity = max(max(fuzz.ratio(content, alt), fuzz.ratio(full, alt)) for alt in alts) / 100
            exact = 1.0 if content in alts or full in alts else 0.0
            accents = self._accents(doc) if typed_marks else frozenset()
            accent = sum(1 if key in accents else -0.5 for key in typed_marks) / max(len(typed_marks), 1)
            lexical_share = lexical / (total * NAME)
            star = (self.products[doc].star or 0) / 100
            rank = round(coverage, 2) * 10 + lexical_share + similarity + exact + 0.3 * accent + star
            score = coverage * (0.6 + 0.4 * max(similarity, exact))
            rows.append((rank, doc, coverage, score))
        rows.sort(key=lambda r: (-r[0], r[1]))
        return [(doc, coverage, score) for _, doc, coverage, score in rows]

    def _accents(self, doc: int) -> frozenset[str]:
        # Computed for the ranked candidates only, and only when the user typed marks; kept.
        found = self._accent_sets.get(doc)
        if found is None:
            found = self._accent_sets[doc] = frozenset(accent_key(w) for w in words(self.products[doc].display_name))
        return found

    def warm(self) -> None:
        """Walk the lists people ask for most (each star level, by district and former province,
        and the counts) with the snapshot, off the event loop: at 20,000 products the first "sp 4
        sao ở Sa Pa" took 18 ms, every later one under 2."""
        self.name_heads  # noqa: B018  (the word tables chat reading needs, not built at the first message)
        self._name_words  # noqa: B018
        provinces = sorted({p for p in self.province_of.values() if p})
        for star in (None, 3, 4, 5):
            for district in (None, *self.areas):
                place = PlacePhrase(tuple(fold(district).split()), district, None, district) if district else None
                self._listing(ParsedQuery(raw="", star=star, place=place), None)
            for province in provinces:
                place = PlacePhrase(tuple(fold(province).split()), None, province, province)
                self._listing(ParsedQuery(raw="", star=star, place=place), None)
        for district in (None, *self.areas):
            self.star_counts(district=district, province=None, category=None)
        for province in provinces:
            self.star_counts(district=None, province=province, category=None)

    def star_counts(self, *, district: str | None, province: str | None, category: str | None) -> Counter:
        """How many products of each star level the filters keep (None: star not confirmed)."""
        place = PlacePhrase(tuple(fold(district or province or "").split()), district, province, "")
        query = ParsedQuery(raw="", place=place if district or province else None, category=category)
        key = ("counts", district, province, category)
        if key not in self._listings:
            self._listings[key] = Counter(hit.product.star for hit in self._listing(query, None))
        return self._listings[key]

    def listing(self, *, star: int | None, district: str | None, category: str | None) -> SearchResult:
        """Products by filters alone (menus and paging), without going through query text."""
        place = PlacePhrase(tuple(fold(district).split()), district, None, district) if district else None
        query = ParsedQuery(raw="", star=star, place=place, category=category)
        return SearchResult(query, hits=self._listing(query, None), listing=True)

    @property
    def areas(self) -> list[str]:
        return [area for area in self.ordered_by_area if area]

    def _listing(self, query: ParsedQuery, limit: int | None) -> list[Hit]:
        """Filters only: the same few lists are asked for again and again ("sp 4 sao ở Sa Pa"), and
        the catalogue of an index never changes, so each is walked once and kept."""
        place = query.place  # its words matter not: a list walks its district's or province's products
        stars = (None, None) if query.star_filter_off else (query.star, query.star_min)  # off: all levels
        commune = place is not None and place.district and place.tokens != tuple(fold_cached(place.district).split())
        key = (*stars, query.category, limit, place.district if place else None, place.province if place else None,
               place.tokens if commune else None)  # fmt: skip
        cached = self._listings.get(key)
        if cached is None:
            if len(self._listings) >= LISTINGS_KEPT:
                self._listings.clear()
            cached = self._listings[key] = self._walk_listing(query, limit)
            if commune:  # "xã Lâm Thượng có sp nào": the district's list, those that name the commune first
                named = self._naming(place.tokens)
                cached.sort(key=lambda hit: hit.product.id not in named)
        return list(cached)

    def _naming(self, tokens: tuple[str, ...]) -> set[int]:
        """The products whose name or producer says these words in a row ("xã Lâm Thượng": "Lâm
        Thượng"); only those holding the first word are read."""
        tokens = tokens[1:] if tokens[0] in UNIT_WORDS and len(tokens) > 2 else tokens
        said = f" {' '.join(tokens)} "
        holding = {doc for doc, _ in self.postings.scan(tokens[0])}
        return {doc for doc in holding if any(said in f" {text} " for text in self.alt_folded.get(doc, ()))}

    def _walk_listing(self, query: ParsedQuery, limit: int | None) -> list[Hit]:
        """Filters only: walk the smallest pre-ordered list that the filters imply."""
        allowed = self._filter_check(query, ())
        base = self.ordered
        if query.place is not None and query.place.district:
            base = self.ordered_by_area.get(query.place.district, [])
        elif query.place is not None and query.place.province:
            base = self.ordered_by_province.get(query.place.province, [])
        if query.category and len(self.ordered_by_category.get(query.category, [])) < len(base):
            base = self.ordered_by_category[query.category]
        hits = []
        for doc in base:
            if allowed is None or allowed(doc):
                hits.append(Hit(self.products[doc], 1.0, 1.0))
                if limit is not None and len(hits) >= limit:
                    break
        return hits

    def _fuzzy_suggestions(self, query: ParsedQuery, touched: dict[int, float]) -> list[Product]:
        """Names close to what was typed, among products that share at least one word with it."""
        text = query.content
        if sum(c.isalpha() for c in text) < 4 or not touched:
            return []  # "or 1 1" is not worth a guess
        pool = heapq.nlargest(MAX_CANDIDATES, touched, key=touched.__getitem__)
        names = {doc: self.name_folded[doc] for doc in pool}
        found = process.extract(text, names, scorer=fuzz.WRatio, processor=None, score_cutoff=80, limit=3)
        return [self.products[doc] for _, _, doc in found]

    @staticmethod
    def _cap(result: SearchResult, limit: int | None) -> SearchResult:
        if limit is not None and not result.listing:
            result.hits = result.hits[:limit]
        return result
