"""A chat message, understood: what the person asks (intents) and what about (a subject).

One step before search. The message is cleaned (repeated letters, repeated words, teen-code),
Chinese and Korean words are read through our dictionary, the message is split into clauses,
and each clause's question phrases are taken out. What is left is the subject, handed to the
search as text: the search still drops filler words itself and keeps a filler that is also a
catalogue word ("bản" in "Bản Liền") as an optional bonus, so a product is never lost to the
cleaning. A clause that asks without naming anything borrows the subject of its neighbour:
"chè Suối Giàng mấy sao, mua ở đâu" asks two things about one product.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.search.query import NUMBER_WORDS, STAR_WORDS, drop_repeats, tokenize
from bot.search.telex import decode_telex
from bot.text import accent_key, fold, nfc, words
from bot.understanding.language import detect_language
from bot.understanding.lexicon import SMALLTALK_PREFIX, Lexicon, cjk_token, intent_token

# "đâuuuu" -> "đâu", "nhaaa" -> "nha"; a word that is only the run ("zzz") stays as typed.
_LETTER_RUN_RE = re.compile(r"(?<=[^\W\d_])([^\W\d_])\1{2,}")
_CLAUSE_RE = re.compile(
    r"[,.;!?\n。，？！、；：:]+|\s[-–]\s|(?:^|\s)\d[)]\s"  # "1) … 2) …": two questions
    # "Is X 4 stars and where can I buy it": "and" before a question word opens a second question.
    r"|\s(?:and|also)\s(?=(?:where|what|when|how|which|who|is|are|can|could|do|does)\b)",
    re.IGNORECASE,
)
_CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_HANGUL_PARTICLES = set("은는이가을를에서도요의로와과고죠네")
_CJK_STARS_RE = re.compile(r"([1-5])\s*(?:颗星|星级|星|성급|성|스타|개)")
_OCOP_WHAT_RE = re.compile(r"ocop\s*(?:是什么|是啥|什么意思|是什么意思|[이가]?\s*뭐|[이가]?\s*무엇)", re.IGNORECASE)
_EMOJI_MODIFIERS = set("\ufe0f\u200d") | {chr(c) for c in range(0x1F3FB, 0x1F400)}  # variation, joiner, skin tones
_LATIN_WORD_RE = re.compile(r"(?<![^\W\d_])[A-Za-z]{2,}(?![^\W\d_])")
_AMOUNT_RE = re.compile(r"\d+(?:kg|g|gr|gam|ml|l|lit|lo|hop|goi|chai|tui|k|tr|d|vnd|usd)")

# Intents a clause may carry; "product" is a clause that only names something.
CLAIM_INTENTS = {"real_or_fake": "stars"}
# Questions about one product: a clause asking one with only a star or place in it ("chỗ đó có
# phải OCOP 3 sao ko") is about the product its neighbour names.
PRODUCT_QUESTIONS = {"stars", "real_or_fake", "validity", "price", "shipping", "wholesale", "payment", "export", "contact", "stock",
                     "info", "producer", "where_to_buy"}  # fmt: skip
# Questions about the catalogue as a whole: they borrow a product named after them only when
# asked again of it ("Bao nhiêu sp hết hạn tháng 12, bưởi Đại Minh có trong đó ko").
CERTIFIED_FROM = 3  # stars: lower levels are scored but never certified (data/facts.toml [stars])
LISTINGS = {"expiring", "expired", "count", "certified_in", "merger"}  # the merger: a fact of the province


@dataclass(frozen=True)
class Ask:
    intent: str
    subject: str  # words for the search; "" when the clause names nothing
    clause: str = ""  # the clause as written (after Chinese/Korean reading): names a market, say
    # "where can I buy it in Lao Cai city": "it" is what the chat was about, and only a place is named.
    points_back: bool = False


@dataclass
class Understanding:
    original: str
    asks: list[Ask] = field(default_factory=list)
    smalltalk: list[str] = field(default_factory=list)  # answered only when nothing else is asked
    whole: str | None = None  # a whole-message command ("subscribe", "lang_en", ...)
    unread: bool = False  # Chinese/Korean words we have no dictionary entry for, and nothing else
    unread_words: bool = False  # some Chinese/Korean words unread, beside ones we read ("김치 어디서 사요")
    unread_modifier: bool = False  # an unread word right before a product word ("普洱茶")
    # Catalogue words the person used as chat words ("bán" in "có bán không"): the search keeps
    # them as a bonus, never as a requirement.
    fillers: frozenset[str] = frozenset()
    mentions: list[str] = field(default_factory=list)  # what clauses named without asking, in order
    only_openers: bool = False  # nothing but openers and particles ("ad ơi")
    asks_available: bool = False  # "有…吗", "…있어요?": whether we have something
    follows_up: bool = False  # asks nothing but opens or closes as a follow-up: "còn mật ong thì sao"

    @property
    def intents(self) -> list[str]:
        return [ask.intent for ask in self.asks]


@dataclass
class _Clause:
    intents: list[tuple[int, str]]
    subject: str
    has_content: bool
    filters_only: bool = False  # "mình ở Yên Bái": a place, a star or a group, nothing named
    points: bool = False  # "sp đó mấy sao": about what a neighbouring clause names
    exact: bool = False  # some word is exactly a catalogue word, a place, a star or a group
    place: bool = False  # names a place
    pointer: bool = False  # says "it", "nó", "sp đó", whatever else it names ("nó ở Sa Pa")


class Understander:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._marked = False  # set per message by `understand`
        self._typed_marks = False  # the message itself is typed with Vietnamese marks
        self._cjk_by_first: dict[str, list] = {}
        for word in lexicon.cjk:
            self._cjk_by_first.setdefault(word.text[0], []).append(word)
        self._phrases = dict(lexicon.phrases)
        self._max = lexicon.max_phrase
        self._claim_ends_folded = frozenset(fold(word) for word in lexicon.claim_ends)
        # Words our phrases know, beside the catalogue's: what a Telex-typed word may decode to.
        self._known = (
            frozenset(
                word
                for key in (
                    *lexicon.phrases,
                    *lexicon.fillers,
                    *(tuple(fold(f).split()) for _, f in lexicon.teencode.values()),
                )
                for word in key
            )
            | frozenset(lexicon.teencode)
            | lexicon.openers
        )

    # -- entry point --------------------------------------------------------------------

    def understand(self, text: str, index) -> Understanding:
        """`index` is the SearchIndex: it knows the catalogue words and place names."""
        result = Understanding(original=text)
        text = _LETTER_RUN_RE.sub(r"\1", nfc(text))
        text = self._untelex(text, index)
        if not words(text):  # "👍", "🙏🙏": a reaction, answered as the words it stands for
            said = [self.lexicon.emoji.get(ch) for ch in text if not ch.isspace() and ch not in _EMOJI_MODIFIERS]
            if said and all(said):
                result.smalltalk = sorted(set(said))
                return result
        whole = self.whole_message(text)  # before Chinese/Korean reading: "中文" switches language
        if whole and whole.startswith(SMALLTALK_PREFIX):  # "ko có gì" alone: nothing more, thanks
            result.smalltalk = [whole.removeprefix(SMALLTALK_PREFIX)]
            return result
        if whole:
            result.whole = whole
            return result
        folded_words = fold(text).split()
        result.only_openers = bool(folded_words) and all(w in self.lexicon.openers for w in folded_words)
        text, unread, some_unread, modifier, available = self._read_cjk(text, index)
        result.unread, result.unread_words, result.unread_modifier = unread, some_unread, modifier
        result.asks_available = available
        kept: set[str] = set()
        parts = _clauses(text)
        latin = words(text)
        # Someone who types marks leaves a word bare on purpose: "gan" (liver) is not "gần".
        # An English message's "the" is not "thẻ" (card), nor its "me" "mẹ": bare words, bare meaning.
        self._typed_marks = sum(fold(w) != w for w in latin) >= max(2, 0.3 * len(latin))
        self._marked = self._typed_marks or (detect_language(text) == "en")
        clauses = [self._clause(part, index, asked, kept) for part, asked in parts]
        result.fillers = frozenset(kept)
        _merge_settings(clauses)
        small = {i for c in clauses for _, i in c.intents if i in self.lexicon.smalltalk}
        business = [i for c in clauses for _, i in c.intents if i not in self.lexicon.smalltalk]
        if small and not business and not any(c.exact for c in clauses):
            # "cảm ơn ad nhiều nha": thanks, not a search for a word that looks like "nhiên".
            result.smalltalk = sorted(small)
            return result
        self._follow_ups(clauses, parts)
        narrowing = len(parts) == 1 and any(
            fold(parts[0][0]).endswith(f" {w}") for w in self.lexicon.words["narrowing"]
        )
        result.follows_up = not business and (
            narrowing
            or any(c.has_content and self._is_follow_up(part) for c, (part, _) in zip(clauses, parts, strict=True))
        )
        # A clause that asks without a subject borrows the nearest one's, earlier first; one that
        # only carries a claim ("chỗ đó có phải OCOP 3 sao ko") borrows it and keeps the claim.
        subjects = [c.subject if c.has_content else "" for c in clauses]
        named = [s if not c.filters_only else "" for s, c in zip(subjects, clauses, strict=True)]
        texts = [part for part, _ in parts]
        for i, clause in enumerate(clauses):
            subject = subjects[i]
            asked = {i for _, i in clause.intents}
            claims = clause.filters_only and bool(asked & PRODUCT_QUESTIONS) and "list" not in asked
            # "e muốn mua ít mật ong rừng làm quà, ở Lào Cai có loại nào xịn ko": which kind of it.
            claims = claims or (clause.filters_only and "list" in asked and " loai nao " in f" {fold(parts[i][0])} ")
            where = parts[i][0].strip() + ("?" if parts[i][1] else "")  # an aside is heard when asked
            later = not asked <= LISTINGS | self.lexicon.smalltalk
            if clause.intents and clause.points and _nearest(named, i, later=later):
                subject = _nearest(named, i)  # "…gạo lứt Séng Cù…, không biết sp đó mấy sao"
                where = f"{where} {_nearest(texts, i, named)}"
            elif clause.intents and (not subject or claims):
                borrowed = _nearest(named, i, later=later) or ("" if subject else _nearest(subjects, i, later=later))
                subject = f"{borrowed} {subject}".strip() if borrowed else subject
                if borrowed:  # the place a borrowed subject was named with comes along
                    where = f"{where} {_nearest(texts, i, named if borrowed in named else subjects)}"
            intents = [intent for _, intent in sorted(clause.intents)]
            intents = self.lexicon.combine(intents)
            business = [CLAIM_INTENTS.get(i, i) for i in intents if i not in self.lexicon.smalltalk]
            result.smalltalk += [i for i in intents if i in self.lexicon.smalltalk]
            if not business and clause.has_content:
                if any(s == subject for s in subjects[:i] if s) and result.asks:
                    continue  # already asked about in an earlier clause
                business = ["product"]
            back = clause.pointer and clause.filters_only and not _nearest(named, i)
            for intent in dict.fromkeys(business):
                if all((a.intent, a.subject) != (intent, subject) for a in result.asks):
                    result.asks.append(Ask(intent, subject, where, back))
        # A message that asks something: the clauses that only name things are its scenery ("Ông
        # ngoại mình thích uống trà, Chè Shan tuyết Púng Luông có OCOP không") or the thing asked
        # about, already borrowed ("Bưởi Múc, mấy sao?"). Only a message of names is a search.
        # Not an off-topic question alone: "셍꾸 쌀 중에 4성짜리 알려주세요. 한국에 쌀 가져가도 되나요?"
        # names our rice and asks theirs; the rice is still what it asks about.
        if any(a.intent not in ("product", "out_of_scope") for a in result.asks):
            # Unless it asks whether a market or shop is there: "…, mà Sa Pa có chợ đêm không ad".
            placed = [a for a in result.asks if a.intent == "product" and self._asks_of_a_place(a.clause)]
            result.mentions = [a.subject for a in result.asks if a.intent == "product" and a not in placed]
            result.asks = [a for a in result.asks if a.intent != "product" or a in placed]
        return result

    def _asks_of_a_place(self, clause: str) -> bool:
        """Whether a clause with no question word of its own asks if a market or shop is there."""
        said = f" {nfc(clause).lower()} "
        named = any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", said) for w in self.lexicon.places_asked)
        return named and bool(_YES_NO.search(said))

    # -- steps --------------------------------------------------------------------------

    def _untelex(self, text: str, index) -> str:
        """ "maatj ong luowng thinhj": Telex typed with the Vietnamese keyboard off. A word is
        read as Telex only when it is no word we know as typed and its decoding is one."""
        postings = index.postings

        def known(word: str) -> bool:
            return word in postings or word in self._known

        def one(match: re.Match) -> str:
            typed = match.group()
            if known(typed.lower()):
                return typed
            decoded = decode_telex(typed)
            return decoded if decoded and known(fold(decoded)) else typed

        decoded = _LATIN_WORD_RE.sub(one, text)
        # An English message's "chef" is a chef: the language is asked only when something decoded.
        return text if decoded == text or detect_language(text) == "en" else decoded

    def _follow_ups(self, clauses: list[_Clause], parts: list[tuple[str, bool]]) -> None:
        """ "Lạc đỏ Nàn Sín mấy sao? Còn lạc ri đỏ Minh Tiến thì sao?": the second clause names a
        new product and asks the first one's question again."""
        asked: list[tuple[int, str]] = []
        for clause, (part, _) in zip(clauses, parts, strict=True):
            business = [(p, i) for p, i in clause.intents if i not in self.lexicon.smalltalk]
            if business:
                asked = business
                continue
            if not (clause.has_content and asked and not clause.filters_only):
                continue
            if self._is_follow_up(part):
                clause.intents = list(asked)

    def _is_follow_up(self, part: str) -> bool:
        starts, ends = self.lexicon.follow_up
        folded = fold(part).split()
        raw = part.strip()
        # Chinese and Korean ends are matched as written ("呢", "는요"); a Latin one as whole words:
        # "cai nao 3 sao" does not open with "cả", nor "van chan" with "và".
        opens = any(tuple(folded[: len(s)]) == s or (has_cjk(s[0]) and raw.startswith(s[0])) for s in starts if s)
        return opens or any(
            tuple(folded[-len(e) :]) == e or (has_cjk(e[0]) and raw.rstrip("?？ ").endswith(e[0])) for e in ends if e
        )

    def whole_message(self, text: str) -> str | None:
        folded = fold(text)
        lex = self.lexicon
        if folded in lex.whole_message:
            return lex.whole_message[folded]
        stripped = text.strip().lower()
        if stripped in lex.whole_message:
            return lex.whole_message[stripped]
        words_ = folded.split()  # openers before and particles after: "ad ơi đăng ký nhé"
        for start in range(len(words_)):
            if start and words_[start - 1] not in lex.openers:
                break
            for end in range(len(words_), start, -1):
                if end < len(words_) and words_[end] not in lex.openers:
                    break
                found = lex.whole_message.get(" ".join(words_[start:end]))
                if found:
                    return found
        return None

    def read_cjk(self, text: str, index) -> str:
        """The text with its Chinese and Korean words read as ours ("沙坝夜市" -> "Sa Pa chợ đêm")."""
        return self._read_cjk(text, index)[0]

    def _read_cjk(self, text: str, index=None) -> tuple[str, bool, bool, bool, bool]:
        """Chinese and Korean words -> placeholders, place names, intents. Also returns: nothing
        read but something unread; some words unread; an unread word right before a product word
        ("普洱茶", "제주 감귤": a kind of it we may not have); a "do you have" ending (吗, 있어요)."""
        if not _CJK_RE.search(text):
            return text, False, False, False, False
        text = _CJK_STARS_RE.sub(r" \1 sao ", text)
        text, asked_what = _OCOP_WHAT_RE.subn(f" {intent_token('what_is_ocop')} ", text)
        out: list[str] = []
        unread = 0
        run = 0  # unread characters just before this point (a space between does not break it)
        modifier = available = False
        understood = asked_what
        i = 0
        while i < len(text):
            ch = text[i]
            if not _CJK_RE.match(ch):
                out.append(ch)
                run = run if ch == " " else 0
                i += 1
                continue
            word = next((w for w in self._cjk_by_first.get(ch, ()) if text.startswith(w.text, i)), None)
            gloss = (
                next((g for g in index.gloss_words.get(ch, ()) if text.startswith(g[0], i)), None) if index else None
            )
            if gloss is not None and (word is None or len(gloss[0]) > len(word.text)):
                # Our own gloss of a name, typed back ("말린 개구리" says more than "개구리").
                out.append(f" {gloss[1]} ")
                understood += 1
                run = 0
                i += len(gloss[0])
            elif word is not None:
                out.append(f" {self._cjk_replacement(word)} ")
                understood += word.kind not in ("filler", "available")
                available = available or word.kind == "available"
                modifier = modifier or (word.kind == "product" and run >= 2)
                run = 0
                i += len(word.text)
            else:
                if not _particles_from(text, i):  # "표고버섯": 고 is no particle inside a word
                    unread += 1
                    run += 1
                out.append(" ")
                i += 1
        return "".join(out), unread >= 2 and not understood, unread >= 2, modifier, available

    @staticmethod
    def _cjk_replacement(word) -> str:
        if word.kind == "product":
            return cjk_token(word.text)
        if word.kind == "intent":
            return intent_token(word.meaning)
        if word.kind == "star":
            return f"{word.meaning} sao"
        if word.kind in ("place", "category", "word"):
            return word.meaning
        return ""

    def _clause(self, text: str, index, asked: bool, kept: set[str]) -> _Clause:
        accented, folded = tokenize(text)
        ends_in_claim = self._ends_in_claim(accented, folded)  # as typed: "mn" is one word here
        accented, folded = self._expand_teencode(*drop_repeats(accented, folded, index.name_pairs), index)
        protected = self._protected(accented, folded, index)
        consumed: set[int] = set()
        intents: list[tuple[int, str]] = []
        for j in range(len(folded) - 1):  # "4 sao", "4*": a star level, whatever "sao" means alone
            if _is_number(folded[j]) and folded[j + 1] in STAR_WORDS:
                protected.update((j, j + 1))
                if NUMBER_WORDS.get(folded[j], int(folded[j]) if folded[j].isdigit() else 3) < CERTIFIED_FROM:
                    # "có sp OCOP 1 sao 2 sao ko": no product holds such a level; the rules say why.
                    intents.append((j, "stars_meaning"))
                    consumed.update((j, j + 1))
                elif (
                    j + 4 < len(folded) and folded[j + 2] in self.lexicon.words["join"] and folded[j + 4] in STAR_WORDS
                ):
                    intents.append((j, "stars"))  # "cordycep sapa, 4 star or 3 star??": which level it holds
                    consumed.update((j + 2, j + 3, j + 4))  # the other level is no word to search
        soft: set[int] = set()  # chat words kept for the search because they are catalogue words too
        i = 0
        n = len(folded)
        while i < n:
            hit = None
            for size in range(min(self._max, n - i), 0, -1):
                span = range(i, i + size)
                if any(j in protected for j in span):
                    continue
                entry = self._entry(tuple(folded[i : i + size]), accented, folded, i)
                if entry is not None:
                    hit = (size, entry)
                    break
            if hit is None:
                i += 1
                continue
            size, (kind, phrase) = hit
            if kind == "intent":
                intents.append((i, phrase.intent))
            # A single word that is also a catalogue word stays for the search, which keeps it as
            # an optional bonus: "bán" is also "bản" (Bản Liền).
            # In a message typed with marks, a bare word is meant bare: "sếp giao đi mua" is no
            # "Giảo" (Trà Giảo cổ lam), so it is no bonus either.
            bare = self._typed_marks and accented[i] == folded[i] and accent_key(accented[i]) not in index.word_keys
            if size > 1 or folded[i] not in index.postings or bare:
                consumed.update(range(i, i + size))
                if bare and size == 1 and folded[i] in index.postings:
                    kept.add(folded[i])  # still a chat word to the search ("cô giáo giao tìm hiểu")
            else:
                kept.add(folded[i])
                soft.add(i)
            i += size
        amounts = False
        for j, word in enumerate(folded):  # "1 lít", "500kg", "100 hộp": amounts, not names
            star_level = word.isdigit() and (
                (j + 1 < n and folded[j + 1] in STAR_WORDS)
                # "4-5 sao": the range's lower end
                or (j + 2 < n and folded[j + 1].isdigit() and folded[j + 2] in STAR_WORDS)
            )
            if (word.isdigit() and not star_level) or _AMOUNT_RE.fullmatch(word):
                consumed.add(j)
                # "hết hạn trong tháng 12": a date, not how many of something.
                amounts = amounts or not (j and folded[j - 1] in self.lexicon.date_words)
                if j + 1 < n and folded[j + 1] in self.lexicon.units and j + 1 not in protected:
                    consumed.add(j + 1)
            elif (
                word in self.lexicon.counted
                and j + 1 < n
                and folded[j + 1] in self.lexicon.units
                # "a bottle", not "a chai"; "vài chai", "mấy hộp" in Vietnamese
                and (accented[j + 1].isascii() or not accented[j].isascii())
                and j + 1 not in protected
            ):
                consumed.update((j, j + 1))
        if amounts and "price" not in {i for _, i in intents} and _has(folded, ("bao", "nhieu")):
            intents.append((folded.index("bao"), "price"))  # "măng ớt bn 1 hũ"
        points = any(tuple(folded[j : j + len(p)]) == p for p in self.lexicon.pointers for j in range(n)) or any(
            accented[j] in self.lexicon.pointing and j
            for j in range(n)  # "gạo này", "chè đó", "loại ấy"
        )
        # "nó bảo ếch sấy Thanh Mai…", "đặt homestay Hướng Kim vì bảo homestay này…": the clause
        # names its own product; "nó", "này" point at it, not at a neighbour.
        pairs = index.name_pairs
        names_own = any(
            (folded[j], folded[j + 1]) in pairs and j not in consumed and j + 1 not in consumed
            and (folded[j], folded[j + 1]) not in index.vocab.stop_phrases
            for j in range(n - 1)
        )  # fmt: skip
        # "cái nào 5 sao", "which one is 3 stars?": asked of what the chat showed (handlers/chat.py).
        words_ = self.lexicon.words
        said_pointer = points or bool(words_["which"] & set(folded) and not words_["products_word"] & set(folded))
        points = points and not names_own
        # Joining words stay (the search drops them itself): "X với Y" may name two products.
        gone = consumed | soft
        consumed -= {
            j
            for j in range(1, n - 1)
            if folded[j] in self.lexicon.words["join"] and j - 1 not in gone and j + 1 not in gone
        }
        subject = " ".join(accented[j] for j in range(n) if j not in consumed)
        if not subject:
            return _Clause(self._ocop_asked(intents, folded, asked), "", False, points=points, pointer=said_pointer)
        query = index.parse(subject, frozenset(kept))
        has_content = bool(query.required or query.has_filters)
        if not has_content:
            intents = self._ocop_asked(intents, folded, asked)
        filters_only = not query.required and query.has_filters
        # A synonym ("mật ong rừng" for the wildflower honey) names catalogue words too.
        exact = query.has_filters or any(
            t.typed in index.postings
            or any(penalty == 1.0 and all(w in index.postings for w in alt) for alt, penalty in t.alternatives)
            for t in query.required
        )
        stars = query.star or query.star_min
        # "…vine tea? and is it 4 star": the claim opens after the joining word.
        opener = folded[1] if len(folded) > 1 and folded[0] in self.lexicon.words["join"] else folded[0]
        claim = opener in self.lexicon.words["claim_openers"] or asked or ends_in_claim
        # The particle may have read as small talk too ("à" is also "ok"): then it is the claim's.
        particle_only = ends_in_claim and all(x[1] in self.lexicon.smalltalk for x in intents)
        # "is it a 4-star product" claims a level for the product named beside it; "có sp 4 sao
        # không" asks for a list.
        claimable = query.required or (
            stars and opener in self.lexicon.words["english_claims"] and not (query.place or query.category)
        )
        if claimable and (not intents or particle_only) and claim and (stars or "ocop" in folded):
            intents = [(0, "stars")]  # "Is Múc pomelo 4 stars?", "Van Yen cassava starch OCOP?"
        elif stars and {i for _, i in intents} - self.lexicon.smalltalk == {"validity"} and self._level_claimed(folded):
            # "đúng 5 sao không và chứng nhận còn hạn không": the level is asked too, and first.
            intents = [(0, "stars"), *intents]
        return _Clause(
            intents, subject if has_content else "", has_content, filters_only=filters_only, exact=exact, points=points,
            place=query.place is not None, pointer=said_pointer,
        )  # fmt: skip

    def _ocop_asked(self, intents: list[tuple[int, str]], folded: list[str], asked: bool) -> list[tuple[int, str]]:
        """ "Muong Khuong chilli sauce - OCOP?": a clause of "OCOP?" alone asks it of what the one
        before names."""
        questions = self.lexicon.words["questions"]
        alone = not any(w in questions for w in folded)  # "which brands have OCOP?" asks for a list
        ocop_last = folded[-1:] == ["ocop"] or folded[-2:] in (["ocop", "product"], ["ocop", "certified"])
        if asked and alone and ocop_last and all(i in self.lexicon.smalltalk for _, i in intents):
            return [*intents, (len(folded) - 1, "real_or_fake")]
        return intents

    def _level_claimed(self, folded: list[str]) -> bool:
        """A claim word right before the star level: "đúng 5 sao", "is it 4 stars", not "chè 4 sao"."""
        openers = self.lexicon.words["claim_openers"]
        for j in range(1, len(folded) - 1):
            if _is_number(folded[j]) and folded[j + 1] in STAR_WORDS:
                before = folded[max(j - 2, 0) : j]
                return any(w in openers and w != "co" for w in before)
        return False

    def _entry(self, key: tuple[str, ...], accented_words: list[str], folded: list[str], i: int):
        """("intent", Phrase) or ("filler", None) for the words at i, or None."""
        for phrase in self._phrases.get(key, ()):
            typed_words = accented_words[i : i + len(key)]
            if not all(_accents_agree(t, w, self._marked) for t, w in zip(typed_words, phrase.accented, strict=False)):
                continue  # "mua không" (buy?) is not "mưa không" (rain?)
            counted = i and _is_number(folded[i - 1]) and self._number_meant(accented_words[i - 1])
            # "mua may hop ruoc": some boxes ("mấy hộp"), no market meeting ("họp") asked about.
            counted = counted or (
                i and len(key) == 1 and folded[i - 1] in self.lexicon.counted and key[0] in self.lexicon.units
            )
            if counted and phrase.intent in ("stars", "hours"):
                # "4 sao" is a star level, not "how many stars"; "we have 3 hours": a while, not opening hours.
                continue
            after = i + len(key)
            if phrase.intent == "shipping" and after < len(folded) and folded[after] in self.lexicon.units:
                continue  # "cậu em gửi về gói chè": what was sent, a story, not a question of delivery
            return ("intent", phrase)
        if key in self.lexicon.fillers and (
            self._filler_agrees(accented_words[i], key[0])
            if len(key) == 1
            else self._phrase_agrees(key, accented_words, i)
        ):
            return ("filler", None)
        return None

    def _number_meant(self, typed: str) -> bool:
        """ "năm sao" is five stars; "Việt Nam mấy sao" typed with marks has no "năm" in it."""
        bare = fold(typed) == typed.lower()
        return typed.isdigit() or not (self._typed_marks and bare and fold(typed) in _VI_NUMBERS)

    def _protected(self, accented: list[str], folded: list[str], index) -> set[int]:
        """Words that belong to a place name, or to a catalogue name with their neighbour as typed:
        "bán liền" for "Bản Liền" yes, "có bán" for "cơ Bản" no (the marks typed differ)."""
        protected: set[int] = set()
        places = index.places
        pairs = index.name_pairs
        generic = index.vocab.stop_phrases  # "đặc sản" opens a product's name, and is no name
        compounds = index.compound_phrases  # "mắc ca" is one word, not "mắc" (dear) and "cá"
        # "đồ uống" typed with its marks is a group, not a filler "đồ" and "uống"; "Nậm Đét mấy
        # sao" is no "dệt may".
        groups = index.vocab.category_written
        for i in range(len(folded)):
            for size in (4, 3, 2):
                words_here = tuple(folded[i : i + size])
                group = (
                    words_here in index.vocab.category_phrases
                    and not all(w.isascii() for w in accented[i : i + size])
                    and tuple(accent_key(w) for w in accented[i : i + size]) in groups
                )
                if len(words_here) == size and (words_here in places or words_here in compounds or group):
                    protected.update(range(i, i + size))
            if i + 1 < len(folded) and (folded[i], folded[i + 1]) not in generic:
                pair = (accented[i], accented[i + 1])
                plain = all(fold(w) == w for w in pair)
                if (folded[i], folded[i + 1]) in pairs and (
                    (plain and index.plain_name(folded, i))
                    or tuple(map(accent_key, pair)) in pairs[folded[i], folded[i + 1]]
                ):
                    protected.update((i, i + 1))
        return protected

    def _ends_in_claim(self, accented: list[str], folded: list[str]) -> bool:
        """The clause ends with a claim particle, openers after it aside ("… 5 sao à ad"). Typed
        without marks a particle may be any of them ("ha" for "hả"), but only in a message with
        no marks at all: where marks are typed, a bare "ha" is "ha"."""
        plain_ends = self._claim_ends_folded if not self._marked else frozenset()
        for typed, plain in zip(reversed(accented), reversed(folded), strict=True):
            word = typed.lower()
            if word in self.lexicon.claim_ends or (plain == word and plain in plain_ends):
                return True
            if plain not in self.lexicon.openers:
                return False
        return False

    def _phrase_agrees(self, key: tuple[str, ...], accented_words: list[str], i: int) -> bool:
        """A filler of several words: each word typed with marks carries the filler's ("thấy có"
        is no "thầy cô"); bare words may be either."""
        typed = accented_words[i : i + len(key)]
        forms = self.lexicon.filler_written.get(key, ())
        return not forms or any(
            all(t.isascii() or accent_key(t) == accent_key(w) for t, w in zip(typed, form, strict=False))
            for form in forms
        )

    def _filler_agrees(self, typed: str, folded: str) -> bool:
        """A word typed with marks is a filler only with a filler's marks: "bố" yes, "bò" no."""
        if fold(typed) == typed:
            return not self._marked or folded in self.lexicon.filler_plain
        return accent_key(typed) in self.lexicon.filler_marks.get(folded, frozenset())

    def _expand_teencode(self, accented: list[str], folded: list[str], index) -> tuple[list[str], list[str]]:
        out_a: list[str] = []
        out_f: list[str] = []
        teencode = self.lexicon.teencode
        for a, f in zip(accented, folded, strict=True):
            entry = teencode.get(f)
            # "hong" is "không" in chat but also "hồng" (Việt Hồng trà): catalogue words stay,
            # unless typed with the short form's own accents, or no syllable at all ("tt" is
            # "thông tin", whatever a producer's "TT." abbreviates).
            syllable = any(c in "aeiouy" for c in f)
            if entry and (f not in index.postings or a == entry[0] and a != f or not syllable):
                full_a, full_f = tokenize(entry[1])
                out_a += full_a
                out_f += full_f
            else:
                out_a.append(a)
                out_f.append(f)
        return out_a, out_f


