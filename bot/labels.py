"""QR labels for shop shelves: one code per product page, on A4 sheets of 3×8 labels (70×37 mm).

`qr_svg` gives one code as SVG (served at `/p/<id>/qr.svg`); `make_labels_pdf` lays out a
printable sheet: name, stars, producer, a QR code to the product's page and the short URL
under it. Text is set in DejaVu Sans (shipped in bot/fonts with its licence), which has
every Vietnamese letter; a character the font lacks (e.g. CJK) prints as "?", never as a
blank box. The QR code is drawn as vector rectangles from segno's matrix: sharp at any
printer resolution and fast (600 labels in about a second).
"""

from __future__ import annotations

import io
import logging
import math
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.enums import RenderStyle

from bot.models import Product

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_REGULAR = FONT_DIR / "DejaVuSans.ttf"
FONT_BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
FONT = "DejaVu"

PAGE_W, PAGE_H = 210.0, 297.0  # A4, mm
PT = 25.4 / 72  # one point in mm
LABEL_H = 37.0  # the common 3×8 sheet: 70×37 mm, 0.5 mm top and bottom
PAD = 3.5  # inside each label: text and code keep clear of the die-cut edge
QR_ERROR = "m"  # 15 % of the code may be scuffed; segno raises it when the size allows
STAR = "★"
MISSING = "?"
QUIET = 2  # light modules kept clear around the code (the label's own padding adds more)


def product_url(public_url: str, product_id: int) -> str:
    """The product's web page: `{public_url}/p/{id}`."""
    return f"{public_url.rstrip('/')}/p/{product_id}"


def short_url(url: str) -> str:
    """What is printed under the code: the URL without its scheme."""
    return url.split("://", 1)[-1].rstrip("/")


def qr_code(url: str) -> segno.QRCode:
    return segno.make(url, error=QR_ERROR, micro=False)


def qr_svg(url: str, *, scale: int = 4) -> str:
    """One QR code as a standalone SVG document (serve as image/svg+xml).

    No XML declaration; a white background and the 4-module quiet zone are included, so the
    code scans on any page colour. It has a viewBox, so CSS can size it; `scale` sets the
    default size in px per module.
    """
    code = qr_code(url)
    out = io.BytesIO()
    code.save(
        out, kind="svg", xmldecl=False, svgns=True, nl=False, omitsize=True, border=4,
        svgclass=None, lineclass=None, light="#fff", dark="#000",
    )  # fmt: skip
    svg = out.getvalue().decode("ascii")
    side = code.symbol_size(border=4)[0] * scale
    return svg.replace("<svg ", f'<svg width="{side}" height="{side}" ', 1)


def qr_rectangles(matrix: Sequence[Sequence[int]]) -> list[tuple[int, int, int, int]]:
    """The dark modules as (column, row, width, height) rectangles, in module units.

    Each row's runs, plus each column's runs of two or more: every edge between two dark
    modules lies inside some rectangle, so a viewer's anti-aliasing leaves no hairline
    between rectangles that touch.
    """
    rects = []
    size = len(matrix)
    tall = [[False] * size for _ in range(size)]
    for col in range(size):
        row = 0
        while row < size:
            if not matrix[row][col]:
                row += 1
                continue
            start = row
            while row < size and matrix[row][col]:
                row += 1
            if row - start > 1:
                rects.append((col, start, 1, row - start))
                for r in range(start, row):
                    tall[r][col] = True
    for row in range(size):
        line = matrix[row]
        col = 0
        while col < size:
            if not line[col]:
                col += 1
                continue
            start = col
            while col < size and line[col]:
                col += 1
            if col - start > 1 or not tall[row][start]:
                rects.append((start, row, col - start, 1))
    return rects


@dataclass(frozen=True)
class Sheet:
    """Where the labels sit on an A4 page: `columns` × `rows`, edge to edge across, centred down."""

    columns: int = 3
    rows: int = 8

    @property
    def label_w(self) -> float:
        return PAGE_W / self.columns

    @property
    def label_h(self) -> float:
        return min(LABEL_H, math.floor(PAGE_H / self.rows))

    @property
    def top(self) -> float:
        return (PAGE_H - self.rows * self.label_h) / 2

    def origin(self, slot: int) -> tuple[float, float]:
        row, col = divmod(slot, self.columns)
        return col * self.label_w, self.top + row * self.label_h


@cache
def _font_chars(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(path, lazy=True).getBestCmap())


def printable(text: str) -> str:
    """NFC (one glyph per Vietnamese letter); characters the font lacks become "?"."""
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    chars = _font_chars(FONT_REGULAR)
    if all(ord(c) in chars for c in text):
        return text
    log.warning("label text has characters the font lacks, printed as %r: %r", MISSING, text)
    return "".join(c if ord(c) in chars else MISSING for c in text)


