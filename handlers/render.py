"""Turning products, places and events into neutral replies. No decisions are made here."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date

from bot.certificates import Validity, certificate_status
from bot.geo import map_url
from bot.models import Event, Place, Product
from bot.replies import Choice, Pin, Reply, ShareCard
from handlers.actions import Action, MapPins, ProductCard, WhereToBuy
from handlers.context import Context


def stars_text(ctx: Context, star: int | None) -> str:
    if star is None:
        return ctx.t("card.star_unconfirmed")
    return ctx.t("card.stars", stars="★" * star, n=star)


def gloss(ctx: Context, product: Product) -> str:
    """Our translation of the product's name for a reader who is not Vietnamese; "" for vi."""
    if ctx.lang == "vi":
        return ""
    return product.gloss(ctx.lang) or product.english_name


def name_with_gloss(ctx: Context, product: Product) -> str:
    translated = gloss(ctx, product)
    return f"{product.display_name} ({translated})" if translated else product.display_name


LISTED = 10  # products named one a line in a list reply; the rest are counted


def bulleted(ctx: Context, found: Sequence[Product], detail=None) -> list[str]:
    """One line each for the first LISTED products ("• name (stars · area)", then `detail(p)`
    if given), and how many more there are."""
    lines = [f"• {short_line(ctx, p)}" + (f" – {detail(p)}" if detail else "") for p in found[:LISTED]]
    if len(found) > LISTED:
        lines.append(ctx.t("validity.more", n=len(found) - LISTED))
    return lines


def product_choices(ctx: Context, found: Sequence[Product]) -> tuple[Choice, ...]:
    """One button per product, its short line opening its card."""
    return tuple(Choice(short_line(ctx, p), ProductCard(p.id).pack()) for p in found)


def short_line(ctx: Context, product: Product) -> str:
    star = f"{product.star}★" if product.star else ctx.t("list.no_star")
    area = f" · {product.area}" if product.area else ""
    translated = gloss(ctx, product)
    name = f"{product.display_name} – {translated}" if translated else product.display_name
    return f"{name} ({star}{area})"


def certificate_text(ctx: Context, product: Product) -> str:
    status = certificate_status(product.decision_date, product.year, ctx.services.today())
    until = _fmt_date(status.until) if status.until else ""
    key = {
        Validity.VALID: "card.cert_valid",
        Validity.EXPIRED: "card.cert_expired",
        Validity.VALID_BY_YEAR: "card.cert_valid_by_year",
        Validity.EXPIRED_BY_YEAR: "card.cert_expired_by_year",
        Validity.UNCERTAIN_BY_YEAR: "card.cert_uncertain_by_year",
        Validity.UNKNOWN: "card.cert_unknown",
    }[status.validity]
    return ctx.t(key, until=until, year=status.year or "", end_year=(status.year or 0) + 3)


def _fmt_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def decision_text(ctx: Context, product: Product) -> str:
    parts = []
    if product.decision:
        parts.append(ctx.t("card.decision", decision=product.decision))
    if product.decision_date:
        parts.append(ctx.t("card.decision_date", date=_fmt_date(product.decision_date)))
    elif product.year:
        parts.append(ctx.t("card.year", year=product.year))
    else:
        parts.append(ctx.t("card.date_not_on_record"))
    return " · ".join(parts)


def history_text(history, product: Product) -> str:
    """'3★ 2021 → 4★ 2024': the earlier certificates, then the current one."""

    def step(star: int | None, decision_date: date | None, year: int | None) -> str:
        when = decision_date.year if decision_date else year
        return f"{star or '?'}★" + (f" {when}" if when else "")

    steps = [step(c.star, c.decision_date, c.year) for c in history]
    return " → ".join([*steps, step(product.star, product.decision_date, product.year)])


