"""How many products: our catalogue by area and star, beside the official totals with their dates."""

from __future__ import annotations

from bot.replies import Reply
from handlers.about import official_lines
from handlers.context import Context


def answer(ctx: Context, subject: str) -> Reply:
    query = ctx.snapshot.index.parse(subject, ctx.fillers) if subject else None
    area = query.place.district if query and query.place else None
    province = query.place.province if query and query.place else None
    star = (query.star or query.star_min) if query else None
    category = query.category if query else None
    stars = ctx.snapshot.index.star_counts(district=area, province=province, category=category)
    total = sum(stars.values())
    where = area or province
    lines = []
    if star is not None:
        key = "count.star_area" if where else "count.star"
        lines.append(ctx.t(key, n=stars.get(star, 0), star=star, area=where or ""))
    else:
        key = "count.area" if where else "count.all"
        lines.append(
            ctx.t(
                key,
                area=where or "",
                n=total,
                s5=stars.get(5, 0),
                s4=stars.get(4, 0),
                s3=stars.get(3, 0),
                unknown=stars.get(None, 0),
            )  # fmt: skip
        )
    lines.append(ctx.t("count.incomplete"))
    lines += official_lines(ctx, first_per_scope=True)
    return Reply("\n".join(lines), language=ctx.lang, kind="count")
