"""Import of official lists, and hostile files (issue 11): time and peak memory.

    python bench/import_bench.py [--rows 5000] [--keep DIR]

1. Generates a synthetic annex XLSX of `--rows` products (title rows, a two-row header with
   merged group cells, a row of column numbers, group rows per district, a total row; all
   made up, tests/annex_fixtures.py) and runs `ocop-bot import --dry-run`, `ocop-bot import`
   and the import again (every row unchanged) as child processes on a seeded database,
   each measured by wall time and peak RSS (os.wait4). Targets: < 5 s, < 200 MB.
2. The chat path: in one process, a staff member sends the same file to the bot (the upload
   handler reads it in a worker thread) and confirms it, while another user asks the bot a
   question every 20 ms on the same event loop: how many answers and how long they took.
3. Each hostile file, at full size, through `ocop-bot import` as a child process: a 2 MB XLSX
   whose sheet inflates to 2 GB, an XLSX that declares a million rows, one that holds a
   million rows, a 50 MB CSV, a PNG renamed .xlsx, a 128 KiB field, an unbalanced quote.
   Targets: refused in < 2 s and < 150 MB peak RSS, one line, nothing written.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.annex_fixtures import annex_xlsx, named_rows, repeated_rows, synthetic_rows, workbook_with_rows  # noqa: E402

# The child reports its own peak RSS (VmHWM) as it exits: the rusage of a forked child also
# counts the parent's pages it held before exec.
CHILD = """
import atexit, os, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            open(os.environ["HWM_FILE"], "w").write(line.split()[1])
atexit.register(peak)
from bot.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_child(*args: str, db: Path) -> tuple[float, float, int, str, str]:
    """`ocop-bot --db DB ARGS` as a child: (seconds, peak RSS MB, status, stdout, stderr)."""
    with tempfile.NamedTemporaryFile(suffix=".hwm") as hwm:
        began = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-c", CHILD, "--db", str(db), *args], capture_output=True, cwd=REPO_ROOT,
            env={**os.environ, "HWM_FILE": hwm.name},
        )  # fmt: skip
        seconds = time.perf_counter() - began
        peak_kb = int(Path(hwm.name).read_text() or 0)
    return seconds, peak_kb / 1024, child.returncode, child.stdout.decode(), child.stderr.decode()