def card_lines(
    ctx: Context, product: Product, places: Sequence[Place], events_now: Sequence[Event], shop_links: Sequence
) -> list[tuple[str, str]]:
    """The card's lines as (what, text) pairs, in order: the chat joins the texts, the web page
    lays them out by `what` (name, qualifier, gloss, stars, decision, validity, producer, category,
    area, places, shop, event, source; history: earlier certificates)."""
    lines = [("name", f"🏷 {product.name}")]
    if product.qualifier:
        lines.append(("qualifier", ctx.t("card.qualifier", qualifier=product.qualifier)))
    translated = gloss(ctx, product)
    if translated:
        lines.append(("gloss", f"   ({translated})"))
    lines.append(("stars", stars_text(ctx, product.star)))
    lines.append(("decision", "📜 " + decision_text(ctx, product)))
    history = ctx.snapshot.catalogue.certificates.get(product.id)
    if history:
        lines.append(("history", ctx.t("card.history", steps=history_text(history, product))))
    if product.star is not None:
        lines.append(("validity", "⏳ " + certificate_text(ctx, product)))
    producer = product.producer or ctx.t("card.unknown")
    kind = ctx.t(f"producer_type.{product.producer_type or 'unknown'}")
    lines.append(("producer", ctx.t("card.producer", producer=producer, kind=kind)))
    category = ctx.t(f"category.{product.category}") if product.category else ctx.t("card.unknown")
    lines.append(("category", ctx.t("card.category", category=category)))
    area = product.area or ctx.t("card.unknown")
    province = ctx.t("card.former_province", province=product.former_province) if product.former_province else ""
    lines.append(("area", ctx.t("card.area", area=area, province=province)))
    if places:
        lines.append(("places", ctx.t("card.places_count", n=len(places), area=product.area)))
    else:
        lines.append(("places", ctx.t("card.no_places")))
    for link in shop_links:
        lines.append(("shop", ctx.t("card.shop_link", platform=link.platform, url=link.url)))
    for event in events_now:
        lines.append(("event", ctx.t("card.event_now", name=event.title(ctx.lang), place=event.place)))
    lines.append(("source", ctx.t("card.source", url=product.source_url or ctx.t("card.unknown"))))
    return lines


def product_card(
    ctx: Context, product: Product, places: Sequence[Place], events_now: Sequence[Event], shop_links: Sequence
) -> Reply:
    choices = []
    if places:
        choices.append(Choice(ctx.t("button.where_to_buy"), WhereToBuy(product.id).pack()))
        choices.append(Choice(ctx.t("button.map"), MapPins(product.id).pack()))
    text = "\n".join(line for _, line in card_lines(ctx, product, places, events_now, shop_links))
    share = ShareCard(
        product_id=product.id,
        title=product.display_name,
        description=f"{stars_text(ctx, product.star)} · {product.area or ''}".strip(" ·"),
        text=text,
    )
    return Reply(
        text, tuple(choices), share=share, language=ctx.lang, kind="card", product_ids=(product.id,),
        web_url=web_link(ctx, f"/p/{product.id}"),
    )  # fmt: skip


def web_link(ctx: Context, path: str) -> str:
    """The web page for `path` when `[web] public_url` is set, else "" (no link)."""
    base = ctx.services.config.web.public_url.rstrip("/")
    return base + path if base else ""


def place_lines(ctx: Context, place: Place, distance: float | None, approximate: bool) -> str:
    return _place_text(place, place_facts(ctx, place, distance, approximate))


def _place_text(place: Place, facts) -> str:
    lines = [f"📍 {place.name}"] + (["   " + place.address] if place.address else [])
    if place.phone:
        lines.append("   ☎ " + place.phone)
    return "\n".join(lines + ["   " + fact for fact in facts])


