"""What a question is about, resolved once per message: one product, several, a listing by
place or star, words that find only look-alikes, or nothing named at all."""

from __future__ import annotations

import re
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from bot.models import Product
from bot.search import SearchResult
from bot.search.plausible import leave_out, matched_share, plausible, slip
from bot.text import accent_key, fold, words
from handlers import products
from handlers.context import Context

ELSEWHERE_SHARE = 0.9  # of the words typed, carried by a place to visit found elsewhere
PERSON_TITLES = frozenset({"ba", "ong", "co", "chu", "bac", "di", "anh", "chi", "me"})  # before a person's name
RUN_HITS = 8  # a run's hits looked at for the one two runs share
LONG_SUBJECT = 6  # words: a subject this long is a story, searched by its runs of known words first
RESCUE_SHARE = 0.7  # a match found by leaving words out answers when it carries this much of what was typed
_JOINS = re.compile(r"\s(?:và|với|hay|hoặc|va|voi|hoac|and|or|vs|versus)\s", re.IGNORECASE)


@dataclass
class Subject:
    text: str
    result: SearchResult | None
    product: Product | None  # one product clearly meant
    suggestions: tuple[Product, ...] = ()  # found only once a word was left out: "did you mean"
    named: tuple[Product, ...] = ()  # "chè Hương Lý và chè Đại Hưng": each one named, found apart
    elsewhere: str = ""  # "mật ong bạc hà Hà Giang": named as from a province that is not ours
    producer: str = ""  # "HTX Quang Tom": the words name only a producer, of the products in `named`
    visit_elsewhere: str = ""  # "homestay ở Tả Van": places to visit found only in another area

    @property
    def state(self) -> str:
        """none | product | several | listing | weak (words that find nothing plausible) | suggest."""
        if self.named:
            return "several"
        if self.suggestions:
            return "suggest"
        if self.product is not None:
            return "product"
        if self.result is None:
            return "none"
        if self.result.listing:
            return "listing"
        if len(self.result.hits) > 1 and plausible(self.result.query, self.result.hits[0].product):
            return "several"
        return "weak"

    @property
    def hits(self) -> list[Product]:
        if self.named:
            return list(self.named)
        return [hit.product for hit in self.result.hits] if self.result else []


def _names_one(result: SearchResult, text: str) -> bool:
    """The words are one product's whole name, joining word included ("Trà hoa sen và …")."""
    return bool(result.hits) and any(fold(text) in fold(hit.product.name) for hit in result.hits[:1])


def _whole_names(run: str, result: SearchResult) -> bool:
    """Each product's name (or English name) has no common word beyond the run: what is left
    is a proper name (a brand, a place: "… Lèo Thúy"), not another kind ("… nhài")."""
    said = set(fold(run).split()) | (set(result.query.place.tokens) if result.query.place else set())

    def whole(name: str) -> bool:
        return all(fold(w) in said or w[:1].isupper() for w in re.findall(r"\w+", name))

    return all(whole(h.product.name) or whole(h.product.english_name or "") for h in result.hits[:4])


def names_only_producer(text: str, product: Product) -> bool:
    """The words are all of the producer's, and not all of the product's own name."""
    said = set(fold(text).split())
    return bool(said) and said <= set(fold(product.producer).split()) and not said <= set(fold(product.name).split())


