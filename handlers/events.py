"""Fairs and trade weeks: on now, upcoming, recent."""

from __future__ import annotations

from bot.models import Event
from bot.replies import Choice, Reply
from handlers import render
from handlers.context import Context
from handlers.subscriptions import Subscribe


async def events(ctx: Context, year: int | None = None) -> list[Reply]:
    """On now, upcoming, the latest past ones; of one year when it is asked ("năm 2025 có hội chợ nào")."""
    now, upcoming, past = split(ctx)
    if year is not None:
        held = [e for e in [*now, *upcoming, *past] if (e.start_date or e.end_date).year == year]
        lines = [ctx.t("events.in_year", year=year) if held else ctx.t("events.none_in_year", year=year)]
        lines += [render.event_lines(ctx, e) for e in held]
        if held:
            return [Reply("\n".join(lines), language=ctx.lang, web_url=render.web_link(ctx, "/events"))]
        return [Reply("\n".join(lines), language=ctx.lang), *await events(ctx)]
    lines = []
    if now:
        lines.append(ctx.t("events.now"))
        lines += [render.event_lines(ctx, e) for e in now]
    lines.append(ctx.t("events.upcoming") if upcoming else ctx.t("events.no_upcoming"))
    lines += [render.event_lines(ctx, e) for e in upcoming]
    if past:
        lines.append(ctx.t("events.recent"))
        lines += [render.event_lines(ctx, e) for e in past[:3]]
    lines.append(ctx.t("events.subscribe_hint"))
    subscribe = (Choice(ctx.t("button.subscribe"), Subscribe().pack()),)  # one tap, as "đăng ký" typed
    return [Reply("\n".join(lines), subscribe, language=ctx.lang, web_url=render.web_link(ctx, "/events"))]


def split(ctx: Context) -> tuple[list[Event], list[Event], list[Event]]:
    """(on now, upcoming soonest first, past latest first); events without dates are left out."""
    today = ctx.services.today()
    now, upcoming, past = [], [], []
    for event in ctx.snapshot.catalogue.events:
        start = event.start_date or event.end_date
        end = event.end_date or event.start_date
        if start is None or end is None:
            continue
        if start <= today <= end:
            now.append(event)
        elif start > today:
            upcoming.append(event)
        else:
            past.append(event)
    upcoming.sort(key=lambda e: e.start_date or e.end_date)
    past.sort(key=lambda e: e.end_date or e.start_date, reverse=True)
    return now, upcoming, past