class _Labels(FPDF):
    def __init__(self) -> None:
        super().__init__(unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_margins(0, 0, 0)
        self.add_font(FONT, "", str(FONT_REGULAR))
        self.add_font(FONT, "B", str(FONT_BOLD))
        self.set_creator("ocop-bot labels")

    def wrap(self, text: str, width: float, max_lines: int) -> list[str]:
        """Lines no wider than `width` at the current font; an ellipsis ends a cut text."""
        return self._wrap(text, width, max_lines)[0]

    def _wrap(self, text: str, width: float, max_lines: int) -> tuple[list[str], bool]:
        lines: list[str] = []
        words = text.split(" ")
        while words and len(lines) < max_lines:
            line = words.pop(0)
            while self.get_string_width(line) > width:  # one word wider than the line: cut it
                cut = len(line) - 1
                while cut > 1 and self.get_string_width(line[:cut]) > width:
                    cut -= 1
                words.insert(0, line[cut:])
                line = line[:cut]
            while words and self.get_string_width(f"{line} {words[0]}") <= width:
                line = f"{line} {words.pop(0)}"
            lines.append(line)
        if words:
            last = lines[-1]
            while last and self.get_string_width(last + "…") > width:
                last = last[:-1]
            lines[-1] = last.rstrip() + "…"
        return lines, bool(words)

    def fitted(self, text: str, width: float, sizes: Iterable[float], max_lines: int) -> tuple[float, list[str]]:
        """The largest size at which `text` fits in `max_lines`; else the smallest, cut."""
        for size in sizes:
            self.set_font_size(size)
            lines, cut = self._wrap(text, width, max_lines)
            if not cut:
                return size, lines
        return size, lines

    def lines(self, x: float, y: float, size: float, lines: list[str]) -> float:
        """Write lines from the top at `y`; returns the y below them."""
        step = size * PT * 1.15  # pt to mm, with leading
        for line in lines:
            y += step
            self.text(x, y - step * 0.22, line)
        return y

    def qr(self, x: float, y: float, module: float, matrix: Sequence[Sequence[int]]) -> None:
        for col, row, w, h in qr_rectangles(matrix):
            self.rect(x + col * module, y + row * module, w * module, h * module, style=RenderStyle.F)

    def label(self, x: float, y: float, sheet: Sheet, product: Product, url: str) -> None:
        inner_h = sheet.label_h - 2 * PAD
        url_size = 6.0
        url_h = url_size * PT * 1.3
        matrix = qr_code(url).matrix
        # The code's quiet zone: the label's padding above and right, QUIET modules below
        # (before the URL) and at least as many to the left (before the text).
        module = min(inner_h - url_h, sheet.label_w * 0.4) / (len(matrix) + QUIET)
        side = module * len(matrix)
        qr_x = x + sheet.label_w - PAD - side
        self.set_fill_color(0)
        self.qr(qr_x, y + PAD, module, matrix)

        shown = short_url(url)
        self.set_font(FONT, "", url_size)
        while self.get_string_width(shown) > sheet.label_w - 2 * PAD and url_size > 4:
            url_size -= 0.5
            self.set_font_size(url_size)
        self.set_text_color(60)
        self.text(qr_x + side - self.get_string_width(shown), y + PAD + inner_h - 0.3, shown)

        left = x + PAD
        width = qr_x - max(2 * QUIET * module, 3.0) - left
        self.set_text_color(0)
        self.set_font(FONT, "B")
        size, name = self.fitted(printable(product.display_name), width, (9, 8, 7), 3)
        top = self.lines(left, y + PAD, size, name)
        stars = STAR * product.star if product.star else ""
        self.set_font(FONT, "", 8)
        self.set_text_color(176, 120, 0)
        self.text(left, top + 3.6, stars)
        self.set_text_color(0)
        self.text(left + (self.get_string_width(stars + " ") if stars else 0), top + 3.6, "OCOP")
        if product.producer:
            self.set_font(FONT, "", 6.5)
            self.set_text_color(40)
            room = y + PAD + inner_h - url_h - (top + 4.6)
            max_lines = max(1, int(room // (6.5 * PT * 1.15)))
            producer = self.wrap(printable(product.producer), width, min(2, max_lines))
            self.lines(left, top + 4.6, 6.5, producer)


def labels_pdf(products: Sequence[Product], public_url: str, *, columns: int = 3, rows: int = 8) -> bytes:
    """The labels as PDF bytes: `columns` × `rows` per A4 page, in the order given."""
    if columns < 1 or rows < 1:
        raise ValueError("columns and rows must be at least 1")
    sheet = Sheet(columns, rows)
    pdf = _Labels()
    per_page = columns * rows
    for i, product in enumerate(products):
        slot = i % per_page
        if slot == 0:
            pdf.add_page()
        x, y = sheet.origin(slot)
        pdf.label(x, y, sheet, product, product_url(public_url, product.id))
    if not products:
        pdf.add_page()
    return bytes(pdf.output())


def make_labels_pdf(
    products: Sequence[Product], public_url: str, out_path: str | Path, *, columns: int = 3, rows: int = 8
) -> int:
    """Write the labels PDF to `out_path` (whole or not at all); returns the number of pages."""
    data = labels_pdf(products, public_url, columns=columns, rows=rows)
    out = Path(out_path)
    partial = out.with_name(out.name + ".part")
    partial.write_bytes(data)
    partial.replace(out)
    return max(1, math.ceil(len(products) / (columns * rows)))
