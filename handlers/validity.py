"""Is a certificate still valid, and which ones run out: from decision dates, or years where
that is all the sources give (the same reasoning as the card)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from functools import partial
from typing import Literal
from weakref import WeakKeyDictionary

from bot.certificates import Validity, certificate_status
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


_RUNNING_OUT: WeakKeyDictionary = WeakKeyDictionary()  # index -> (day, lists): the catalogue is fixed per index
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


def _running_out(ctx: Context) -> tuple[list, list, list]:
    """(expiring soon, expired, still running) over the whole catalogue, soonest/latest/longest
    first; once a day per index."""
    today = ctx.services.today()
    index = ctx.snapshot.index
    cached = _RUNNING_OUT.get(index)
    if cached is not None and cached[0] == today:
        return cached[1]
    soon, gone, running = [], [], []
    for product in ctx.snapshot.catalogue.products:
        state = certificate_status(product.decision_date, product.year, today)
        if state.validity in (Validity.EXPIRED, Validity.EXPIRED_BY_YEAR):
            gone.append((state.until, product))
            continue
        if state.validity in (Validity.VALID, Validity.VALID_BY_YEAR, Validity.UNCERTAIN_BY_YEAR) and state.until:
            running.append((state.until, product))
        if state.validity is Validity.UNCERTAIN_BY_YEAR or (
            state.validity is Validity.VALID and state.until and state.until - today <= timedelta(days=SOON_DAYS)
        ):
            soon.append((state.until, product))
    soon.sort(key=lambda r: (r[0], r[1].id))
    gone.sort(key=lambda r: (r[0], r[1].id), reverse=True)
    running.sort(key=lambda r: (r[0], r[1].id), reverse=True)
    _RUNNING_OUT[index] = (today, (soon, gone, running))
    return soon, gone, running


def listing(ctx: Context, which: str, query=None, year: int | None = None) -> Reply:
    """`which`: "expiring" (within six months, or this year when only the year is known),
    "expired", "valid" (still running today, longest first), "ends_in" (ending in `year`) or
    "certified_in" (certified in `year`). Filtered as `query` asks (area, star, group); products
    of that filter with no date on record are named apart, not left out in silence."""
    today = ctx.services.today()
    if which in ("ends_in", "certified_in"):
        rows = _by_year(ctx, which, year or today.year)
    else:
        rows = dict(zip(("expiring", "expired", "valid"), _running_out(ctx), strict=True))[which]
    rows = [r for r in rows if query is None or _matches(query, r[1])]
    lines = [ctx.t(f"validity.{which}", n=len(rows), year=year or today.year)]
    if not rows:
        lines.append(ctx.t("validity.none"))
    lines += render.bulleted(ctx, [product for _, product in rows], partial(render.certificate_text, ctx))
    unknown = []
    if query is not None and (query.place or query.category or query.star or query.star_min):
        unknown = [p for p in ctx.snapshot.catalogue.products if p.year is None and p.decision_date is None
                   and _matches(query, p)][:MAX_LISTED]  # fmt: skip
        if unknown:
            lines.append(ctx.t("validity.unknown_dates", names=", ".join(render.short_line(ctx, p) for p in unknown)))
    lines.append(ctx.t("validity.note"))
    shown = [p for _, p in rows[:MAX_LISTED]] + unknown
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


def _by_year(ctx: Context, which: str, year: int) -> list:
    """(end, product) for certificates that end in `year`, or were granted in it."""
    today = ctx.services.today()
    rows = []
    for product in ctx.snapshot.catalogue.products:
        state = certificate_status(product.decision_date, product.year, today)
        granted = product.decision_date.year if product.decision_date else product.year
        if granted is None:
            continue
        ends = state.until.year if product.decision_date and state.until else granted + 3
        if (ends if which == "ends_in" else granted) == year:
            rows.append((state.until or date(year, 12, 31), product))
    rows.sort(key=lambda r: (r[0], r[1].id))
    return rows


def _matches(query, product: Product) -> bool:
    if query.place is not None and query.place.district and product.area != query.place.district:
        return False
    if query.category and product.category != query.category:
        return False
    stars = query.star or query.star_min
    return stars is None or product.star == stars
