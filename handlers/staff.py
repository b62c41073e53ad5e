"""Staff jobs: announcements (preview, confirm, schedule), search statistics, catalogue uploads."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.catalogue_io.reasons import Reason
from bot.catalogue_io.report import error_lines, report_lines
from bot.importer import AreaResolver, FileRefused, compare, read_plan
from bot.passwords import token_hash
from bot.replies import Choice, Reply
from bot.text import fold
from handlers.actions import Action, action
from handlers.context import Context

log = logging.getLogger(__name__)

MAX_ANNOUNCEMENT = 1800  # Zalo takes 2000 characters; leave room for the footer
_AT_RE = re.compile(r"^\s*(?:at|lúc|luc)\s+(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2})\s+(.*)$", re.DOTALL | re.IGNORECASE)
YES_WORDS = {"yes", "y", "co", "dong y", "ok", "xac nhan", "confirm", "gui", "send"}


@action("ann")
@dataclasses.dataclass(frozen=True)
class AnnouncementChoice(Action):
    """Confirm ("ok") or cancel ("no") an announcement draft."""

    verb: Literal["ok", "no"]
    id: int


@action("imp")
@dataclasses.dataclass(frozen=True)
class UploadChoice(Action):
    """Apply a pending upload ("ok"), apply and remove what is missing ("rm"), or cancel ("no")."""

    verb: Literal["ok", "rm", "no"]
    id: int


def is_staff(ctx: Context) -> bool:
    admins = ctx.services.config.admins
    request = ctx.request
    if request.platform == "telegram":
        return request.user_id.isdigit() and int(request.user_id) in admins.telegram
    if request.platform == "zalo":
        return request.user_id in admins.zalo
    return False


def refuse(ctx: Context, what: str) -> list[Reply]:
    log.warning("refused staff command %s from %s user %s", what, ctx.request.platform, ctx.request.user_id)
    return [Reply(ctx.t("staff.refused"), language=ctx.lang)]


def parse_announcement(args: str, zone: ZoneInfo) -> tuple[str, str, str | None] | str:
    """'[at YYYY-MM-DD HH:MM] vi text [|| en text]' -> (vi, en, UTC time) or an error key."""
    scheduled = None
    match = _AT_RE.match(args)
    if match:
        try:
            local = datetime.strptime(f"{match.group(1)} {match.group(2)}", "%Y-%m-%d %H:%M").replace(tzinfo=zone)
        except ValueError:
            return "staff.bad_time"
        if local <= datetime.now(zone):
            return "staff.past_time"
        scheduled = local.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S")
        args = match.group(3)
    vi, _, en = args.partition("||")
    vi, en = vi.strip(), en.strip()
    if not vi:
        return "staff.announce_usage"
    if len(vi) > MAX_ANNOUNCEMENT or len(en) > MAX_ANNOUNCEMENT:
        return "staff.too_long"
    return vi, en, scheduled


async def announce(ctx: Context, args: str) -> list[Reply]:
    if not is_staff(ctx):
        return refuse(ctx, "announce")
    zone = ZoneInfo(ctx.services.config.bot.timezone)
    parsed = parse_announcement(args, zone)
    if isinstance(parsed, str):
        return [Reply(ctx.t(parsed, max=MAX_ANNOUNCEMENT), language=ctx.lang)]
    vi, en, scheduled = parsed
    request = ctx.request
    draft = await ctx.services.repo.create_draft(request.platform, request.user_id, request.chat_id, vi, en, scheduled)
    audience = await ctx.services.repo.subscriber_counts()
    when = ctx.t("staff.when_now")
    if scheduled:
        local = datetime.fromisoformat(scheduled).replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
        when = ctx.t("staff.when_at", time=local.strftime("%d/%m/%Y %H:%M"))
    text = ctx.t(
        "staff.preview", vi=vi, en=en or ctx.t("staff.no_english"), telegram=audience.get("telegram", 0),
        zalo=audience.get("zalo", 0), when=when,
    )  # fmt: skip
    choices = (
        Choice(ctx.t("staff.confirm"), AnnouncementChoice("ok", draft).pack()),
        Choice(ctx.t("staff.cancel"), AnnouncementChoice("no", draft).pack()),
    )
    return [Reply(text, choices, language=ctx.lang)]


async def confirm(ctx: Context, broadcast_id: int) -> list[Reply]:
    if not is_staff(ctx):
        return refuse(ctx, "announce confirm")
    broadcast = await ctx.services.repo.broadcast(broadcast_id)
    if broadcast is None or broadcast.author_user != ctx.request.user_id:
        return [Reply(ctx.t("action.expired"), language=ctx.lang)]
    if broadcast.status == "draft" and _draft_expired(ctx, broadcast.created_at):
        minutes = ctx.services.config.broadcast.draft_ttl_minutes
        await ctx.services.repo.cancel_broadcast(broadcast_id)
        log.info("staff %s confirmed draft %d after it expired", ctx.request.user_id, broadcast_id)
        return [Reply(ctx.t("staff.draft_expired", id=broadcast_id, minutes=minutes), language=ctx.lang)]
    recipients = await ctx.services.repo.confirm_broadcast(broadcast_id)
    if recipients is None:
        return [Reply(ctx.t("staff.already_handled", id=broadcast_id), language=ctx.lang)]
    return [Reply(ctx.t("staff.queued", id=broadcast_id, n=recipients), language=ctx.lang)]


def _draft_expired(ctx: Context, created_at: str) -> bool:
    try:
        created = datetime.fromisoformat(created_at.replace(" ", "T")).replace(tzinfo=UTC)
    except ValueError:
        return True  # a draft whose age is unknown is not sent on a word
    ttl = timedelta(minutes=ctx.services.config.broadcast.draft_ttl_minutes)
    return datetime.now(UTC) - created > ttl


def previewed_draft(replies: list[Reply]) -> int | None:
    """The draft an announcement preview among these replies asks to confirm, if any."""
    for reply in replies:
        for choice in reply.choices:
            draft = _confirm_target(choice.action)
            if draft is not None:
                return draft
    return None


def _confirm_target(data: str) -> int | None:
    chosen = AnnouncementChoice.unpack(data)
    return chosen.id if isinstance(chosen, AnnouncementChoice) and chosen.verb == "ok" else None


async def confirm_typed(ctx: Context, just_previewed: int | None) -> list[Reply] | None:
    """A typed "yes" confirms a draft only as a reply to its preview (where the platform has
    replies) or as the staff member's very next message after the preview; otherwise None."""
    if not is_staff(ctx):
        return None
    replied = [d for d in map(_confirm_target, ctx.request.reply_to_actions) if d is not None]
    draft = replied[0] if replied else just_previewed
    return await confirm(ctx, draft) if draft is not None else None


