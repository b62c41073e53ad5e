"""What every web page shares: the reader's language, the templates, the cache of rendered
pages (per catalogue version, language and day), compression, ETags and security headers."""

from __future__ import annotations

import dataclasses
import re
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response

from bot.i18n import LANGUAGES
from bot.replies import Request as ChatRequest
from bot.services import Services, Snapshot
from bot.web.pages.assets import Assets, Body
from handlers import render
from handlers.context import Context

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
LANG_COOKIE = "lang"
PAGE_CACHE_ENTRIES = 4096
PAGE_CACHE_BYTES = 32 * 1024 * 1024  # any query string makes an entry: the cache is bounded in bytes too
PAGE_MAX_AGE = 300  # seconds: the catalogue changes by staff imports, rarely
WEB_REQUEST = ChatRequest(platform="web", chat_id="web", user_id="web")
_URL_RE = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")
_LANG_RE = re.compile(r"\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*")
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English", "zh": "中文", "ko": "한국어"}


def linkify(text: str) -> Markup:
    """Escaped text with its http(s) URLs as links (the chat's lines cite sources by URL)."""
    out, last = [], 0
    for match in _URL_RE.finditer(text):
        out.append(escape(text[last : match.start()]))
        url = escape(match.group(0))
        out.append(Markup(f'<a href="{url}" rel="nofollow noopener">{url}</a>'))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def accepted_language(header: str) -> str | None:
    """The first of vi, en, zh, ko in Accept-Language, by weight."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate(header.split(",")[:20]):
        match = _LANG_RE.fullmatch(part)
        if not match:
            continue
        lang = match.group(1).lower()
        try:
            weight = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        if lang in LANGUAGES and weight > 0 and (best is None or (-weight, position) < best[:2]):
            best = (-weight, position, lang)
    return best[2] if best else None


class Site:
    def __init__(self, services: Services, *, bot_username: Callable[[], str] | None = None) -> None:
        self.services = services
        self.config = services.config.web
        self.public_url = self.config.public_url.rstrip("/")
        self.bot_username = bot_username or (lambda: services.config.telegram.username)
        self.assets = Assets()
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.env.filters["linkify"] = linkify
        self.env.globals.update(static=self.assets.url, languages=LANGUAGE_NAMES)
        for name in self.env.list_templates(extensions=["html"]):
            self.env.get_template(name)  # compiled at start, not by the first reader (~30 ms each)
        self._cache: OrderedDict[tuple, Body] = OrderedDict()
        self._cached_bytes = 0
        self.staff_sessions: Any = None  # bot.web.pages.staff.Sessions, once its routes are built
        tiles = urlsplit(self.config.tile_url)
        tile_host = f"{tiles.scheme}://{tiles.netloc}" if tiles.netloc else ""
        self.headers = {
            "Content-Security-Policy": (
                "default-src 'self'; script-src 'self'; style-src 'self'; "
                f"img-src 'self' data:{' ' + tile_host if tile_host else ''}; "
                "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
            ),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
            "Permissions-Policy": "geolocation=(self), camera=(), microphone=()",
            "X-Frame-Options": "DENY",
        }

    # -- the reader ---------------------------------------------------------------------------

    def language(self, request: Request) -> tuple[str, bool]:
        """(language, whether ?lang= chose it now and the cookie should remember it)."""
        asked = request.query_params.get("lang", "")
        if asked in LANGUAGES:
            return asked, request.cookies.get(LANG_COOKIE) != asked
        stored = request.cookies.get(LANG_COOKIE, "")
        if stored in LANGUAGES:
            return stored, False
        return accepted_language(request.headers.get("accept-language", "")) or "vi", False

    def base_url(self, request: Request) -> str:
        return self.public_url or str(request.base_url).rstrip("/")

    async def context(self, lang: str) -> Context:
        snapshot = await self.services.catalogue.get()
        return Context(self.services, WEB_REQUEST, lang, snapshot)

    # -- rendering ----------------------------------------------------------------------------

    def cache_key(self, request: Request, lang: str, snapshot: Snapshot, *extra: Any) -> tuple:
        params = tuple(sorted((k, v) for k, v in request.query_params.multi_items() if k != "lang"))
        return (request.url.path, params, lang, snapshot.catalogue.version, self.services.today(), *extra)

    def cached(self, key: tuple) -> Body | None:
        body = self._cache.get(key)
        if body is not None:
            self._cache.move_to_end(key)
        return body

    def remember(self, key: tuple, body: Body) -> Body:
        old = self._cache.pop(key, None)
        self._cached_bytes += _size(body) - (_size(old) if old else 0)
        self._cache[key] = body
        while len(self._cache) > PAGE_CACHE_ENTRIES or self._cached_bytes > PAGE_CACHE_BYTES:
            _, dropped = self._cache.popitem(last=False)
            self._cached_bytes -= _size(dropped)
        return body

    def render(self, request: Request, template: str, ctx: Context, *, meta: tuple = (), **values: Any) -> Body:
        path = request.url.path
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        base = self.base_url(request)
        unpaged = [(k, v) for k, v in query if k != "page"]
        html = self.env.get_template(template).render(
            t=ctx.t,
            lang=ctx.lang,
            path=path,
            short=lambda product: render.short_line(ctx, product),
            link=lambda page: path + "?" + urlencode([*unpaged, ("page", page)]),
            canonical=base + path + ("?" + urlencode(query) if query else ""),
            alternates={code: path + "?" + urlencode([*query, ("lang", code)]) for code in LANGUAGES},
            base_url=base,
            **values,
        )
        return dataclasses.replace(Body.of(html.encode("utf-8"), "text/html; charset=utf-8"), meta=meta)

    def respond(
        self, request: Request, body: Body, *, status: int = 200, lang: str | None = None, remember: bool = False,
        cache: str = f"public, max-age={PAGE_MAX_AGE}",
    ) -> Response:  # fmt: skip
        """The body (gzip when the client takes it), 304 when its ETag matches, security headers."""
        headers = dict(self.headers)
        # A response that sets the language cookie is not for shared caches.
        headers["Cache-Control"] = cache.replace("public", "private") if remember else cache
        headers["Vary"] = "Accept-Encoding, Accept-Language, Cookie"
        if status == 200:
            headers["ETag"] = body.etag
        if lang is not None:
            headers["Content-Language"] = lang
        response: Response
        if status == 200 and _matches(request.headers.get("if-none-match", ""), body.etag):
            response = Response(status_code=304, headers=headers)
        elif body.gz is not None and "gzip" in request.headers.get("accept-encoding", ""):
            headers["Content-Encoding"] = "gzip"
            if status == 200:
                headers["ETag"] = _gzip_tag(body.etag)  # another representation, another strong tag
            response = Response(body.gz, status_code=status, headers=headers, media_type=body.media_type)
        else:
            response = Response(body.raw, status_code=status, headers=headers, media_type=body.media_type)
        if remember and lang is not None:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", secure=self.secure)
        return response

    @property
    def secure(self) -> bool:
        return self.public_url.startswith("https://")


def _size(body: Body) -> int:
    return len(body.raw) + len(body.gz or b"")


def _matches(if_none_match: str, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in tags or _gzip_tag(etag) in tags or "*" in tags


def _gzip_tag(etag: str) -> str:
    return etag[:-1] + '-gz"'
