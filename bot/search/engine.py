"""In-memory search over the catalogue: inverted index of folded tokens, rapidfuzz re-ranking.

Candidates come from postings (never a scan of every product); coverage of the user's words
decides whether we claim an answer at all, then field weights, exactness, accents and
rapidfuzz similarity order the answers.
"""

from __future__ import annotations

import csv
import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from bot.models import Locality, Product
from bot.search.query import (
    STOP_PHRASE_SET,
    ParsedQuery,
    PlacePhrase,
    Term,
    extract_stars,
    find_phrases,
    tokenize,
)
from bot.search.telex import decode_ime
from bot.text import accent_key, fold, fold_cached, words

# Field weights: a word found in the name counts more than one found in the producer.
NAME, QUALIFIER, ALIAS, PRODUCER = 3.0, 1.5, 2.0, 1.2
CONTENT_FIELD_MIN = PRODUCER  # every indexed field says what a product *is*
ANSWER_COVERAGE = 0.8  # below this share of the user's words we claim no answer
SUGGEST_COVERAGE = 0.34
MAX_CANDIDATES = 200
PROVINCE_WIDE = {("lao", "cai"), ("laocai",), ("lao", "kay"), ("laokay",)}


@dataclass(frozen=True)
class Hit:
    product: Product
    score: float  # 0..1, how sure we are
    coverage: float


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


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class Vocabulary:
    """Our own words: categories and synonyms (data/categories.csv, data/synonyms.csv)."""

    categories: dict[str, dict[str, str]]
    category_phrases: dict[tuple[str, ...], str]
    synonyms: dict[tuple[str, ...], list[tuple[str, ...]]]

    @classmethod
    def load(cls, data_dir: Path) -> Vocabulary:
        categories: dict[str, dict[str, str]] = {}
        phrases: dict[tuple[str, ...], str] = {}
        for row in _read_csv(data_dir / "categories.csv"):
            categories[row["key"]] = row
            for alias in [row["key"], row["vi"], row["en"], *row.get("aliases", "").split(";")]:
                if fold(alias):
                    phrases[tuple(fold(alias).split())] = row["key"]
        synonyms: dict[tuple[str, ...], list[tuple[str, ...]]] = defaultdict(list)
        for row in _read_csv(data_dir / "synonyms.csv"):
            key = tuple(fold(row["term"]).split())
            for expansion in row["expansion"].split(";"):
                if fold(expansion) and key:
                    synonyms[key].append(tuple(fold(expansion).split()))
        return cls(categories, phrases, dict(synonyms))


