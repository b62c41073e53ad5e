"""Price, shipping, wholesale, payment, export, online shops: what the data says, and that it says
no more. Our sources list no prices or trade terms; the producer is who to ask."""

from __future__ import annotations

from bot.models import Product
from bot.replies import Choice, Reply
from handlers import render
from handlers.actions import ProductCard, WhereToBuy
from handlers.context import Context

TOPICS = ("price", "shipping", "wholesale", "payment", "export", "contact", "stock")


def general(ctx: Context, topic: str) -> Reply:
    lines = [ctx.t(f"commerce.{topic}"), ctx.t("commerce.ask_which")]
    kind = "price" if topic == "price" else "commerce"
    return Reply("\n".join(lines), language=ctx.lang, kind=kind)


def about_product(ctx: Context, topic: str, product: Product) -> Reply:
    name = render.name_with_gloss(ctx, product)
    lines = [ctx.t(f"commerce.{topic}_product", name=name)]
    lines.append(_producer_line(ctx, product))
    links = _links(ctx, product)
    lines += [ctx.t("card.shop_link", platform=link.platform, url=link.url) for link in links]
    choices = (
        Choice(ctx.t("button.where_to_buy"), WhereToBuy(product.id).pack()),
        Choice(ctx.t("button.card"), ProductCard(product.id).pack()),
    )
    kind = "price" if topic == "price" else "commerce"
    return Reply("\n".join(lines), choices, language=ctx.lang, kind=kind, product_ids=(product.id,))


def about_products(ctx: Context, topic: str, found: list[Product]) -> Reply:
    """Several products match ("quế điếu" from two producers): the same honest line, and who
    makes each one."""
    if topic == "online":
        return _online_several(ctx, found)
    lines = [ctx.t(f"commerce.{topic}_product", name=found[0].name)]
    for product in found:
        who = f" – {product.producer}" if product.producer else ""  # "– chưa rõ" told the reader nothing
        lines.append(f"• {render.short_line(ctx, product)}{who}")
        lines += [ctx.t("card.shop_link", platform=link.platform, url=link.url) for link in _links(ctx, product)]
    choices = render.product_choices(ctx, found)
    kind = {"price": "price", "online": "online"}.get(topic, "commerce")
    return Reply("\n".join(lines), choices, language=ctx.lang, kind=kind, product_ids=tuple(p.id for p in found))


def online(ctx: Context, product: Product | None) -> Reply:
    catalogue = ctx.snapshot.catalogue
    if product is not None:
        links = _links(ctx, product)
        name = render.name_with_gloss(ctx, product)
        if links:
            lines = [ctx.t("online.product", name=name)]
            lines += [ctx.t("card.shop_link", platform=link.platform, url=link.url) for link in links]
        else:
            lines = [ctx.t("online.product_none", name=name), _producer_line(ctx, product)]
        choices = (Choice(ctx.t("button.where_to_buy"), WhereToBuy(product.id).pack()),)
        return Reply("\n".join(lines), choices, language=ctx.lang, kind="online", product_ids=(product.id,))
    lines = [ctx.t("online.heading")]
    choices = []
    for link in catalogue.shop_links:
        linked = ctx.snapshot.index.products.get(link.product_id)
        if linked is None:
            continue
        lines.append(
            ctx.t("online.line", name=render.name_with_gloss(ctx, linked), platform=link.platform, url=link.url)
        )
        choices.append(Choice(render.short_line(ctx, linked), ProductCard(linked.id).pack()))
    lines.append(ctx.t("online.note"))
    return Reply("\n".join(lines), tuple(choices), language=ctx.lang, kind="online")


def _online_several(ctx: Context, found: list[Product]) -> Reply:
    """Those our sources say are sold online, with the shop; the others said to be not, with who
    makes them: never all of them under "the online shops that sell…"."""
    linked = [product for product in found if _links(ctx, product)]
    unlinked = [product for product in found if product not in linked]
    lines = [ctx.t("online.heading")] if linked else []
    for product in linked:
        lines.append(f"• {render.short_line(ctx, product)}")
        lines += [ctx.t("card.shop_link", platform=link.platform, url=link.url) for link in _links(ctx, product)]
    if unlinked:
        names = ", ".join(render.name_with_gloss(ctx, product) for product in unlinked)
        lines.append(ctx.t("online.product_none", name=names))
        lines += [f"• {render.short_line(ctx, p)} – {p.producer}" for p in unlinked if p.producer]
    return Reply("\n".join(lines), render.product_choices(ctx, found), language=ctx.lang, kind="online",
                 product_ids=tuple(p.id for p in [*linked, *unlinked]))  # fmt: skip


def _links(ctx: Context, product: Product) -> list:
    return [link for link in ctx.snapshot.catalogue.shop_links if link.product_id == product.id]


def _producer_line(ctx: Context, product: Product) -> str:
    if not product.producer:
        return ctx.t("commerce.producer_unknown")
    return ctx.t("commerce.producer", producer=product.producer)