class Subjects:
    """Each subject is searched once per message, however many questions it carries."""

    def __init__(self, ctx: Context, last_product: int | None) -> None:
        self.ctx = ctx
        self.last_product = last_product
        self._cache: dict[str, Subject] = {}

    async def get(self, text: str) -> Subject:
        if text in self._cache:
            return self._cache[text]
        ctx = self.ctx
        if not text:
            product = ctx.snapshot.index.products.get(self.last_product) if self.last_product else None
            # "còn hạn ko" after several were shown together: each of them.
            shown = () if product else self.last_shown()
            subject = Subject("", None, product, named=shown if len(shown) > 1 else ())
        else:
            # Not logged here: the handler that answers logs the search it runs.
            result = products.find(ctx, text, ignore_stars=True)
            asked = text  # the runs below may narrow the words; the origin they gave stays said
            suggestions: tuple[Product, ...] = ()
            named: tuple[Product, ...] = ()
            if _JOINS.search(text) and not _names_one(result, text):
                named = self._each_named(text)  # "hồng Bảo Hà với hồng ngâm Tân Thượng"
                named = named if len(named) > 1 else ()
            doubtful = not result.listing and (
                not result.hits or not (result.query.category or plausible(result.query, result.hits[0].product))
            )
            if doubtful and not named and len(text.split()) >= LONG_SUBJECT:
                # A story: its product's run first ("giờ bán phấn hoa Bảo Yên có tem OCOP" found
                # "trà hoa sen" by "hoa" alone).
                text, result, suggestions = self._from_runs(text, result)
            if not result.hits and not named and not any(plausible(result.query, p) for p in result.suggestions):
                text, result, suggestions = (
                    self._rescue(text, result) if not suggestions else (text, result, suggestions)
                )
            if not result.hits and not named and not suggestions:
                text, result, suggestions = self._from_runs(text, result)
            if not result.hits and not named and not suggestions and _JOINS.search(text):
                named = self._each_named(text, partly=True)  # the one of two that is ours
            product = None
            if result.hits and not result.listing and products.clearly_one(result):
                # "có nhận thanh toán momo" finds "Quả nhãn": a look-alike is not the subject.
                product = result.hits[0].product if plausible(result.query, result.hits[0].product) else None
            # "…kale Bắc Hà dán tem OCOP mà giá gấp đôi kale Đà Lạt": the words that named it say it
            # comes from its own area; the other place is a comparison, not its origin.
            own_origin = product is not None and bool(product.area) and fold(product.area) in fold(text)
            beside = self._elsewhere(asked, result) if asked != text and not own_origin else ""
            elsewhere = self._elsewhere(text, result) or beside
            producer = ""
            typed = " ".join(t.typed for t in result.query.required) or text  # "của HTX Quang Tom"
            if product is not None and not named and names_only_producer(typed, product):
                # "HTX Quang Tom có OCOP ko": each of its products, not the one with it in its name.
                siblings = [p for p in ctx.snapshot.index.products.values() if p.producer == product.producer]
                if len(siblings) > 1:
                    producer, named, product = product.producer, tuple(siblings), None
            subject = Subject(text, result, product, suggestions, named, elsewhere, producer, _stays_elsewhere(result))
            text = asked
        self._cache[text] = subject
        return subject

    def last_shown(self, level: int | None = None) -> tuple[Product, ...]:
        """The products the chat was last shown together, those of a star level if one is given."""
        index = self.ctx.snapshot.index
        found = (index.products.get(pid) for pid in self.ctx.last_products)
        return tuple(p for p in found if p is not None and (level is None or p.star == level))

    def _elsewhere(self, text: str, result: SearchResult) -> str:
        """The province or town outside ours the words give as the thing's origin: "nước mắm Cát
        Hải", "honey from Hà Giang"; not "ship ra Hà Nội" (where it goes), nor a place that a
        product of ours has in its own name."""
        typed = fold(text).split()
        written = text.lower().split()
        if len(written) != len(typed):
            written = typed
        for phrase, name in self.ctx.services.understander.lexicon.elsewhere.items():
            size = len(phrase)
            if phrase[0] not in typed:
                continue
            keys = [accent_key(w) for w in name.lower().split()]
            for i in range(1, len(typed) - size + 1):
                if tuple(typed[i : i + size]) != phrase or not products.said_as_origin(self.ctx, typed, i):
                    continue
                # Marks typed are meant: "Bắc Hà năm 2021" does not say "Hà Nam".
                if any(w != fold(w) and accent_key(w) != k for w, k in zip(written[i : i + size], keys, strict=False)):
                    continue
                if not any(f" {' '.join(phrase)} " in f" {fold(p.display_name)} " for p in self._candidates(result)):
                    return name
        return ""

    @staticmethod
    def _candidates(result: SearchResult) -> list[Product]:
        return [h.product for h in result.hits[:3]] + list(result.suggestions[:3])

    def _each_named(self, text: str, *, partly: bool = False) -> tuple[Product, ...]:
        """Two products joined by "và", "với", "hay", "and", "or": each found on its own, or none.
        `partly`: the ones found, when others are not ours ("plum wine and brocade in Bac Ha")."""
        parts = [p.strip() for p in _JOINS.split(text) if p.strip()]
        if len(parts) < 2:
            return ()
        found: list[Product] = []
        for part in parts[:4]:
            result = products.find(self.ctx, part, ignore_stars=True)
            likely = [h.product for h in result.hits[:3] if plausible(result.query, h.product)]
            if result.listing or not likely:
                if partly:
                    continue
                return ()
            found += likely[:1] if products.clearly_one(result) else likely
        return tuple(dict.fromkeys(found))

    def named_in(self, text: str) -> Product | None:
        """The one product a whole message names in a run of its words, if any: a last look
        before saying "not in our catalogue", cheaper than searching the whole message."""
        empty = SearchResult(self.ctx.snapshot.index.parse(""))
        run, found, _ = self._from_runs(" ".join(words(text)), empty, head_first=True)
        if found is empty or not found.hits or not products.clearly_one(found):
            return None
        return found.hits[0].product if plausible(found.query, found.hits[0].product) else None

    def _from_runs(
        self, text: str, result: SearchResult, *, head_first: bool = False
    ) -> tuple[str, SearchResult, tuple[Product, ...]]:
        """A story with a product's name inside ("…đọc báo thấy nói Gạo Séng Cù Mường Vi là sản
        phẩm 4 sao đầu tiên…"): the runs of words the catalogue knows, each searched alone. A run of
        three or more words that names one product whole answers; shorter finds only suggest."""
        index = self.ctx.snapshot.index
        typed = text.split()
        runs: list[list[str]] = [[]]
        # A run that goes on from a first word that is another thing ("phở | chua Lào Cai") is no
        # name: the first word says what kind of thing is meant (a whole message, or no story).
        head_first = head_first or len(typed) < LONG_SUBJECT
        tails: set[int] = set()
        # Runs with a word we do not know right beside them: "trà hoa | cúc" is a tea we do not
        # have, not the teas named "trà hoa …".
        bordered: set[int] = set()
        unknown_before = False
        closed: int | None = None  # the run that chat words alone have followed since it ended
        for i, word in enumerate(typed):
            # Marks typed are meant: "gái đãi" are not words of "gai leo" or "Đại".
            marked = fold(word) != word.lower()
            known = fold(word) in index.postings and fold(word) not in self.ctx.fillers
            # Marks left out are a slip, not another word: "khâu nhục" is "Khẩu nhục".
            known = known and (not marked or accent_key(word) in index.word_keys or self._slip_of_ours(word))
            unknown = not known and fold(word) not in self.ctx.fillers and fold(word).isalpha()
            if known:
                if head_first and not runs[-1] and i == 1 and self._names_another_thing(typed[0]):
                    tails.add(len(runs) - 1)
                if not runs[-1] and i and unknown_before:
                    bordered.add(len(runs) - 1)
                runs[-1].append(word)
                closed = None
            elif runs[-1]:
                if unknown:
                    bordered.add(len(runs) - 1)
                closed = None if unknown else len(runs) - 1
                runs.append([])
            elif unknown and closed is not None and i and fold(typed[i - 1]) in PERSON_TITLES:
                # "xúc xích | Bà Thiệm": a title and a name we do not know are someone's, not ours.
                bordered.add(closed)
                closed = None
            unknown_before = unknown
        found: list[tuple[str, SearchResult]] = []
        heads = [r for n, r in enumerate(runs) if len(r) >= 2 and n not in tails]
        loose = {" ".join(r) for n, r in enumerate(runs) if n in bordered}
        for run in sorted(heads, key=len, reverse=True)[:3]:
            # A run that is part of a place's name ("thành phố Yên | Bái") is not cut into a name.
            trims = (
                [run] if self._a_place(" ".join(run)) else _trimmed(run, self.ctx.lang == "en", index.vocab.chat_keys)
            )
            for words_kept in trims:
                again = products.find(self.ctx, " ".join(words_kept), ignore_stars=True)
                whole = words_kept is run or (again.hits and products.clearly_one(again))  # "cá hồi | Na Uy" is no name
                if whole and again.hits and not again.listing and plausible(again.query, again.hits[0].product):
                    found.append((" ".join(words_kept), again))
                    break
        if not found:
            return text, result, ()
        run, again = self._together(found)
        place = result.query.place
        if place is not None and not products.clearly_one(again) and not set(place.tokens) <= set(fold(run).split()):
            # "…bánh chưng đen ăn ở chợ phiên Bắc Hà…": the story's place tells its run's products apart.
            run, again = self._with_place(run, again, place.tokens)
        # Two words left of a run that began with a chat word ("bán | hồng ngâm") name it if its name has both.
        whole = (len(run.split()) >= 3 or _name_has(again, run)) and products.clearly_one(again)
        there = _from_there(place, again.hits[0].product)
        share = matched_share(again.query, again.hits[0].product, index.postings, index.word_keys)
        if whole and there and share >= 0.9:
            return run, again, ()
        # Beside a word we do not know, the run must be each one's whole name: "thịt trâu gác bếp |
        # nhậu" names the smoked buffalo; "trà hoa | cúc" is not "Trà hoa nhài".
        named = self._all_named(run, again) and (run not in loose or _whole_names(run, again))
        if there and share >= 0.9 and len(run.split()) >= 2 and named and not self._a_place(run):
            # "…mấy loại chè Bát tiên của Trấn Yên…": the run is the whole name of each it finds.
            return run, again, ()
        return text, result, tuple(dict.fromkeys(h.product for _, r in found for h in r.hits[:2]))[:3]

    def _together(self, found: list[tuple[str, SearchResult]]) -> tuple[str, SearchResult]:
        """Two runs that each find several and together one: "HTX Sơn Hòa | làm | khâu nhục" is
        the producer's khẩu nhục, not each of its products."""
        run, again = found[0]
        if products.clearly_one(again):
            return run, again
        first = {hit.product.id for hit in again.hits[:RUN_HITS]}
        for other_run, other in found[1:]:
            common = {hit.product.id for hit in other.hits[:RUN_HITS]} & first
            if len(common) != 1:
                continue
            joined = products.find(self.ctx, f"{run} {other_run}", ignore_stars=True)
            if joined.hits and joined.hits[0].product.id in common and products.clearly_one(joined):
                return f"{run} {other_run}", joined
        return run, again

    @staticmethod
    def _all_named(run: str, result: SearchResult) -> bool:
        """Each product found has the run in its name, but for one word ("chè" of "Trà Bát tiên")."""
        place = set(result.query.place.tokens) if result.query.place else set()
        typed = [word for word in fold(run).split() if word not in place]

        def named(product: Product) -> bool:
            name = set(fold(f"{product.name} {product.english_name or ''}").split())
            found = sum(word in name for word in typed)
            return found >= 2 and found >= len(typed) - 1 and plausible(result.query, product)

        return len(result.hits) > 1 and all(named(h.product) for h in result.hits[:4])

    def _a_place(self, run: str) -> bool:
        """The run is (part of) a place's name: "Si Ma" of "Si Ma Cai" ("cái" is a chat word)."""
        return f" {fold(run)} " in _locality_names(self.ctx.snapshot.index, self.ctx.snapshot.catalogue)

    def _with_place(self, run: str, result: SearchResult, place: tuple[str, ...]) -> tuple[str, SearchResult]:
        placed = f"{run} {' '.join(place)}"
        again = products.find(self.ctx, placed, ignore_stars=True)
        index = self.ctx.snapshot.index
        if not again.hits or again.listing:
            return run, result
        if matched_share(again.query, again.hits[0].product, index.postings, index.word_keys) < 0.9:
            return run, result
        return placed, again

    def _slip_of_ours(self, word: str) -> bool:
        return any(slip(word, [written]) for written in self.ctx.snapshot.index.spellings.get(fold(word), ()))

    def _names_another_thing(self, word: str) -> bool:
        """A word typed with marks that no product has and that is no chat word: "phở", "tầm" (in
        "cá tầm")… the head of a thing we do not have."""
        folded, key = fold(word), accent_key(word)
        if folded == word.lower() or not folded.isalpha() or folded in self.ctx.fillers:
            return False
        index = self.ctx.snapshot.index
        if key in index.vocab.chat_keys or key in self.ctx.services.understander.lexicon.phrase_keys:
            return False
        # Marks left out of a word of ours are a slip ("Khâu nhục" for "Khẩu nhục"), not another word.
        return not self._slip_of_ours(word)

    def _rescue(self, text: str, result: SearchResult) -> tuple[str, SearchResult, tuple[Product, ...]]:
        """ "Ba mình uống rượu nếp Cường Thịnh thấy êm": leave out the rarest words, one more each
        time, and search again. What that finds answers only when it carries most of what was typed;
        otherwise it is a "did you mean", and "kẹo dừa Bến Tre" stays not found."""
        for shorter in leave_out(text, result.query):
            again = products.find(self.ctx, shorter, ignore_stars=True)
            if not again.hits or again.listing:
                continue
            if all(term.typed in self.ctx.fillers for term in again.query.required):
                continue  # only a chat word left ("bot mấy tuổi" without "tuổi" is "bột"): no rescue
            likely = [h.product for h in again.hits[:3] if plausible(result.query, h.product)]
            if not likely:
                continue
            index = self.ctx.snapshot.index
            known = index.postings if len(text.split()) >= LONG_SUBJECT else None
            share = matched_share(result.query, again.hits[0].product, known, index.word_keys)
            if share >= RESCUE_SHARE and _from_there(
                result.query.place, again.hits[0].product
            ):  # "trứng vịt cổ nhung xanh Văn Bàn" is not the Si Ma Cai eggs, only like them
                return shorter, again, ()
            return text, result, tuple(likely)
        return text, result, ()