class SearchIndex:
    def __init__(self, products: Sequence[Product], localities: Sequence[Locality], vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.products: dict[int, Product] = {p.id: p for p in products}
        self.postings: dict[str, dict[int, float]] = defaultdict(dict)
        self.name_folded: dict[int, str] = {}
        self.alt_folded: dict[int, tuple[str, ...]] = {}
        self.name_accents: dict[int, frozenset[str]] = {}
        self.area_of: dict[int, str] = {}
        self.province_of: dict[int, str] = {}
        self.places: dict[tuple[str, ...], PlacePhrase] = {}
        self.by_star: dict[int | None, set[int]] = defaultdict(set)
        self.by_area: dict[str, set[int]] = defaultdict(set)
        self.by_province: dict[str, set[int]] = defaultdict(set)
        self.by_category: dict[str, set[int]] = defaultdict(set)
        self._build_places(localities)
        for product in products:
            self._add(product)
        # Listings (filters only) come out in this order: stars first, then by name.
        ordered = sorted(self.products, key=lambda d: (-(self.products[d].star or 0), self.name_folded[d]))
        self.list_position = {doc: i for i, doc in enumerate(ordered)}
        n = max(len(self.products), 1)
        self.idf = {tok: math.log(1 + n / len(docs)) for tok, docs in self.postings.items()}
        self.max_idf = math.log(1 + n)
        self.by_length: dict[int, list[str]] = defaultdict(list)
        for tok in self.postings:
            self.by_length[len(tok)].append(tok)
        self.sorted_vocab = sorted(self.postings)

    # -- building -----------------------------------------------------------------------

    def _build_places(self, localities: Sequence[Locality]) -> None:
        ordered = sorted(localities, key=lambda loc: loc.district != loc.name)  # districts first
        for loc in ordered:
            district = loc.district or loc.name
            label = district
            spellings = [loc.name, *loc.aliases]
            spellings += [u.split(" ", 1)[1] for u in loc.new_units if " " in u and "part" not in u]
            for spelling in spellings:
                tokens = tuple(fold(spelling.split("(")[0]).split())
                for variant in {tokens, ("".join(tokens),)}:
                    if not variant or not variant[0] or variant in self.places:
                        continue
                    if variant in PROVINCE_WIDE:
                        self.places[variant] = PlacePhrase(variant, None, None, loc.name)
                    elif district == loc.former_province or (loc.kind == "city" and loc.name == "Yên Bái"):
                        self.places[variant] = PlacePhrase(variant, None, loc.former_province, loc.name)
                    else:
                        self.places[variant] = PlacePhrase(variant, district, None, label)

    def _add(self, product: Product) -> None:
        doc = product.id
        fields: list[tuple[str, float]] = [
            (product.name, NAME),
            (product.qualifier, QUALIFIER),
            (product.english_name, ALIAS),
            *((alias, ALIAS) for alias in product.aliases),
            (product.producer, PRODUCER),
        ]
        # Area, province and category are filters (parsed out of the query), not search words:
        # as postings they would touch a third of the catalogue for every "Sa Pa".
        for text, weight in fields:
            tokens = fold_cached(text).split()
            grams = tokens + ["".join(pair) for pair in zip(tokens, tokens[1:], strict=False)]
            for tok in grams:
                if self.postings[tok].get(doc, 0.0) < weight:
                    self.postings[tok][doc] = weight
        self.name_folded[doc] = fold_cached(product.name)
        self.alt_folded[doc] = tuple(
            fold_cached(s) for s in (product.name, product.display_name, product.english_name, *product.aliases) if s
        )
        self.name_accents[doc] = frozenset(accent_key(w) for w in words(product.display_name))
        self.area_of[doc] = product.area
        self.province_of[doc] = product.former_province
        self.by_star[product.star].add(doc)
        self.by_area[product.area].add(doc)
        self.by_province[product.former_province].add(doc)
        self.by_category[product.category].add(doc)

    # -- query understanding ------------------------------------------------------------

    def parse(self, raw: str) -> ParsedQuery:
        accented, folded = tokenize(raw)
        query = ParsedQuery(raw=raw)
        consumed: set[int] = set()
        query.star, query.star_min = extract_stars(folded, consumed)
        optional: set[int] = set()
        for start, length, place in find_phrases(folded, consumed, self.places):
            if query.place is None:
                query.place = place
            optional.update(range(start, start + length))
            consumed.update(range(start, start + length))
        for start, length, category in find_phrases(folded, consumed, self.vocab.category_phrases):
            query.category = str(category)
            query.category_tokens = tuple(folded[start : start + length])
            consumed.update(range(start, start + length))
        synonym_hits = {s: (n, alts) for s, n, alts in find_phrases(folded, consumed, self.vocab.synonyms)}
        stop_hits = find_phrases(
            folded, consumed | {j for s, (n, _) in synonym_hits.items() for j in range(s, s + n)},
            {tuple(p.split()): True for p in STOP_PHRASE_SET},
        )  # fmt: skip
        for start, length, _ in stop_hits:
            span = range(start, start + length)
            if length == 1 and folded[start] in self.postings:
                optional.add(start)  # "ban" is also "bản": a bonus if present, never required
            consumed.update(span)
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
                i += 1
                continue
            is_last = i == len(folded) - 1
            query.terms.append(Term(folded[i], accented[i], self._expand(folded[i], prefix=is_last)))
            i += 1
        for term in query.terms:
            exact = [alt for alt, penalty in term.alternatives if penalty == 1.0]
            known = [sum(self.idf.get(t, self.max_idf) for t in alt) / len(alt) for alt in exact]
            term.weight = max(known, default=self.max_idf)
        return query

    def _expand(self, token: str, *, prefix: bool) -> list[tuple[tuple[str, ...], float]]:
        if token in self.postings:
            return [((token,), 1.0)]
        alternatives: list[tuple[tuple[str, ...], float]] = [((token,), 1.0)]
        decoded = decode_ime(token)
        if decoded and decoded in self.postings:
            return alternatives + [((decoded,), 0.95)]
        if token.isdigit():
            return alternatives
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

    def _term_matches(self, term: Term) -> dict[int, tuple[float, float]]:
        """doc -> (penalty of the best alternative, field weight) for docs the term matches."""
        best: dict[int, tuple[float, float]] = {}
        for alt, penalty in term.alternatives:
            postings = [self.postings.get(tok) for tok in alt]
            if not all(postings):
                continue
            docs = min(postings, key=len)
            for doc in docs:
                weights = [p.get(doc) for p in postings]
                if None in weights:
                    continue
                field_weight = min(weights)
                old = best.get(doc)
                if old is None or penalty * field_weight > old[0] * old[1]:
                    best[doc] = (penalty, field_weight)
        return best

    def search(self, raw: str, limit: int | None = 5, *, ignore_stars: bool = False) -> SearchResult:
        """`ignore_stars`: a star in the query is a claim to check, not a filter ("is X really 4-star?")."""
        query = self.parse(raw)
        query.star_filter_off = ignore_stars
        result = SearchResult(query)
        required = query.required
        if not required:
            if query.has_filters:
                result.listing = True
                result.hits = self._listing(query, limit=None)
            return self._cap(result, limit)

        total = sum(t.weight for t in required)
        coverage: dict[int, float] = defaultdict(float)
        lexical: dict[int, float] = defaultdict(float)
        content: set[int] = set()
        for term in query.terms:
            for doc, (penalty, field_weight) in self._term_matches(term).items():
                if term.required:
                    coverage[doc] += term.weight * penalty / total
                    lexical[doc] += term.weight * penalty * field_weight
                    if field_weight >= CONTENT_FIELD_MIN:
                        content.add(doc)
                else:
                    lexical[doc] += 0.25 * penalty * field_weight
        threshold = ANSWER_COVERAGE - 1e-9
        eligible = [doc for doc in content if coverage[doc] >= threshold]
        relaxed: tuple[str, ...] = ()
        passing = self._apply_filters(query, eligible, ())
        if eligible and not passing:
            # Nothing satisfies every filter: say which one we dropped, never hide it.
            for relax in (("star",), ("place",), ("category",), ("star", "place", "category")):
                passing = self._apply_filters(query, eligible, relax)
                if passing:
                    relaxed = tuple(r for r in relax if self._filter_given(query, r))
                    break
        result.relaxed = relaxed
        top = heapq.nlargest(MAX_CANDIDATES, passing, key=lambda d: (coverage[d], lexical[d]))
        ranked = self._rank(query, [(d, coverage[d], lexical[d]) for d in top], total)
        result.hits = [Hit(self.products[doc], round(score, 3), round(cov, 3)) for doc, cov, score in ranked]
        if not result.hits:
            near = [d for d in content if coverage[d] >= SUGGEST_COVERAGE]
            near = heapq.nlargest(3, near, key=lambda d: (coverage[d], lexical[d]))
            result.suggestions = [self.products[d] for d in near] or self._fuzzy_suggestions(query, coverage)
        return self._cap(result, limit)

    def _filter_set(self, query: ParsedQuery, relax: tuple[str, ...]) -> set[int] | None:
        """Docs allowed by the query's filters (None: no filter), from precomputed sets."""
        sets: list[set[int]] = []
        if "star" not in relax and not query.star_filter_off:
            if query.star is not None:
                sets.append(self.by_star.get(query.star, set()))
            elif query.star_min is not None:
                sets.append(set().union(*(self.by_star.get(s, set()) for s in range(query.star_min, 6))))
        place = query.place
        if "place" not in relax and place is not None and (place.district or place.province):
            allowed = set(self.by_area.get(place.district, ())) | set(self.by_province.get(place.province, ()))
            allowed |= self._docs_naming(place.tokens)
            sets.append(allowed)
        if "category" not in relax and query.category:
            sets.append(self.by_category.get(query.category, set()))
        if not sets:
            return None
        sets.sort(key=len)
        return set.intersection(*sets) if len(sets) > 1 else sets[0]

    def _docs_naming(self, tokens: tuple[str, ...]) -> set[int]:
        """Products whose own name holds the place ("Quả mận Tả Van Si Ma Cai")."""
        postings = [self.postings.get(t) for t in tokens]
        if not all(postings):
            return set()
        phrase = f" {' '.join(tokens)} "
        docs = min(postings, key=len)
        return {d for d in docs if phrase in f" {self.name_folded[d]} "}

    def _apply_filters(self, query: ParsedQuery, docs: Iterable[int], relax: tuple[str, ...]) -> list[int]:
        allowed = self._filter_set(query, relax)
        return list(docs) if allowed is None else [d for d in docs if d in allowed]

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
            accents = self.name_accents[doc]
            accent = sum(1 if key in accents else -0.5 for key in typed_marks) / max(len(typed_marks), 1)
            lexical_share = lexical / (total * NAME)
            star = (self.products[doc].star or 0) / 100
            rank = round(coverage, 2) * 10 + lexical_share + similarity + exact + 0.3 * accent + star
            score = coverage * (0.6 + 0.4 * max(similarity, exact))
            rows.append((rank, doc, coverage, score))
        rows.sort(key=lambda r: (-r[0], r[1]))
        return [(doc, coverage, score) for _, doc, coverage, score in rows]

    def _listing(self, query: ParsedQuery, limit: int | None) -> list[Hit]:
        allowed = self._filter_set(query, ())
        docs = sorted(allowed if allowed is not None else self.products, key=self.list_position.__getitem__)
        return [Hit(self.products[d], 1.0, 1.0) for d in docs[:limit]]

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
