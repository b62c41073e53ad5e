"""The web catalogue served by `ocop-bot serve` beside the webhooks: search and browse, product
pages, places on a map, fairs, staff statistics. Server-rendered (Jinja2, autoescaped), usable
without JavaScript; the map and "near me" are the only scripts, served from the project."""

from __future__ import annotations

from collections.abc import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.services import Services
from bot.web.pages import files, staff, views
from bot.web.pages.site import Site


def build_pages(services: Services, *, bot_username: Callable[[], str] | None = None) -> Starlette:
    """The pages as an ASGI app of their own (mounted at / after the webhook routes)."""
    site = Site(services, bot_username=bot_username)
    static, sitemap, robots, qr = files.routes_for(site)
    staff_page, link, login, logout = staff.routes_for(site)
    routes = [
        Route("/", views.page(site, views.home)),
        Route("/p/{id:int}", views.page(site, views.product)),
        Route("/p/{id:int}/qr.svg", qr),
        Route("/places", views.page(site, views.places_page)),
        Route("/places/{id:int}", views.page(site, views.place)),
        Route("/events", views.page(site, views.events_page)),
        Route("/sitemap.xml", sitemap),
        Route("/robots.txt", robots),
        Route("/static/{path:path}", static),
        Route("/staff", staff_page),
        Route("/staff/login", link, methods=["GET"]),
        Route("/staff/login", login, methods=["POST"]),
        Route("/staff/logout", logout, methods=["POST"]),
    ]

    async def missing(request: Request, exc: Exception) -> Response:
        if isinstance(exc, HTTPException) and exc.status_code != 404:
            return Response(exc.detail, status_code=exc.status_code, headers=site.headers, media_type="text/plain")
        lang, remember = site.language(request)
        return views.not_found(site, request, await site.context(lang), remember)

    app = Starlette(routes=routes, exception_handlers={HTTPException: missing})
    app.state.site = site
    return app