_NAMES: WeakKeyDictionary = WeakKeyDictionary()  # index -> its localities' names, folded, joined


def _locality_names(index, catalogue) -> str:
    """Every locality's names and aliases, folded, each between spaces: built once per catalogue
    (an index is one catalogue's), searched per run."""
    if index not in _NAMES:
        names = (fold(name) for loc in catalogue.localities for name in (loc.name, *loc.aliases))
        _NAMES[index] = "|".join(f" {name} " for name in names)
    return _NAMES[index]


def _stays_elsewhere(result: SearchResult) -> str:
    """ "homestay ở Tả Van": ours is in Văn Chấn. A place to visit is where it is: found only once
    the place asked about was dropped, it is no answer there (honey from elsewhere is sold there)."""
    place = result.query.place
    if place is None or "place" not in result.relaxed or not result.hits:
        return ""
    first = result.hits[0].product
    # The words asked for name it ("homestay"), not only share a word ("điểm giới thiệu" ~ "Điểm du lịch").
    named = matched_share(result.query, first) >= ELSEWHERE_SHARE
    return place.label if named and all(hit.product.category == "tourism" for hit in result.hits[:3]) else ""


def _trimmed(run: list[str], english: bool, chat_keys: frozenset[str]) -> list[list[str]]:
    """A run, then the run without a word at its edge: "tỳ hưu đá Lục Yên | bàn làm việc" ran on
    into a word of another name ("bàn" ~ "Bản"), "nhà | bán hồng ngâm" began with a chat word.
    Never without its head: a Vietnamese name's first word unless it is a chat word, an English
    one's last ("Bac Ha plum | wine" is no plum)."""
    out = [run]
    first = run[0]
    if len(run) >= 3 and not english and fold(first) != first.lower() and accent_key(first) in chat_keys:
        out.append(run[1:])
    if len(run) >= 4 and (not english or run[-1].isdigit()):
        out.append(run[:-1])
    return out


def _name_has(result: SearchResult, run: str) -> bool:
    """The one product found has the run in its name, word for word ("hồng ngâm"; "gạo dẻo" is
    no name of "Gạo nếp dẻo")."""
    return len(result.hits) == 1 and f" {fold(run)} " in f" {fold(result.hits[0].product.name)} "


def _from_there(place, product: Product) -> bool:
    """The product comes from the place the words name, or they name none."""
    if place is None:
        return True
    if place.district:
        return product.area == place.district
    return not place.province or product.former_province == place.province