async def cancel(ctx: Context, broadcast_id: int) -> list[Reply]:
    if not is_staff(ctx):
        return refuse(ctx, "announce cancel")
    done = await ctx.services.repo.cancel_broadcast(broadcast_id)
    return [Reply(ctx.t("staff.cancelled" if done else "staff.already_handled", id=broadcast_id), language=ctx.lang)]


WEB_LINK_MINUTES = 10


async def web_link(ctx: Context) -> list[Reply]:
    """/web: a one-time link to the staff web pages, valid ten minutes, in a private chat only."""
    if not is_staff(ctx):
        return refuse(ctx, "web")
    if ctx.request.is_group:
        return [Reply(ctx.t("staff.web_private"), language=ctx.lang)]
    base = ctx.services.config.web.public_url.rstrip("/")
    if not base:
        return [Reply(ctx.t("staff.web_no_url"), language=ctx.lang)]
    token = secrets.token_urlsafe(24)
    seconds = WEB_LINK_MINUTES * 60
    await ctx.services.repo.staff.create_login_link(
        token_hash(token), ctx.request.platform, ctx.request.user_id, seconds
    )
    url = f"{base}/staff/login?token={token}"
    return [Reply(ctx.t("staff.web_link", url=url, minutes=WEB_LINK_MINUTES), language=ctx.lang, kind="staff")]


async def stats(ctx: Context, args: str) -> list[Reply]:
    if not is_staff(ctx):
        return refuse(ctx, "stats")
    days = int(args) if args.strip().isdigit() and 0 < int(args) <= 3650 else 30
    return [Reply(await stats_text(ctx.services, ctx.lang, days), language=ctx.lang)]


async def stats_text(services, lang: str, days: int) -> str:
    repo = services.repo
    top = await repo.top_queries(days, 10, only_empty=False)
    empty = await repo.top_queries(days, 10, only_empty=True)
    lines = [services.i18n.t(lang, "staff.stats_top", days=days)]
    lines += [f"  {n:>4}  {q}" for q, n in top] or ["  –"]
    lines.append(services.i18n.t(lang, "staff.stats_empty", days=days))
    lines += [f"  {n:>4}  {q}" for q, n in empty] or ["  –"]
    return "\n".join(lines)


