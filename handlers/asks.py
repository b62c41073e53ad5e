"""Which questions a message asks, settled before any is answered: what an off-topic clause
leaves of ours, which subject a question without one borrows from the message, which questions
another one's answer already covers."""

from __future__ import annotations

import re

from bot.text import fold
from bot.understanding.message import Ask, Understanding
from handlers import clause
from handlers.context import Context
from handlers.subjects import Subjects

NAMES_A_PRODUCT = {"stars", "where_to_buy", "price", "info", "producer"}  # questions that need a thing named
ON_TOPIC = {"stars", "validity", "near"}  # questions only we answer, whatever else the message tells
_HAVE_RE = re.compile("有|있")  # "there is / do you have", in Chinese and Korean
SHARED_NAMES = 20  # of a subject's products, those whose names a story's mention must share a word with
PRODUCT_JOBS = {"stars", "where_to_buy", "price", "shipping", "wholesale", "payment", "export", "contact", "stock",
                "validity", "expiring", "expired", "online", "hours", "producer", "info"}  # fmt: skip


def in_last_area(ctx: Context, ask: Ask) -> Ask:
    """ "loại 4 sao thôi" after Bảo Thắng's list: Bảo Thắng's at that level, not the province's; a
    level alone asked again is a list, not a product's stars."""
    if ask.intent not in ("list", "product", "stars") or not ask.subject:
        return ask
    query = ctx.snapshot.index.parse(ask.subject, ctx.fillers)
    level_only = (query.star or query.star_min) and not query.place and not query.category and not query.required
    if not level_only:
        return ask
    # With no area before: the list at that level ("loại 4 sao thôi" after one tea), never "not ours".
    return Ask("list", f"{ask.subject} {ctx.last_area}".strip(), ask.clause)


async def unread_thing(ctx: Context, understood: Understanding, asks: list[Ask], subjects: Subjects) -> bool:
    """Asked about a thing no word of ours names: "김치 어디서 사요" (the question is read, the
    thing is not); "沙坝有没有OCOP的咖啡", "사파 딸기 몇 성이에요" (a place at most is read)."""
    intents = {a.intent for a in asks}
    if not any(a.subject for a in asks):
        return intents <= NAMES_A_PRODUCT
    if not intents <= {"stars", "product"} or not ("stars" in intents or understood.asks_available):
        return False  # "라오까이 시내에서 특산품 살 수 있는 곳": the places there answer it
    if any(ctx.snapshot.place_names.find(a.clause, kind_said=True) for a in asks if a.clause):
        return False  # "사파 시장에서 뭐 팔아요?": a market of ours, asked about
    states = [(await subjects.get(a.subject)).state for a in asks if a.subject]
    return all(state in ("none", "listing") for state in states)


async def off_topic(ctx: Context, asks: list[Ask], subjects: Subjects) -> tuple[list[Ask], list[Ask]]:
    """The questions we answer, and the off-topic ones asked beside them that get a short line.
    No questions left: the message is off topic ("vé cáp treo Fansipan bao nhiêu")."""
    if not any(a.intent == "out_of_scope" for a in asks):
        return asks, []
    aside_clauses = {a.clause for a in asks if a.intent == "out_of_scope"}
    states = [(await subjects.get(a.subject)).state if a.subject else "" for a in asks]
    # "Nhà hàng cá hồi Song Nhi mở cửa mấy giờ": a restaurant, and a place of ours by name.
    near = ctx.services.understander.lexicon.words["near"]
    placed = {
        a.clause for a in asks
        if a.clause and ctx.snapshot.place_names.find(a.clause, kind_said=True) and not near & set(fold(a.clause).split())
    }  # fmt: skip
    # An off-topic clause's other questions ("đi cáp treo hết bao nhiêu tiền") are off topic too,
    # unless they are ours alone to answer or name a product or place of ours.
    # "gần chợ Bắc Hà có khách sạn nào không": near our place, their question; nothing of ours asked.
    around = {c for c in aside_clauses if near & set(fold(c).split())}
    rest = [
        a for a, state in zip(asks, states, strict=True)
        if a.intent != "out_of_scope" and a.clause not in around
        and (a.clause not in aside_clauses or state in ("product", "several") or a.intent in ON_TOPIC or a.clause in placed)
    ]  # fmt: skip
    kept = [state for a, state in zip(asks, states, strict=True) if a in rest]
    # "the hotel guy recommended rượu ngô Bản Phố, is that OCOP?", "any OCOP shop near the
    # station? we have 3 hours before our train": the hotel and the train are scenery.
    # "…any OCOP shop near the station?": the places near are ours to give, once we know where.
    ours = any(a.intent in ON_TOPIC and (a.subject or a.intent == "near") for a in rest)
    ours = ours or any(a.clause in placed for a in rest)
    # "Sa Pa có những sp OCOP nào 4 sao, và đi cáp treo hết bao nhiêu tiền": our list, then theirs.
    ours = ours or any(
        a.intent in ("list", "count") and state == "listing" for a, state in zip(rest, kept, strict=True)
    )
    if not {"product", "several"} & set(kept) and not ours:
        return [], []
    asides = [
        a
        for a in asks
        if a.intent == "out_of_scope" and a.clause not in placed and clause.asks_something(ctx, a.clause)
    ]
    return rest, asides


