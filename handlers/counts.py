"""How many products: our catalogue by area and star, beside the official totals with their dates."""

from __future__ import annotations

from bot.replies import Choice, Reply
from bot.text import fold
from handlers import render
from handlers.about import official_lines
from handlers.context import Context
from handlers.lists import StarList, area_key

FEW = 5  # a count this small also names the products


def answer(ctx: Context, subject: str, clause: str = "") -> Reply:
    query = ctx.snapshot.index.parse(subject, ctx.fillers) if subject else None
    area = query.place.district if query and query.place else None
    province = query.place.province if query and query.place else None
    star = (query.star or query.star_min) if query else None
    category = query.category if query else None
    said = set(fold(f"{clause} {subject}").split())
    words = ctx.services.understander.lexicon.words
    by_group = star is None and bool(said & words["by_group"])
    by_area = not area and not province and not by_group and _says(said, words["by_area"])
    if by_group:  # "chia theo nhóm ngành thì bao nhiêu nhóm thực phẩm, đồ uống": every group, each counted
        category = None
    stars = ctx.snapshot.index.star_counts(district=area, province=province, category=category)
    total = sum(stars.values())
    where = ", ".join(
        w for w in (area or province, ctx.t("count.group", name=ctx.t(f"category.{category}")) if category else "") if w
    )
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
    if by_group:
        lines += _by_group(ctx, area, province)
    if by_area:  # "huyện nào nhiều sp OCOP nhất": each area, most first
        lines += _by_area(ctx, star, category)
    named: list = []
    if star is not None and 0 < stars.get(star, 0) <= FEW:
        # "sp 5 sao ở Lào Cai có mấy cái": two, and which two.
        # The index's list for the filters (walked once per catalogue), not the whole catalogue.
        listed = ctx.snapshot.index.listing(star=star, district=area, category=category).hits
        named = [h.product for h in listed if province is None or h.product.former_province == province]
        lines += [f"• {render.short_line(ctx, p)}" for p in named]
    lines.append(ctx.t("count.incomplete"))
    lines += official_lines(ctx, first_per_scope=True)
    choices = render.product_choices(ctx, named)
    counted = stars.get(star, 0) if star is not None else total
    if not named and counted and (star or area or category) and not (province and not area):
        # "Sa Pa có bao nhiêu sản phẩm 4 sao": eight, and the list one tap away.
        listed = StarList(str(star) if star else "-", area_key(area) if area else "-", category or "-", 1)
        choices = (Choice(ctx.t("button.see_list"), listed.pack()),)
    return Reply("\n".join(lines), choices, language=ctx.lang, kind="count", product_ids=tuple(p.id for p in named))


def _says(said: set[str], phrases) -> bool:
    """A phrase of the list among the words (a one-word phrase, or all words of a longer one)."""
    return any(set(phrase.split()) <= said for phrase in phrases)


def _by_area(ctx: Context, star: int | None, category: str | None) -> list[str]:
    """Our catalogue's count in each area (district or town before 2025), most first."""
    index = ctx.snapshot.index
    counted = []
    for area in index.areas:
        stars = index.star_counts(district=area, province=None, category=category)
        n = stars.get(star, 0) if star is not None else sum(stars.values())
        if n:
            counted.append((n, area))
    return [ctx.t("count.by_area")] + [f"• {area}: {n}" for n, area in sorted(counted, key=lambda c: (-c[0], c[1]))]


def _by_group(ctx: Context, area: str | None, province: str | None) -> list[str]:
    """ "Sản phẩm OCOP chia theo nhóm ngành": our catalogue's count in each group, largest first."""
    index = ctx.snapshot.index
    counted = []
    for key, docs in index.ordered_by_category.items():
        n = sum(1 for d in docs if (area is None or index.area_of[d] == area)
                and (province is None or index.province_of[d] == province))  # fmt: skip
        if n and key:
            counted.append((n, ctx.t(f"category.{key}")))
    return [f"• {name}: {n}" for n, name in sorted(counted, key=lambda c: (-c[0], c[1]))]