def place_facts(
    ctx: Context, place: Place, distance: float | None, approximate: bool, *, sells_limit: int | None = 160
) -> list[str]:
    """Hours, what it sells and how far, as the chat says them (the web shows all it sells)."""
    lines = []
    hours = place.hours(ctx.lang)
    if hours:
        lines.append(ctx.t("place.hours", hours=hours))
    sells = place.sells(ctx.lang)
    if sells:
        lines.append(ctx.t("place.sells", hint=shorten(sells, sells_limit) if sells_limit else sells))
    if distance is not None:
        lines.append(distance_text(ctx, place, distance, approximate))
    return lines


def distance_text(ctx: Context, place: Place, distance: float, approximate: bool) -> str:
    if approximate and distance < 1:
        # The pin is the centre of the place's whole area: the place itself may be far out.
        return ctx.t("place.distance_within_area", area=place.area)
    key = "place.distance_approx" if approximate else "place.distance"
    return ctx.t(key, km=f"{distance:.1f}")


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary with an ellipsis, never mid-word."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-(")
    return cut + "…"


@dataclasses.dataclass(frozen=True)
class PlaceRow:
    """One place as a list shows it: its facts as the chat says them, and its pin if it has one."""

    place: Place
    facts: tuple[str, ...]  # hours, what it sells, distance
    pin: Pin | None
    distance: float | None


def place_rows(ctx: Context, ranked, *, sells_limit: int | None = 160) -> list[PlaceRow]:
    """(place, position, distance) rows, as shown in lists."""
    rows = []
    for place, position, distance in ranked:
        approximate = bool(position and position.approximate)
        facts = place_facts(ctx, place, distance, approximate, sells_limit=sells_limit)
        rows.append(PlaceRow(place, tuple(facts), place_pin(ctx, place, position, distance), distance))
    return rows


def places_block(ctx: Context, ranked) -> tuple[list[str], list[Pin]]:
    """Lines for (place, position, distance) rows, their pins, and the approximation note."""
    lines: list[str] = []
    pins: list[Pin] = []
    for row in place_rows(ctx, ranked):
        lines.append(_place_text(row.place, row.facts))
        if row.pin is None:
            lines.append("   " + ctx.t("place.no_position"))
            continue
        pins.append(row.pin)
        if row.pin.approximate:
            lines.append("   " + ctx.t("place.map_search", url=row.pin.map_url))
    if any(pin.approximate for pin in pins):
        lines.append(ctx.t("place.approx_note"))
    return lines, pins


def place_pin(ctx: Context, place: Place, position, distance: float | None) -> Pin | None:
    if position is None:
        return None
    address = place.address or place.area
    if position.approximate:
        address = ctx.t("place.approx_centre", locality=position.locality) + " · " + address
    return Pin(
        title=shorten(place.name, 60),
        address=shorten(address, 100),
        lat=position.lat,
        lon=position.lon,
        approximate=position.approximate,
        map_url=map_url(place, position),
        distance_km=distance,
    )


def event_when(ctx: Context, event: Event) -> str:
    if event.start_date and event.end_date:
        return f"{_fmt_date(event.start_date)} – {_fmt_date(event.end_date)}"
    if event.start_date:
        return ctx.t("event.from", date=_fmt_date(event.start_date))
    if event.end_date:
        return ctx.t("event.until", date=_fmt_date(event.end_date))
    return ctx.t("card.unknown")


def event_lines(ctx: Context, event: Event) -> str:
    return f"🎪 {event.title(ctx.lang)}\n   🗓 {event_when(ctx, event)}\n   📍 {event.place}\n   🔗 {event.source_url}"


def paging_choices(ctx: Context, base: Action, page: int, pages: int) -> list[Choice]:
    """Previous/next buttons: `base` is the page's own action (it has a `page` field)."""
    out = []
    if page > 1:
        out.append(Choice(ctx.t("button.previous"), dataclasses.replace(base, page=page - 1).pack()))  # type: ignore[type-var]
    if page < pages:
        out.append(Choice(ctx.t("button.next"), dataclasses.replace(base, page=page + 1).pack()))  # type: ignore[type-var]
    return out
