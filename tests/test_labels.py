"""QR labels: the SVG code, the A4 PDF (pages, text, the code drawn in it) and `ocop-bot labels`."""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import pypdf
import pytest
import segno

from bot.cli import build_parser
from bot.cli_labels import run_labels
from bot.config import ConfigError, load_config
from bot.labels import _Labels, labels_pdf, make_labels_pdf, printable, product_url, qr_rectangles, qr_svg, short_url
from tests.conftest import run_cli, seeded_db

BASE = "https://ocop.example.vn"


def matrix_of(url: str) -> list[list[int]]:
    return [list(row) for row in segno.make(url, error="m", micro=False).matrix]


def svg_modules(svg: str) -> list[list[int]]:
    """The dark modules an SVG from qr_svg paints, read back from its path (segno's h/m steps)."""
    root = ET.fromstring(svg)
    side = int(root.get("viewBox").split()[2])
    dark = next(p for p in root.iter("{http://www.w3.org/2000/svg}path") if p.get("stroke"))
    grid = [[0] * side for _ in range(side)]
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", dark.get("d")):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            for col in range(int(x), int(x + float(a))):
                grid[int(y)][col] = 1
            x += float(a)
    border = 4
    return [row[border : side - border] for row in grid[border : side - border]]


def pdf_modules(data: bytes) -> list[list[int]]:
    """The QR code of a one-label PDF, read back from the page's filled rectangles."""
    content = pypdf.PdfReader(io.BytesIO(data)).pages[0].get_contents().get_data().decode("latin-1")
    rects = [tuple(map(float, m)) for m in re.findall(r"([\d.-]+) ([\d.-]+) ([\d.-]+) ([\d.-]+) re f", content)]
    module = min(min(abs(w), abs(h)) for _, _, w, h in rects)
    left = min(x for x, _, _, _ in rects)
    top = max(y for _, y, _, _ in rects)  # PDF y grows upwards; rectangles have negative height
    size = round((max(x + w for x, _, w, _ in rects) - left) / module)
    grid = [[0] * size for _ in range(size)]
    for x, y, w, h in rects:
        col, row = round((x - left) / module), round((top - y) / module)
        for r in range(row, row + round(-h / module)):
            for c in range(col, col + round(w / module)):
                grid[r][c] = 1
    return grid


async def shipped(services, n: int | None = None):
    products = await services.repo.catalogue.products_where()
    return products if n is None else products[:n]


def test_product_url_and_short_url():
    assert product_url("https://ocop.example.vn/", 12) == "https://ocop.example.vn/p/12"
    assert short_url("https://ocop.example.vn/p/12") == "ocop.example.vn/p/12"


def test_qr_svg_is_a_standalone_document_of_the_right_code():
    url = product_url(BASE, 7)
    svg = qr_svg(url)
    assert svg.startswith('<svg width="') and "<?xml" not in svg
    root = ET.fromstring(svg)  # well-formed, in the SVG namespace, sizeable by CSS
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox")
    assert svg_modules(svg) == matrix_of(url)
    assert svg_modules(svg) != matrix_of(product_url(BASE, 8))


def test_qr_rectangles_cover_exactly_the_dark_modules():
    matrix = matrix_of(product_url(BASE, 123))
    painted = [[0] * len(matrix) for _ in matrix]
    for col, row, w, h in qr_rectangles(matrix):
        for r in range(row, row + h):
            for c in range(col, col + w):
                assert matrix[r][c], (r, c)
                painted[r][c] = 1
    assert painted == matrix


async def test_pdf_pages_text_and_code(services):
    products = await shipped(services, 25)
    data = labels_pdf(products, BASE)
    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    first = reader.pages[0].extract_text()
    assert "Quả bưởi Múc" in first and "★★★★" in first and "ocop.example.vn/p/1" in first
    assert products[24].name.split()[0] in reader.pages[1].extract_text()
    one = labels_pdf(products[:1], BASE)
    assert pdf_modules(one) == matrix_of(product_url(BASE, products[0].id))