async def settle(asks: list[Ask], subjects: Subjects, understood: Understanding, story: bool) -> list[Ask]:
    """The questions as they will be answered: subjects borrowed from the rest of the message, a
    question another one's answer already covers left out."""
    ctx = subjects.ctx
    asks = await _borrow_subjects(asks, subjects, understood.mentions, story)
    if understood.asks_available and not understood.unread_words and _HAVE_RE.search(understood.original):
        # "有四星的乌龙茶吗", "우롱차 OCOP 제품 있나요": whether we have them; the ones we have, listed.
        # Not "…真的是五星吗" (a claim), nor "有香菇的…吗" (香菇 unread: perhaps not ours at all).
        asks = [
            Ask("list", a.subject, a.clause)
            if a.intent == "stars" and a.subject and (await subjects.get(a.subject)).state == "several"
            else a
            for a in asks
        ]
    # "gần Sa Pa có chỗ nào bán đặc sản OCOP ko": the places near are the answer; "OCOP ko"
    # there asks of no product.
    placed = {a.subject for a in asks if a.intent in ("near", "where_to_buy")}
    # "gần ga Lào Cai có chỗ nào bán đặc sản OCOP không": near a landmark we cannot place, still
    # no product asked of.
    near = {a.subject for a in asks if a.intent == "near"}
    unnamed = set()
    for text in placed:
        state = (await subjects.get(text)).state
        if state in ("listing", "none") or (state == "weak" and text in near):
            unnamed.add(text)
    asks = [a for a in asks if not (a.intent == "stars" and a.subject in unnamed)] or asks
    # "chứng nhận chỉ có thời hạn, vậy chứng nhận của chè này còn không": the product's answer
    # says it; the general rule is not a second answer.
    if any(a.intent == "validity" and a.subject for a in asks):
        # Unless the rule is asked as a question of its own ("chứng nhận OCOP có thời hạn bao lâu?").
        asks = [a for a in asks if a.intent != "validity_rule" or clause.asks_something(ctx, a.clause)]
    # "Hội chợ Việt Trung năm nay tổ chức ngày nào? Có gian hàng OCOP không?": the fair's answer
    # says what it shows; a question that only borrowed the fair's words is not asked again.
    fairs = {a.subject for a in asks if a.intent == "events"}
    borrowed = {t for t in fairs if t and (await subjects.get(t)).state in ("none", "weak", "listing")}
    asks = [a for a in asks if a.intent not in ("stars", "hours", "product") or a.subject not in borrowed] or asks
    # "HTX Thế Tuấn ở xã nào?", "…, và công ty ở xã nào?": where the maker is, its own place.
    asks = [Ask("where_to_buy", a.subject, a.clause) if a.intent == "info" and locates_maker(ctx, a.clause) else a
            for a in asks]  # fmt: skip
    # "mấy sp của HTX Quang Tom được OCOP": its products are counted with their stars.
    counted = {a.subject for a in asks if a.intent == "count" and a.subject}
    for text in counted:
        if (await subjects.get(text)).producer:
            asks = [a for a in asks if not (a.intent == "stars" and a.subject == text)] or asks
    # "có OCOP không, cho mình xin thông tin": the card answers both, stars included.
    carded = {a.subject for a in asks if a.intent == "info"}
    asks = [a for a in asks if not (a.intent == "stars" and a.subject in carded)] or asks
    return asks


def _claims_level(subject) -> bool:
    query = subject.result.query if subject.result is not None else None
    return query is not None and bool(query.star or query.star_min)


def locates_maker(ctx: Context, text: str) -> bool:
    """ "HTX Thế Tuấn ở xã nào": a maker's word, and a where word."""
    return clause.says(ctx, text, "makers") and clause.says(ctx, text, "where_is")


