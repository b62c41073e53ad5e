"""Staff commands of `ocop-bot`: announce, broadcasts, stats (`sender` runs in bot.runtime)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.services import Services


def add_staff_commands(sub) -> None:
    announce = sub.add_parser("announce", help="announce to all subscribers (Telegram and Zalo)")
    announce.add_argument("text", nargs="+", help="Vietnamese text")
    announce.add_argument("--en", default="", help="English text for English-speaking subscribers")
    announce.add_argument("--at", help="send later: 'YYYY-MM-DD HH:MM', Vietnam time")
    announce.add_argument("--yes", action="store_true", help="confirm without asking")
    sub.add_parser("broadcasts", help="list announcements and their delivery counts")
    stats = sub.add_parser("stats", help="top searches, and top searches that found nothing")
    stats.add_argument("--days", type=int, default=30)
    sub.add_parser("sender", help="run the announcement sender for the platforms whose token is set")


async def run_staff_command(services: Services, args: argparse.Namespace) -> int:
    """announce, broadcasts, stats (the sender is a long-running command of bot.runtime)."""
    if args.command == "announce":
        return await _announce(args, services)
    if args.command == "broadcasts":
        return await _broadcasts(services)
    if args.command == "stats":
        from handlers.staff import stats_text

        print(await stats_text(services, "en", max(1, args.days)))
        return 0
    return 2


async def _announce(args: argparse.Namespace, services: Services) -> int:
    from handlers.staff import MAX_ANNOUNCEMENT, parse_announcement

    text = " ".join(args.text) + (f" || {args.en}" if args.en else "")
    if args.at:
        text = f"at {args.at} {text}"
    parsed = parse_announcement(text, ZoneInfo(services.config.bot.timezone))
    if isinstance(parsed, str):
        print("ocop-bot: " + services.i18n.t("en", parsed, max=MAX_ANNOUNCEMENT), file=sys.stderr)
        return 2
    vi, en, scheduled = parsed
    audience = await services.repo.subscriber_counts()
    print(f"Vietnamese: {vi}\nEnglish:    {en or '(none: English users get the Vietnamese text)'}")
    print(f"Audience: {audience.get('telegram', 0)} on Telegram, {audience.get('zalo', 0)} on Zalo")
    print(f"When: {scheduled + ' UTC' if scheduled else 'now'}")
    if not args.yes:
        if not sys.stdin.isatty():
            print("Not sent: add --yes to confirm.", file=sys.stderr)
            return 1
        if (await asyncio.to_thread(input, "Send? [y/N] ")).strip().lower() not in ("y", "yes", "c", "có"):
            print("Cancelled.")
            return 1
    draft = await services.repo.create_draft("cli", os.environ.get("USER", "cli"), "", vi, en, scheduled)
    recipients = await services.repo.confirm_broadcast(draft)
    print(f"Announcement #{draft} queued for {recipients} recipients.")
    print("The running bots' senders deliver it; `ocop-bot broadcasts` shows progress.")
    return 0


async def _broadcasts(services: Services) -> int:
    rows = await services.repo.broadcasts(statuses=("draft", "queued", "done", "cancelled"))
    if not rows:
        print("No announcements yet.")
        return 0
    for platform, (reason, since) in sorted((await services.repo.platform_pauses()).items()):
        if await services.repo.has_pending(platform):
            when = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%d %H:%M")
            print(f"{platform} announcements paused since {when} UTC ({reason}); they resume once the token works")
    print(
        f"{'id':>5}  {'status':<9} {'created (UTC)':<19}  {'sent':>7} {'pending':>7} {'blocked':>7} {'failed':>7}  text"
    )
    for b in rows:
        counts = await services.repo.delivery_counts(b.id)
        label = f"[reminder] {b.text_vi}" if b.reminder_event_id else b.text_vi
        print(
            f"{b.id:>5}  {b.status:<9} {b.created_at:<19}  {counts['sent']:>7} {counts['pending']:>7} "
            f"{counts['blocked']:>7} {counts['failed']:>7}  {label[:50]}"
        )
    return 0