async def test_page_count_and_file(services, tmp_path):
    products = await shipped(services, 48)
    out = tmp_path / "labels.pdf"
    assert make_labels_pdf(products, BASE, out) == 2
    assert len(pypdf.PdfReader(out).pages) == 2 == math.ceil(48 / 24)
    assert not list(tmp_path.glob("*.part"))
    assert make_labels_pdf(products[:10], BASE, out, columns=2, rows=4) == 2


async def test_long_names_are_cut_and_missing_glyphs_print_as_question_marks(services):
    product = (await shipped(services, 1))[0]
    long = replace(product, name="Trà " + "Shan tuyết cổ thụ " * 12 + "柚子", producer="HTX " * 40)
    text = pypdf.PdfReader(io.BytesIO(labels_pdf([long], BASE))).pages[0].extract_text()
    assert "…" in text and "柚" not in text
    assert printable("Cà phê 柚子") == "Cà phê ??"
    assert printable("Qua\u0309 bươ\u0300i") == "Quả bười"  # decomposed marks: one glyph each
    pdf = _Labels()
    pdf.set_font("DejaVu", "B", 9)
    lines = pdf.wrap("Chè Shan tuyết cổ thụ Suối Giàng Văn Chấn Yên Bái thượng hạng", 30, 2)
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(pdf.get_string_width(line) <= 30 for line in lines)


async def test_products_where(services):
    catalogue = services.repo.catalogue
    sapa = await catalogue.products_where(area="Sa Pa")
    assert sapa and {p.area for p in sapa} == {"Sa Pa"}
    five = await catalogue.products_where(area="Sa Pa", star=5)
    assert five and {p.star for p in five} == {5} and len(five) < len(sapa)
    assert [p.id for p in await catalogue.products_where(ids=[3, 1, 99999])] == [1, 3]


def test_public_url_must_be_http(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[web]\npublic_url = "ocop.example.vn"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[web\] public_url"):
        load_config(config)
    config.write_text(f'[web]\npublic_url = "{BASE}"\n', encoding="utf-8")
    assert load_config(config).web.public_url == BASE


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        ([], 2, "set [web] public_url"),
        (["--base-url", BASE, "--area", "Hà Nội"], 2, "unknown area 'Hà Nội' (known: Bát Xát"),
        (["--base-url", BASE, "--star", "6"], 2, "--star: 6 is not an OCOP star level (3, 4 or 5)"),
        (["--base-url", BASE, "--ids", "1,99999,99998"], 2, "no product with id 99999, 99998"),
        (["--base-url", BASE, "--ids", "1,x"], 2, "'1,x' is not a list of product ids"),
        (["--base-url", BASE, "--ids", "1", "--star", "5"], 1, "no product matches --star 5 --ids 1"),
        (["--base-url", "ocop.example.vn"], 2, "is not an http(s) URL"),
    ],
)
async def test_bad_input_is_one_line(services, tmp_path, capsys, argv, status, message):
    args = build_parser().parse_args(["labels", "--out", str(tmp_path / "x.pdf"), *argv])
    assert await run_labels(services, args) == status
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "x.pdf").exists()


async def test_area_as_people_write_it(services, tmp_path, capsys):
    out = tmp_path / "bac-ha.pdf"
    args = build_parser().parse_args(["labels", "--out", str(out), "--base-url", BASE, "--area", "huyện bac ha"])
    assert await run_labels(services, args) == 0
    wanted = await services.repo.catalogue.products_where(area="Bắc Hà")
    assert f"{len(wanted)} label(s) on 1 A4 page(s)" in capsys.readouterr().out
    assert wanted[0].name.split()[0] in pypdf.PdfReader(out).pages[0].extract_text()


def test_cli_with_public_url_from_config(tmp_path):
    db = seeded_db(tmp_path / "ocop.sqlite3")
    (tmp_path / "config.toml").write_text(f'[web]\npublic_url = "{BASE}"\n', encoding="utf-8")
    result = run_cli("labels", "--out", "sapa.pdf", "--area", "Sapa", "--star", "4", db=db)
    assert result.returncode == 0, result.stderr
    assert f"codes to {BASE}/p/<id>" in result.stdout
    assert (tmp_path / "sapa.pdf").read_bytes().startswith(b"%PDF-")