def has_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))


def first_clause(text: str) -> str:
    parts = _clauses(text)
    return parts[0][0] if parts else text


def _clauses(text: str) -> list[tuple[str, bool]]:
    """The message's clauses, each with whether a question mark ended it."""
    out = []
    start = 0
    for match in _CLAUSE_RE.finditer(text):
        part = text[start : match.start()]
        if part.strip():
            out.append((part, "?" in match.group() or "？" in match.group()))
        start = match.end()
    if text[start:].strip():
        out.append((text[start:], False))
    return out


def _has(folded: list[str], phrase: tuple[str, ...]) -> bool:
    return any(tuple(folded[j : j + len(phrase)]) == phrase for j in range(len(folded)))


_VI_NUMBERS = {"mot", "hai", "ba", "bon", "nam"}


def _is_number(word: str) -> bool:
    return word.isdigit() or word in _VI_NUMBERS | {"one", "two", "three", "four", "five"}


def _nearest(values: list[str], i: int, by: list[str] | None = None, *, later: bool = True) -> str:
    """The nearest non-empty value before i, else after (unless not `later`); with `by`, the value
    at the position of `by`'s nearest non-empty entry (a clause's text for its subject)."""
    key = by if by is not None else values
    before = [j for j in range(i) if key[j]]
    after = [j for j in range(i + 1, len(key)) if key[j]] if later else []
    j = before[-1] if before else (after[0] if after else None)
    return values[j] if j is not None else ""