MAX_PREVIEW_CHARS = 3800  # a Telegram message holds 4096


async def upload(ctx: Context) -> list[Reply]:
    """A catalogue file sent by staff: read by the same reader and planned by the same rules as
    `ocop-bot import`, previewed with the same report, applied only on confirmation."""
    if not is_staff(ctx):
        return refuse(ctx, "catalogue upload")
    attachment = ctx.request.attachment
    assert attachment is not None
    limits = ctx.services.config.import_
    name = attachment.file_name[:80]
    if attachment.too_large:
        mb = f"{limits.max_file_bytes / 1_000_000:g}"
        return [Reply(ctx.t("staff.upload_too_large", name=name, mb=mb), language=ctx.lang)]
    areas = AreaResolver(ctx.snapshot.catalogue.localities)
    try:
        # Reading and checking a sheet of thousands of rows takes a while: off the event loop.
        plan = await asyncio.to_thread(read_plan, attachment.file_name, attachment.content, areas, limits)
        if not plan.errors:
            stored = await ctx.services.repo.stored_rows(plan.table)
            await asyncio.to_thread(compare, plan, stored)
    except FileRefused as exc:
        log.info("upload %r refused: %s", attachment.file_name, exc)
        return [Reply(ctx.t("staff.upload_refused", name=name, reason=exc.reason.text(ctx.t)), language=ctx.lang)]
    except Exception as exc:  # a file we failed to foresee is the sender's problem, not a crash
        log.warning("unreadable upload %r: %s", attachment.file_name, exc.__class__.__name__)
        reason = Reason.of("unreadable", error=exc.__class__.__name__).text(ctx.t)
        return [Reply(ctx.t("staff.upload_refused", name=name, reason=reason), language=ctx.lang)]
    if plan.errors:
        return [Reply(_fit("\n".join(error_lines(plan, ctx.t, 25))), language=ctx.lang)]
    if not plan.records:
        return [Reply(ctx.t("staff.upload_empty"), language=ctx.lang)]
    lines = report_lines(plan, ctx.t, limit=6)
    if not plan.added and not plan.updated and not plan.missing:
        return [Reply(_fit("\n".join(lines)), language=ctx.lang)]
    for record in plan.records:
        record.pop("id", None)  # ids are ours; a sheet never chooses them
    pending = await ctx.services.repo.save_pending_import(
        ctx.request.platform, ctx.request.user_id, plan.table, plan.records
    )
    text = _fit("\n".join(lines)) + "\n" + ctx.t("staff.upload_preview")
    choices = []
    if plan.added or plan.updated:
        choices.append(Choice(ctx.t("staff.apply"), UploadChoice("ok", pending).pack()))
    if plan.missing:
        choices.append(Choice(ctx.t("staff.apply_remove", n=len(plan.missing)), UploadChoice("rm", pending).pack()))
    choices.append(Choice(ctx.t("staff.cancel"), UploadChoice("no", pending).pack()))
    return [Reply(text, tuple(choices), language=ctx.lang)]


def _fit(text: str) -> str:
    return text if len(text) <= MAX_PREVIEW_CHARS else text[: MAX_PREVIEW_CHARS - 1].rsplit("\n", 1)[0] + "\n…"


async def apply_upload(ctx: Context, import_id: int, *, remove_missing: bool, cancel: bool = False) -> list[Reply]:
    if not is_staff(ctx):
        return refuse(ctx, "catalogue apply")
    pending = await ctx.services.repo.take_pending_import(import_id, ctx.request.platform, ctx.request.user_id)
    if pending is None:
        return [Reply(ctx.t("action.expired"), language=ctx.lang)]
    if cancel:
        return [Reply(ctx.t("staff.upload_cancelled"), language=ctx.lang)]
    table, records = pending
    for record in records:
        record.pop("id", None)
    added, updated, removed = await ctx.services.repo.apply_import(table, records, remove_missing=remove_missing)
    await ctx.services.catalogue.fresh()  # the staff member's next question sees it; others meanwhile the old one
    log.info(
        "staff %s applied an upload: %d added, %d updated, %d removed", ctx.request.user_id, added, updated, removed
    )
    return [Reply(ctx.t("staff.applied", added=added, updated=updated, removed=removed), language=ctx.lang)]


def is_yes(text: str) -> bool:
    return fold(text) in YES_WORDS