def digest(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        rows = [conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in ("products", "places", "events")]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


# -- hostile files --------------------------------------------------------------------------------------


def hostile_files(folder: Path) -> list[tuple[str, Path]]:
    files = []
    bomb = folder / "bomb.xlsx"
    workbook_with_rows(bomb, repeated_rows(2_000_000_000))
    files.append(("zip bomb (inflates to 2.0 GB)", bomb))
    declared = folder / "declared.xlsx"
    workbook_with_rows(declared, named_rows(3), dimension="A1:XFD1048576")
    files.append(("declares 1,048,576 rows x 16,384 columns, holds 3", declared))
    million = folder / "million.xlsx"
    workbook_with_rows(million, named_rows(1_000_000), dimension="A1:A1000000")
    files.append(("holds 1,000,000 rows", million))
    many = folder / "many.xlsx"
    workbook_with_rows(many, named_rows(400_000), dimension="A1:A400000")
    files.append(("holds 400,000 rows (under the unpacked limit)", many))
    big = folder / "big.csv"
    with big.open("wb") as out:
        line = "Sản phẩm thử nghiệm,HTX thử nghiệm,3\n".encode()
        out.write(b"name,producer,star\n")
        out.write(line * (50_000_000 // len(line)))
    files.append(("50 MB CSV", big))
    png = folder / "photo.xlsx"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + zlib.compress(os.urandom(20_000)))
    files.append(("PNG renamed .xlsx", png))
    field = folder / "field.csv"
    field.write_bytes(b"name,star\n" + b"x" * 131_072 + b",3\n")
    files.append(("128 KiB field", field))
    quote = folder / "quote.csv"
    rows = b"".join(f"Sản phẩm thử nghiệm {i},3\n".encode() for i in range(5000))
    quote.write_bytes(b'name,star\nSP 1,3\n"SP 2,3\n' + rows)
    files.append(("unbalanced quote (5,000 rows after it)", quote))
    return files


# -- the chat path ----------------------------------------------------------------------------------------


async def chat_while_uploading(db: Path, content: bytes) -> dict:
    import dataclasses

    from bot.config import AdminsSection, Config, DatabaseSection
    from bot.replies import Attachment, Request
    from bot.services import build_services
    from handlers.router import Router

    config = Config(database=DatabaseSection(path=str(db)), admins=AdminsSection(telegram=(1,)), base_dir=db.parent)
    services = await build_services(config)
    services.config = dataclasses.replace(services.config)
    router = Router(services)
    latencies: list[float] = []
    done = asyncio.Event()

    async def chatting() -> None:
        while not done.is_set():
            began = time.perf_counter()
            await router.handle(Request("console", "9", "9", text="mật ong Bảo Yên mấy sao"))
            latencies.append(time.perf_counter() - began)
            await asyncio.sleep(0.02)

    chatter = asyncio.create_task(chatting())
    await asyncio.sleep(0.2)
    latencies.clear()
    began = time.perf_counter()
    (preview,) = await router.handle(Request("telegram", "1", "1", attachment=Attachment("annex.xlsx", content)))
    preview_seconds = time.perf_counter() - began
    apply = next(c.action for c in preview.choices if c.action.startswith("imp:ok"))
    began = time.perf_counter()
    (applied,) = await router.handle(Request("telegram", "1", "1", action=apply))
    apply_seconds = time.perf_counter() - began
    done.set()
    await chatter
    await services.close()
    return {
        "preview_s": preview_seconds, "apply_s": apply_seconds, "answers": len(latencies),
        "p50_ms": statistics.median(latencies) * 1000, "max_ms": max(latencies) * 1000,
        "preview": preview.text.splitlines()[0], "applied": applied.text,
    }  # fmt: skip


# -- main ---------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="import_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    from bot.config import DATA_DIR
    from bot.storage import Repository

    seeded = folder / "seeded.sqlite3"
    if not seeded.exists():

        async def seed() -> None:
            repo = await Repository.open(seeded, seed_dir=DATA_DIR)
            await repo.close()

        asyncio.run(seed())
    annex = folder / "annex.xlsx"
    annex.write_bytes(annex_xlsx(synthetic_rows(args.rows)))
    print(f"annex: {args.rows:,} rows, two-row merged header, group rows: {annex.stat().st_size / 1e6:.2f} MB xlsx")
    db = folder / "import.sqlite3"
    shutil.copyfile(seeded, db)
    for label, extra in (("import --dry-run", ["--dry-run"]), ("import", []), ("import again", [])):
        seconds, rss, status, out, err = run_child("import", *extra, str(annex), db=db)
        summary = next((line for line in out.splitlines() if line.startswith("products:")), err.strip()[:120])
        print(f"  ocop-bot {label:<17} {seconds:5.2f} s  peak RSS {rss:6.1f} MB  exit {status}  {summary}")

    db = folder / "chat.sqlite3"
    shutil.copyfile(seeded, db)
    chat = asyncio.run(chat_while_uploading(db, annex.read_bytes()))
    print(
        f"  chat upload: preview in {chat['preview_s']:.2f} s, apply in {chat['apply_s']:.2f} s; meanwhile "
        f"{chat['answers']} questions answered on the same loop, p50 {chat['p50_ms']:.1f} ms, "
        f"max {chat['max_ms']:.1f} ms"
    )
    print(f"    preview: {chat['preview']}\n    applied: {chat['applied']}")

    print("hostile files (ocop-bot import, default [import] limits):")
    db = folder / "hostile.sqlite3"
    shutil.copyfile(seeded, db)
    before = digest(db)
    for label, path in hostile_files(folder):
        legit = path.name == "declared.xlsx"  # honest content under a lying dimension: a dry run
        seconds, rss, status, out, err = run_child("import", *(["--dry-run"] if legit else []), str(path), db=db)
        if legit:
            out = next((line for line in out.splitlines() if line.startswith("products:")), out)
        lines = (err or out).strip().splitlines()
        message = lines[-1] if lines else ""
        message = message.replace(str(path), path.name)
        print(f"  {label:<52} {path.stat().st_size / 1e6:8.3f} MB  {seconds:5.2f} s  peak RSS {rss:6.1f} MB  "
              f"exit {status}  {len(lines)} line(s): {message[:150]}")  # fmt: skip
    print(f"  database unchanged by the hostile files: {digest(db) == before}")
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
