"""Staff pages, read-only, behind a password (`[web] staff_password_hash`): search statistics as
charts, announcements with their delivery progress, and the catalogue's health.

Sessions are random tokens held in this process (a restart signs everyone out); the cookie is
HttpOnly, SameSite=Strict, limited to /staff, and Secure when `public_url` is https. Or an
admin asks the bot (/web) for a one-time link, valid ten minutes (handlers/staff.py). Failed
logins are limited per client address and overall, so guessing is slow.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.certificates import Validity, certificate_status
from bot.passwords import token_hash, verify_password
from bot.web.pages.charts import bar_chart
from bot.web.pages.site import Site
from handlers import render
from handlers.context import Context

COOKIE = "ocop_staff"
WINDOW = 15 * 60.0  # seconds over which failed logins are counted
MAX_FAILURES_PER_CLIENT = 5
MAX_FAILURES = 50  # from everyone together
MAX_SESSIONS = 100
MAX_FORM = 4096
DAYS = 30
EXPIRING_DAYS = 90
LISTED = 50


class Sessions:
    def __init__(self, minutes: int) -> None:
        self.lifetime = minutes * 60.0
        self.tokens: dict[str, float] = {}
        self.failures: dict[str, deque[float]] = {}
        self.all_failures: deque[float] = deque()

    def open(self) -> str:
        now = time.monotonic()
        self.tokens = {t: end for t, end in self.tokens.items() if end > now}
        while len(self.tokens) >= MAX_SESSIONS:
            self.tokens.pop(next(iter(self.tokens)))
        token = secrets.token_urlsafe(32)
        self.tokens[token] = now + self.lifetime
        return token

    def valid(self, token: str | None) -> bool:
        end = self.tokens.get(token or "")
        return end is not None and end > time.monotonic()

    def close(self, token: str | None) -> None:
        self.tokens.pop(token or "", None)

    def limited(self, client: str) -> bool:
        now = time.monotonic()
        for times in (self.failures.get(client, deque()), self.all_failures):
            while times and times[0] < now - WINDOW:
                times.popleft()
        return len(self.failures.get(client, ())) >= MAX_FAILURES_PER_CLIENT or len(self.all_failures) >= MAX_FAILURES

    def failed(self, client: str) -> None:
        now = time.monotonic()
        if len(self.failures) > 10_000:
            self.failures.clear()
        self.failures.setdefault(client, deque()).append(now)
        self.all_failures.append(now)


def routes_for(site: Site):
    sessions = Sessions(site.config.staff_session_minutes)
    site.staff_sessions = sessions

    async def page(request: Request, status: int = 200, **values: Any) -> Response:
        lang, remember = site.language(request)
        ctx = await site.context(lang)
        if sessions.valid(request.cookies.get(COOKIE)):
            values.update(await dashboard(ctx))
            template = "staff.html"
        else:
            values.setdefault("configured", bool(site.config.staff_password_hash))
            template = "staff_login.html"
        values.update(title=ctx.t("web.staff_title"), description=ctx.t("web.staff_title"), robots="noindex")
        body = site.render(request, template, ctx, **values)
        return site.respond(request, body, status=status, lang=lang, remember=remember, cache="no-store")

    async def staff(request: Request) -> Response:
        return await page(request)

    async def link(request: Request) -> Response:
        """GET of a link the bot sent: a button that signs in (POST), so a link preview that
        fetches the address does not use the link up."""
        token = request.query_params.get("token", "")[:100]
        return await page(request, token=token, configured=bool(site.config.staff_password_hash))

    async def login(request: Request) -> Response:
        client = _client(request)
        if sessions.limited(client):
            return await page(request, 429, error="web.staff_too_many")
        form = await _form(request)
        if form.get("token"):
            ok = await site.services.repo.staff.use_login_link(token_hash(form["token"][:100]))
            refusal = "web.staff_link_expired"
        else:
            stored = site.config.staff_password_hash
            ok = bool(stored) and await asyncio.to_thread(verify_password, form.get("password", ""), stored)
            refusal = "web.staff_refused"
        if not ok:
            sessions.failed(client)
            return await page(request, 403, error=refusal)
        response = RedirectResponse("/staff", status_code=303, headers=site.headers)
        response.set_cookie(
            COOKIE, sessions.open(), max_age=int(sessions.lifetime), path="/staff", httponly=True,
            samesite="strict", secure=site.secure,
        )  # fmt: skip
        return response

    async def logout(request: Request) -> Response:
        sessions.close(request.cookies.get(COOKIE))
        response = RedirectResponse("/staff", status_code=303, headers=site.headers)
        response.delete_cookie(COOKIE, path="/staff", httponly=True, samesite="strict", secure=site.secure)
        return response

    return staff, link, login, logout


def _client(request: Request) -> str:
    """Who is guessing: the peer's address, or behind a reverse proxy on this host (the README's
    set-up: TLS there) the first X-Forwarded-For address. A forged header only escapes the
    per-client limit, not the overall one."""
    peer = request.client.host if request.client else "?"
    forwarded = request.headers.get("x-forwarded-for", "")
    if peer in ("127.0.0.1", "::1") and forwarded:
        return forwarded.split(",")[0].strip()[:64] or peer
    return peer


async def _form(request: Request) -> dict[str, str]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            return {}
    values = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    return {key: found[0] for key, found in values.items() if found}


async def dashboard(ctx: Context) -> dict[str, Any]:
    repo = ctx.services.repo
    top = await repo.top_queries(DAYS, 15, only_empty=False)
    empty = await repo.top_queries(DAYS, 15, only_empty=True)
    weeks = await repo.searches_by("week", 7 * 12)
    languages = await repo.searches_by("language", DAYS)
    announcements = []
    for broadcast in (await repo.broadcasts(statuses=("queued", "done")))[:10]:
        counts = await repo.delivery_counts(broadcast.id)
        total = sum(counts.values())
        done = total - counts["pending"]
        announcements.append({
            "b": broadcast, "counts": counts, "total": total, "percent": round(100 * done / total) if total else 100,
        })  # fmt: skip
    return {
        "days": DAYS,
        "charts": [
            (ctx.t("web.staff_top", days=DAYS), bar_chart(top, ctx.t("web.staff_top", days=DAYS))),
            (ctx.t("web.staff_empty", days=DAYS), bar_chart(empty, ctx.t("web.staff_empty", days=DAYS))),
            (ctx.t("web.staff_by_week"), bar_chart([(w, n) for w, n, _ in weeks], ctx.t("web.staff_by_week"))),
            (
                ctx.t("web.staff_by_language", days=DAYS),
                bar_chart([(lang, n) for lang, n, _ in languages], ctx.t("web.staff_by_language", days=DAYS)),
            ),
        ],
        "announcements": announcements,
        **health(ctx),
    }


def health(ctx: Context) -> dict[str, Any]:
    """Products without a star, certificates running out within 90 days, places without coordinates."""
    today = ctx.services.today()
    horizon = today + timedelta(days=EXPIRING_DAYS)
    products = ctx.snapshot.catalogue.products
    no_star = [p for p in products if p.star is None]
    expiring, maybe = [], []
    for product in products:
        status = certificate_status(product.decision_date, product.year, today)
        if status.until is None:
            continue
        if status.validity is Validity.VALID and status.until <= horizon:
            expiring.append((status.until, product))
        elif status.validity is Validity.UNCERTAIN_BY_YEAR or (
            status.validity is Validity.VALID_BY_YEAR and status.until <= horizon
        ):
            maybe.append((status.until, product))
    expiring.sort(key=lambda r: (r[0], r[1].id))
    maybe.sort(key=lambda r: (r[0], r[1].id))
    places = ctx.snapshot.catalogue.places
    no_coords = [p for p in places if p.lat is None or p.lon is None]
    return {
        "no_star": no_star[:LISTED], "no_star_n": len(no_star),
        "expiring": [(p, render.certificate_text(ctx, p)) for _, p in expiring[:LISTED]], "expiring_n": len(expiring),
        "maybe": [(p, render.certificate_text(ctx, p)) for _, p in maybe[:LISTED]], "maybe_n": len(maybe),
        "no_coords": no_coords[:LISTED], "no_coords_n": len(no_coords), "places_n": len(places),
        "expiring_days": EXPIRING_DAYS,
    }  # fmt: skip
