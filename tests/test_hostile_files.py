"""Files that are not what they claim (issue 11): each is refused with a one-line reason,
within bounded time and memory, and nothing is written. The bench (bench/import_bench.py)
measures the full-size ones; here the limits are lowered so the files stay small."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import sqlite3
import time

import pytest

from bot.config import ImportSection
from bot.importer import FileRefused, import_file
from tests.annex_fixtures import named_rows, repeated_rows, workbook_with_rows
from tests.conftest import run_cli

SMALL = ImportSection(max_file_bytes=1_000_000, max_unpacked_bytes=1_000_000, max_rows=200, max_cell_chars=5000)


def zip_bomb(inflated: int) -> bytes:
    out = io.BytesIO()
    workbook_with_rows(out, repeated_rows(inflated))
    return out.getvalue()


def declared_rows(declared: int, actual: int) -> bytes:
    out = io.BytesIO()
    workbook_with_rows(out, named_rows(actual), dimension=f"A1:XFD{declared}")
    return out.getvalue()


HOSTILE = {
    "zip bomb": ("bomb.xlsx", lambda: zip_bomb(5_000_000), "the workbook unpacks to 5.0 MB; the limit is 1.0 MB"),
    "a million rows declared, too many there": (
        "rows.xlsx", lambda: declared_rows(1_000_000, 500), "more than 200 rows ([import] max_rows)"),
    "too big": ("big.csv", lambda: b"name\n" + b"x\n" * 600_000, "the file is 1.2 MB; the limit is 1.0 MB"),
    "PNG renamed .xlsx": ("photo.xlsx", lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "it is a PNG file"),
    "128 KiB field": (
        "field.csv", lambda: b"name,star\n" + b"x" * 131_072 + b",3\n", "line 2: a cell of 131,072 characters"),
    "unbalanced quote": (
        "quote.csv",
        lambda: b'name,star\nSP th\xe1\xbb\xad 1,3\n"SP th\xe1\xbb\xad 2,3\n' + b"SP,3\n" * 40,
        "line 3: ",
    ),
    "unbalanced quote closed rows later": (
        "quote2.csv",
        lambda: b'name,star\nSP 1,3\n"SP 2,3\n' + b"SP,3\n" * 40 + b'SP",3\n',
        "line 3: a quoted cell runs over 42 lines (an unbalanced quote?",
    ),
    "unbalanced quote closed two rows later": (
        "quote3.csv",
        lambda: b'name,producer,star,year\nSP 1,HTX,3,2021\n"SP 2,HTX,3,2021\nSP 3,HTX,3,2021\nSP 4",HTX,3,2021\n',
        "line 3: a quoted cell holds 1 line(s) that look like rows of the file (an unbalanced quote?)",
    ),
    "not text": ("bin.csv", lambda: bytes(range(256)) * 4, "not text in UTF-8, UTF-16 (with BOM) or Windows-1258"),
    "old xls": ("old.xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, "old Excel 97-2003"),
}  # fmt: skip


def digest(db) -> str:
    with sqlite3.connect(db) as conn:
        rows = [conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in ("products", "places", "events")]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.mark.parametrize("kind", HOSTILE)
async def test_hostile_file_is_refused_in_one_line_and_nothing_is_written(services, tmp_path, kind):
    name, make, reason = HOSTILE[kind]
    path = tmp_path / name
    path.write_bytes(make())
    before = digest(services.config.database_path)
    began = time.perf_counter()
    with pytest.raises(FileRefused) as refused:
        await import_file(services.repo, path, dry_run=False, limits=SMALL)
    assert time.perf_counter() - began < 2
    message = str(refused.value)
    assert reason in message and "\n" not in message, message
    assert digest(services.config.database_path) == before


async def test_declared_dimension_is_not_trusted(services, tmp_path):
    """1.5 KB that declares a million rows and 16,384 columns holds three: read in no time."""
    path = tmp_path / "declared.xlsx"
    path.write_bytes(declared_rows(1_048_576, 3))
    began = time.perf_counter()
    plan, _ = await import_file(services.repo, path, dry_run=True, limits=SMALL)
    assert time.perf_counter() - began < 1
    assert not plan.errors and len(plan.records) == 2


async def test_hostile_upload_in_chat_gets_one_line(services):
    from bot.config import AdminsSection
    from bot.replies import Attachment, Request
    from handlers.router import Router

    services.config = dataclasses.replace(services.config, admins=AdminsSection(telegram=(42,)), import_=SMALL)
    request = Request("telegram", "42", "42", attachment=Attachment("bomb.xlsx", zip_bomb(5_000_000)))
    (reply,) = await Router(services).handle(request)
    assert reply.text == (
        "Không nhập tệp bomb.xlsx: bảng tính giải nén ra 5.0 MB; giới hạn là 1.0 MB ([import] max_unpacked_bytes)"
    )


def test_cli_names_the_reason_in_one_line(tmp_path):
    path = tmp_path / "photo.xlsx"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    result = run_cli("import", str(path), db=tmp_path / "ocop.sqlite3")
    assert result.returncode == 2
    assert result.stderr == f"ocop-bot: {path}: not imported: not a CSV or Excel (.xlsx) file: it is a PNG file\n"