async def _borrow_subjects(asks: list[Ask], subjects: Subjects, mentions: list[str], story: bool) -> list[Ask]:
    """ "Tương ớt Mường Khương bao nhiêu tiền, ship ra HN được ko": the shipping question is about
    the sauce, not about "HN". A question whose own words find nothing borrows a found product;
    several products sharing a name ("…cordycep Sapa, 4 star or 3 star?") are borrowed by a
    question that is only a star level, or in a story."""
    asks = await _told_which(asks, subjects, mentions, story)
    found = {"product", "several"}
    says_nothing: dict[int, str | None] = {}
    for n, ask in enumerate(asks):
        own = (await subjects.get(ask.subject)).state if ask.subject else ""
        if ask.intent in PRODUCT_JOBS | {"list", "product"} and ask.subject and own not in found:
            if own in ("weak", "none") and subjects.ctx.snapshot.place_names.find(ask.clause, kind_said=True):
                continue  # "Where is the OCOP point at Kim Tan market…": a place of ours is asked about
            says = await _says_nothing(subjects, ask.subject)
            # "lê Si Ma Cai mùa nào có v, 3 sao hả": a bare star level beside a product is a claim.
            says_nothing[n] = says if ask.intent != "product" or says == "stars" else None
    if not any(says_nothing.values()):
        return asks
    # Only now the products the story mentions: each is a search, at 20,000 products a costly one.
    candidates = [a.subject for a in asks if a.subject] + [m for m in mentions if m]
    states = {text: (await subjects.get(text)).state for text in candidates}
    # "…mua quà cho bố, rượu ngô Bản Phố có OCOP k": "bố" alone found "Bộ trang trí…"; a word that
    # is a chat word too names nothing to borrow.
    one = [t for t in candidates if states[t] == "product" and not await _by_a_chat_word(subjects, t)]
    # "…nhà ở Trấn Yên có quế, bố bảo quế điếu của HTX Quế hồi Việt Nam được 5 sao. Em nghĩ chắc
    # không đúng": the clause that claims a level is the one the doubt is about.
    claimed = [t for t in one if _claims_level(await subjects.get(t))]
    one = claimed + [t for t in one if t not in claimed]
    several = [t for t in candidates if states[t] == "several"]
    # Only look-alikes of what the story mentions: "did you mean" it, never "not ours".
    doubted = [t for t in candidates if states[t] == "suggest"]
    out = []
    for n, ask in enumerate(asks):
        says = says_nothing.get(n)
        # Where several products sharing a name are sold is asked of all of them ("Thổ cẩm Lan
        # Rừng có OCOP không? Cửa hàng ở số mấy phố Cầu Mây").
        shared = story or says == "stars" or ask.intent in ("where_to_buy", "hours", "list")
        if says and (one or (several and shared)):
            ask = Ask("stars" if ask.intent == "product" else ask.intent, (one or several)[0], ask.clause)
        elif says and story and doubted:
            ask = Ask(ask.intent, doubted[0], ask.clause)
        if all((a.intent, a.subject) != (ask.intent, ask.subject) for a in out):
            out.append(ask)
    return out


async def _by_a_chat_word(subjects: Subjects, text: str) -> bool:
    result = (await subjects.get(text)).result
    required = result.query.required if result is not None else []
    fillers = subjects.ctx.services.understander.lexicon.fillers
    return len(required) == 1 and (required[0].typed,) in fillers


async def _told_which(asks: list[Ask], subjects: Subjects, mentions: list[str], story: bool) -> list[Ask]:
    """The question's words find several products and the story names one of them: that one.
    "…mang về túi mận sấy dẻo, trên bao bì có chữ HTX Quang Tom. sp này có OCOP ko" (a producer
    of two), "…gửi về gói Lục Bách Niên Trà… Ông thì bảo làm gì có chè 5 sao. Ad phân xử giúp"."""
    out = []
    for ask in asks:
        subject = await subjects.get(ask.subject) if ask.subject else None
        if subject is not None and (subject.producer or subject.state in ("several", "suggest")):
            # "…phóng sự khoai sọ nương Trạm Tấu… Cháu cho bác hỏi khoai sọ này…": only look-alikes
            # of the question's words, one of which the story named.
            found = [*subject.hits, *subject.suggestions]
            among = {p.id for p in found}
            # Only mentions sharing a word with their names are searched: at 20,000 products each
            # search of a story's clause costs milliseconds.
            named = {w for p in found[:SHARED_NAMES] for w in fold(p.display_name).split()}
            for mention in mentions:
                if not mention or mention == ask.subject or not named & set(fold(mention).split()):
                    continue
                told = await subjects.get(mention)
                if told is not None and told.state == "product" and told.product.id in among:
                    ask = Ask(ask.intent, mention, ask.clause)
                    break
        out.append(ask)
    return out


async def _says_nothing(subjects: Subjects, text: str) -> str | None:
    """ "weak" when the words find only look-alikes, "stars" when they are only a star level
    ("4 star or 3 star"), else None."""
    subject = await subjects.get(text)
    query = subject.result.query if subject.result is not None else None
    if subject.state == "weak":  # "đều 4 sao hả": a star level, and a word that finds nothing
        return "stars" if query is not None and (query.star or query.star_min) else "weak"
    if query is not None and subject.state == "listing" and not (query.place or query.category):
        return "stars"
    return None
