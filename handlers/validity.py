"""Is a certificate still valid, and which ones run out: from decision dates, or years where
that is all the sources give (the same reasoning as the card)."""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import Literal

from bot.models import Product
from bot.replies import Choice, Reply
from handlers import render
from handlers.actions import Action, ProductCard, action
from handlers.context import Context


@action("exp")
@dataclasses.dataclass(frozen=True)
class RunningOut(Action):
    """Certificates expiring soon, or already expired."""

    which: Literal["expiring", "expired", "valid", "ends_in", "certified_in"]


SOON_DAYS = 183  # "sắp hết hạn": within about six months
MAX_LISTED = render.LISTED


def status(ctx: Context, product: Product) -> Reply:
    lines = [f"🏷 {render.name_with_gloss(ctx, product)}", render.stars_text(ctx, product.star)]
    lines.append("📜 " + render.decision_text(ctx, product))
    lines.append("⏳ " + render.certificate_text(ctx, product))
    lines.append(ctx.t("card.source", url=product.source_url or ctx.t("card.unknown")))
    choices = (Choice(ctx.t("button.card"), ProductCard(product.id).pack()),)
    return Reply("\n".join(lines), choices, language=ctx.lang, kind="validity", product_ids=(product.id,))


def several(ctx: Context, found: list[Product]) -> Reply:
    """Several products share the name: each one's certificate."""
    lines = [ctx.t("validity.several", n=len(found))]
    for product in found:
        lines.append(f"• {render.short_line(ctx, product)}: {render.certificate_text(ctx, product)}")
    choices = render.product_choices(ctx, found)
    return Reply("\n".join(lines), choices, language=ctx.lang, kind="validity", product_ids=tuple(p.id for p in found))


def listing(ctx: Context, which: str, query=None, year: int | None = None) -> Reply:
    """`which`: "expiring" (within six months, or this year when only the year is known),
    "expired", "valid" (still running today, longest first), "ends_in" (ending in `year`) or
    "certified_in" (certified in `year`). Filtered as `query` asks (area, star, group); products
    of that filter with no date on record are named apart, not left out in silence."""
    today = ctx.services.today()
    if which in ("ends_in", "certified_in"):
        rows = ctx.snapshot.certificates.ending_or_granted(which, year or today.year, today)
    else:
        lists = ctx.snapshot.certificates.running_out(today, SOON_DAYS)
        rows = dict(zip(("expiring", "expired", "valid"), lists, strict=True))[which]
    rows = rows if query is None else [p for p in rows if matches(query, p)]
    lines = [ctx.t(f"validity.{which}", n=len(rows), year=year or today.year)]
    if not rows:
        lines.append(ctx.t("validity.none"))
    lines += render.bulleted(ctx, rows, partial(render.certificate_text, ctx))
    unknown = []
    if query is not None and (query.place or query.category or query.star or query.star_min):
        unknown = [p for p in ctx.snapshot.certificates.undated if matches(query, p)][:MAX_LISTED]
        if unknown:
            lines.append(ctx.t("validity.unknown_dates", names=", ".join(render.short_line(ctx, p) for p in unknown)))
    lines.append(ctx.t("validity.note"))
    shown = rows[:MAX_LISTED] + unknown
    choices = render.product_choices(ctx, shown[:MAX_LISTED])
    # Certified in a year is a list of the catalogue by year, not an answer about validity.
    kind = "list" if which == "certified_in" else "validity"
    return Reply("\n".join(lines), choices, language=ctx.lang, kind=kind, product_ids=tuple(p.id for p in shown))


def by_decision(ctx: Context, number: str) -> Reply | None:
    """The products a decision ("QĐ 636/QĐ-UBND") certified, with each one's certificate; None
    when no product of ours names that decision."""
    found = [p for p in ctx.snapshot.catalogue.products if p.decision.split("/")[0].strip() == number]
    if not found:
        return None
    lines = [ctx.t("validity.by_decision", number=found[0].decision, n=len(found))]
    lines += [*render.bulleted(ctx, found, partial(render.certificate_text, ctx)), ctx.t("validity.note")]
    choices = render.product_choices(ctx, found[:MAX_LISTED])
    return Reply("\n".join(lines), choices, language=ctx.lang, kind="list", product_ids=tuple(p.id for p in found))


def matches(query, product: Product) -> bool:
    if query.place is not None and query.place.district and product.area != query.place.district:
        return False
    if query.category and product.category != query.category:
        return False
    if query.star_min:  # "4 sao trở lên"
        return product.star is not None and product.star >= query.star_min
    return query.star is None or product.star == query.star