def _merge_settings(clauses: list[_Clause]) -> None:
    """A clause that only sets the scene ("mình ở Yên Bái", "sp 4 sao ở Sa Pa") narrows the
    questions around it, or is what they ask about when they name nothing ("…, mua ở đâu")."""
    asking = [c for c in clauses if c.intents]
    for clause in clauses:
        if clause.filters_only and not clause.intents and asking:
            for other in asking:
                if other.place and clause.place:
                    continue  # "khách hỏi hàng Yên Bái. Cho xin danh sách của Lục Yên": Lục Yên asked
                other.filters_only = other.filters_only or not other.subject
                other.subject = f"{other.subject} {clause.subject}".strip()
                other.has_content = True
            clause.has_content = False
            clause.subject = ""


_YES_NO = re.compile(r"(\bcó\b.*\b(không|ko|k|hok|khum|hông)\b|\?|\b(is there|are there|any)\b)")


def _accents_agree(typed: str, phrase_word: str, marked_message: bool = False) -> bool:
    """A word typed with marks must carry the phrase's marks: "Giá" is price, "Gìa" is not; and in
    a message typed with marks, a bare word means a bare word."""
    if phrase_word.isascii():
        # A bare phrase word is not a marked word typed: "bai" (bye) is not "bài" (a lesson).
        return typed.isascii() or fold(typed) != phrase_word
    if typed.isascii():
        return not marked_message
    return accent_key(typed) == accent_key(phrase_word)


def _particles_from(text: str, i: int) -> bool:
    """The Hangul from `i` to the end of its word is only particles ("에서", "은", "이에요")."""
    j = i
    while j < len(text) and "\uac00" <= text[j] <= "\ud7a3":
        if text[j] not in _HANGUL_PARTICLES:
            return False
        j += 1
    return j > i
