"""What the pages serve besides HTML: static files, /sitemap.xml, /robots.txt, product QR codes
(`/p/<id>/qr.svg`, drawn by bot.labels as on the printed labels)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response

from bot.web.pages.assets import Body
from bot.web.pages.site import Site

STATIC_MAX_AGE = 3600  # without the ?v= of the current file: an hour
IMMUTABLE = "public, max-age=31536000, immutable"


def routes_for(site: Site):
    async def static(request: Request) -> Response:
        body = site.assets.files.get(request.path_params["path"])
        if body is None:
            return Response("not found", status_code=404, media_type="text/plain", headers=site.headers)
        current = request.query_params.get("v") == site.assets.version(request.path_params["path"])
        return site.respond(request, body, cache=IMMUTABLE if current else f"public, max-age={STATIC_MAX_AGE}")

    async def sitemap(request: Request) -> Response:
        snapshot = await site.services.catalogue.get()
        key = ("sitemap", snapshot.catalogue.version, site.base_url(request))
        body = site.cached(key)
        if body is None:
            base = site.base_url(request)
            paths = ["/", "/places", "/events"]
            paths += [f"/p/{i}" for i in sorted(snapshot.index.products)]
            paths += [f"/places/{p.id}" for p in snapshot.catalogue.places]
            urls = "".join(f"<url><loc>{escape(base + path)}</loc></url>\n" for path in paths)
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n'
            )
            body = site.remember(key, Body.of(xml.encode("utf-8"), "application/xml; charset=utf-8"))
        return site.respond(request, body)

    async def robots(request: Request) -> Response:
        text = f"User-agent: *\nDisallow: /staff\nSitemap: {site.base_url(request)}/sitemap.xml\n"
        return site.respond(request, Body.of(text.encode(), "text/plain; charset=utf-8"))

    async def qr(request: Request) -> Response:
        snapshot = await site.services.catalogue.get()
        product_id = request.path_params["id"]
        if product_id not in snapshot.index.products:
            return Response("not found", status_code=404, media_type="text/plain", headers=site.headers)
        url = f"{site.base_url(request)}/p/{product_id}"
        key = ("qr", url)
        body = site.cached(key)
        if body is None:
            from bot.labels import qr_svg  # the labels' own code: the same QR on paper and on screen

            body = site.remember(key, Body.of(qr_svg(url).encode(), "image/svg+xml"))
        return site.respond(request, body, cache="public, max-age=86400")

    return static, sitemap, robots, qr
