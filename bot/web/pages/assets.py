"""Static files of the web pages, read once at start: compressed once, served with an ETag and a
year's cache when the URL carries their version (`/static/site.css?v=<hash>`)."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
COMPRESSIBLE = {".css", ".js", ".svg", ".txt", ".html", ".json"}


@dataclass(frozen=True)
class Body:
    """A response body with its gzip form (None: not worth compressing) and its ETag."""

    raw: bytes
    gz: bytes | None
    etag: str
    media_type: str
    meta: tuple = ()  # what a cached search page logs again when served (query, results)

    @classmethod
    def of(cls, raw: bytes, media_type: str, *, compress: bool = True) -> Body:
        gz = gzip.compress(raw, 6, mtime=0) if compress and len(raw) > 256 else None
        if gz is not None and len(gz) >= len(raw):
            gz = None
        return cls(raw, gz, f'"{hashlib.blake2b(raw, digest_size=10).hexdigest()}"', media_type)


class Assets:
    def __init__(self, directory: Path = STATIC_DIR) -> None:
        self.files: dict[str, Body] = {}
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                name = path.relative_to(directory).as_posix()
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                if kind.startswith("text/") or kind in ("application/javascript", "image/svg+xml"):
                    kind += "; charset=utf-8"
                self.files[name] = Body.of(path.read_bytes(), kind, compress=path.suffix in COMPRESSIBLE)

    def version(self, name: str) -> str:
        return self.files[name].etag.strip('"')[:10]

    def url(self, name: str) -> str:
        return f"/static/{name}?v={self.version(name)}"
