"""The replies to a message's questions, put together: a guess about scenery dropped once a
question was answered, one product named by the whole message offered rather than denied, the
off-topic line and thanks placed where they were said."""

from __future__ import annotations

from dataclasses import dataclass

from bot.replies import Reply
from bot.understanding.message import Ask, Understanding
from handlers import clause, products, smalltalk
from handlers.context import Context
from handlers.subjects import Subjects

UNANSWERED = {"not_found", "did_you_mean", "smalltalk", "help"}


@dataclass(frozen=True)
class Answered:
    """How the questions went, beside the replies themselves."""

    subjects: Subjects
    asks: list[Ask]
    asides: list[Ask]  # off-topic questions asked beside ours
    story: bool  # the message tells a story around its question
    scenery: list[Reply]  # "not ours" about a clause that asked nothing ("we want to make xoi at home")
    guesses: list[Reply]  # "did you mean" about words that found only look-alikes
    found_one: bool  # a question whose words named what it asks about was answered


async def arrange(ctx: Context, understood: Understanding, replies: list[Reply], how: Answered) -> list[Reply]:
    subjects, asks, asides, story, scenery = how.subjects, how.asks, how.asides, how.story, how.scenery
    if how.found_one and how.guesses:
        # "…khoe mật ong của HTX được OCOP… mật ong Minh Quán mấy sao?": the clause that named the
        # honey is answered; a "did you mean" about the scenery beside it would only confuse.
        replies = [r for r in replies if r not in how.guesses]
    elsewhere = any([(await subjects.get(a.subject)).elsewhere for a in asks if a.subject])
    if any(r.kind == "not_found" for r in replies) and not any(r.product_ids for r in replies) and not elsewhere:
        # Last look before "not in our catalogue": does the message as a whole name one product?
        # Then it is asked about, whatever the clauses made of it: offer it, never deny it. Not
        # when it said where the thing comes from, and that is not ours ("chè Tà Xùa Sơn La").
        named = subjects.named_in(understood.original)
        if named is not None:
            replies = [products.did_you_mean(ctx, understood.original, [named]) if r.kind == "not_found"
                       else r for r in replies]  # fmt: skip
    offers = any(r.kind not in UNANSWERED or (r.kind == "did_you_mean" and r.choices) for r in replies)
    if offers and (story or scenery):
        # A story's scenery ("em là sinh viên ở Hà Nội"), or a clause that asks nothing, found
        # nothing while a question found its answer: "not in our catalogue" about the scenery
        # would read as about the product.
        replies = [r for r in replies if r.kind != "not_found" or (not story and r not in scenery)]
    if asides and offers:
        # "Bản Tát mấy sao, đi từ Yên Bái mất bao lâu": the second question is heard, not ignored;
        # "Thời tiết Sa Pa tuần này sao bot? Tiện hỏi luôn trà…": answered first, as it was asked.
        first = clause.said_first(understood.original, asides[0].clause, [a.clause for a in asks])
        aside = smalltalk.out_of_scope(ctx, aside=True, first=first)
        replies = [aside, *replies] if first else [*replies, aside]
    closing = [intent for intent in ("thanks", "bye") if intent in understood.smalltalk]
    if closing and offers:
        # "…mấy sao, còn hạn ko, thks": answered, then thanked back; "Cảm ơn bot nha 🙏 À cho
        # hỏi thêm…": the thanks for the last answer comes first.
        said = smalltalk.aside(ctx, closing)
        replies = [said, *replies] if clause.opens_with_smalltalk(ctx, understood.original) else [*replies, said]
    return replies
