"""A search box's answer (the web catalogue): the chat's understanding and search, as a list.

The words are read as a chat message is (question phrases, teen-code, Chinese and Korean
words dropped or read), the subject is resolved as the chat resolves it (handlers/subjects.py),
and the answer is what the chat would list: the results with the chat's heading, its "did you
mean", or its "not in our catalogue". Every search is logged as the chat logs it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.models import Product
from bot.search import SearchResult
from bot.search.query import ParsedQuery
from bot.text import clean_input, fold
from handlers import actions, products
from handlers.actions import ProductCard
from handlers.context import Context
from handlers.subjects import Subjects

MAX_TEXT = 300  # as the chat (handlers/router.py): no product name is near this long


@dataclass(frozen=True)
class Lookup:
    kind: str  # "results" | "list" | "did_you_mean" | "not_found" | "empty"
    heading: str
    products: tuple[Product, ...] = ()
    note: str = ""  # a second line under the heading ("try another name…")


async def look_up(ctx: Context, text: str) -> Lookup:
    text = clean_input(text, MAX_TEXT * 4)[:MAX_TEXT].strip()
    if not fold(text):
        return Lookup("empty", ctx.t("search.empty"))
    understood = ctx.services.understander.understand(text, ctx.snapshot.index)
    ctx.fillers = understood.fillers
    subject_text = next((a.subject for a in understood.asks if a.subject), "")
    subject_text = subject_text or next((m for m in understood.mentions if m), "")
    if understood.unread and not subject_text:
        subject_text = ""  # only words we cannot read: nothing to look for
    elif not subject_text and not understood.asks and not understood.smalltalk:
        subject_text = text  # nothing read as a question: the words themselves
    if not subject_text:
        await ctx.services.repo.log_search(text, ctx.lang, ctx.request.platform, 0)
        return _from_reply(ctx, products.not_found(ctx, text, SearchResult(ParsedQuery(raw=""))))
    subject = await Subjects(ctx, None).get(subject_text)
    result = subject.result
    found = subject.hits
    state = subject.state
    if state in ("product", "several", "listing") and found:
        await ctx.services.repo.log_search(subject.text, ctx.lang, ctx.request.platform, len(found))
        if subject.named or result is None:
            title = ctx.t("search.results", query=text[:80], n=len(found))
        else:
            title = products.results_heading(ctx, text, result)
        return Lookup("list" if state == "listing" else "results", title, tuple(found))
    await ctx.services.repo.log_search(subject.text, ctx.lang, ctx.request.platform, 0)
    if state == "suggest":
        return _from_reply(ctx, products.did_you_mean(ctx, text, list(subject.suggestions)))
    doubtful = result or SearchResult(ParsedQuery(raw=""))
    if state == "weak" and result is not None and result.hits:
        doubtful = replace(result, suggestions=subject.hits[:3])  # only look-alikes: never a result
    return _from_reply(ctx, products.not_found(ctx, text, doubtful))


def _from_reply(ctx: Context, reply) -> Lookup:
    """The chat's own "did you mean" or "not found" reply, as a heading, a note and products."""
    heading, _, note = reply.text.partition("\n")
    ids = [a.id for a in (actions.unpack(c.action) for c in reply.choices) if isinstance(a, ProductCard)]
    found = tuple(p for p in (ctx.snapshot.index.products.get(i) for i in ids) if p is not None)
    return Lookup(reply.kind, heading, found, note)
