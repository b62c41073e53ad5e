"""A database the bot cannot use ends the process: one line naming the file and the reason,
a non-zero exit within seconds, no traceback, no hang."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli

DATA = REPO / "tests" / "data"
DEADLINE = 20  # seconds; a hang is the defect, the budget is generous for a busy machine
# Each command with what it reads: `chat` answers what comes on stdin.
COMMANDS = {
    "ask": (["ask", "mật ong"], None),
    "import": (["import", str(DATA / "good_products.csv")], None),
    "chat": (["chat"], "mật ong\nbưởi Múc mấy sao?\n"),
    "search": (["search", "mật ong"], None),
}
PLATFORM_ENV = {"TELEGRAM_BOT_TOKEN": "123:ABC", "ZALO_BOT_TOKEN": "1:zalo", "OCOP_WEBHOOK_SECRET": "s" * 24}
# Nothing here may reach the internet: the platforms' addresses are a closed local port.
OFFLINE_CONFIG = """
[telegram]
base_url = "http://127.0.0.1:9/bot"
[zalo]
base_url = "http://127.0.0.1:9"
[web]
host = "127.0.0.1"
port = 9
"""


def assert_one_line_exit(result: subprocess.CompletedProcess, db: Path, *reasons: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode not in (0, None), (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ocop-bot: ") and str(db) in lines[0], lines[0]
    assert any(reason in lines[0].lower() for reason in reasons), lines[0]


def run(command: str, db: Path, **kwargs) -> subprocess.CompletedProcess:
    args, stdin = COMMANDS[command]
    return run_cli(*args, db=db, stdin=stdin, timeout=DEADLINE, **kwargs)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("seeded") / "ocop.sqlite3"
    assert run_cli("search", "x", db=db).returncode == 0
    return db


def copy_db(seeded: Path, to: Path) -> Path:
    to.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(seeded, to)
    return to


@pytest.mark.parametrize("command", list(COMMANDS))
def test_corrupted_file(tmp_path, command):
    db = tmp_path / "ocop.sqlite3"
    db.write_bytes(os.urandom(16384))
    assert_one_line_exit(run(command, db), db, "not a database", "corrupt", "malformed")


@pytest.mark.parametrize("command", ["telegram", "zalo", "serve", "sender"])
def test_corrupted_file_long_running_commands(tmp_path, command):
    db = tmp_path / "ocop.sqlite3"
    db.write_bytes(os.urandom(16384))
    config = tmp_path / "offline.toml"
    config.write_text(OFFLINE_CONFIG)
    result = run_cli("--config", str(config), command, db=db, timeout=DEADLINE, env=PLATFORM_ENV)
    assert_one_line_exit(result, db, "not a database")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_missing_meta_row(tmp_path, seeded, command):
    db = copy_db(seeded, tmp_path / "ocop.sqlite3")
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM meta")
    assert_one_line_exit(run(command, db), db, "meta")


def test_missing_table(tmp_path, seeded):
    db = copy_db(seeded, tmp_path / "ocop.sqlite3")
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE search_log")
    assert_one_line_exit(run("ask", db), db, "search_log")


def test_path_is_a_directory(tmp_path):
    db = tmp_path / "ocop.sqlite3"
    db.mkdir()
    assert_one_line_exit(run("ask", db), db, "unable to open", "directory")


# -- read-only file or directory --------------------------------------------------------------


def make_read_only(path: Path) -> None:
    """chmod for an ordinary user; root ignores modes, so for root the immutable attribute."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
            pytest.skip("running as root without chattr: cannot make a file read-only")
    else:
        path.chmod(0o555 if path.is_dir() else 0o444)


def make_writable(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], check=False)
    path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.fixture
def read_only():
    made: list[Path] = []

    def make(path: Path) -> None:
        made.append(path)
        make_read_only(path)

    yield make
    for path in reversed(made):
        make_writable(path)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_read_only_file(tmp_path, seeded, read_only, command):
    db = copy_db(seeded, tmp_path / "ocop.sqlite3")
    read_only(db)
    assert_one_line_exit(run(command, db), db, "read-only", "readonly")


@pytest.mark.parametrize("command", ["ask", "import"])
def test_read_only_directory(tmp_path, seeded, read_only, command):
    db = copy_db(seeded, tmp_path / "ro" / "ocop.sqlite3")
    read_only(db.parent)
    assert_one_line_exit(run(command, db), db, "read-only", "readonly", "unable to open")


def test_new_database_in_a_read_only_directory(tmp_path, read_only):
    folder = tmp_path / "ro"
    folder.mkdir()
    read_only(folder)
    db = folder / "ocop.sqlite3"
    assert_one_line_exit(run("ask", db), db, "read-only", "readonly", "unable to open", "permission")


# -- a full disk -----------------------------------------------------------------------------

FULL_DISK = """
set -e
mount -t tmpfs -o size={size}k tmpfs "$DIR"
cp "$SEEDED" "$DIR/ocop.sqlite3"
{fill}
exec "$PYTHON" -m bot.cli --db "$DIR/ocop.sqlite3" "$@"
"""


def on_small_disk(tmp_path: Path, seeded: Path, args: list[str], *, free_kb: int, stdin=None):
    """Run `ocop-bot ARGS` with the database on a tmpfs of its own (a private mount
    namespace), filled up so that about `free_kb` stay free."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1)")
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("cannot create a mount namespace here")
    mount = tmp_path / "small"
    mount.mkdir()
    size = seeded.stat().st_size // 1024 + 1024
    fill = f'dd if=/dev/zero of="$DIR/filler" bs=1k count={size} 2>/dev/null || true\n'
    if free_kb:
        fill += f'truncate -s -{free_kb}k "$DIR/filler"'
    script = FULL_DISK.format(size=size, fill=fill)
    env = {**os.environ, "DIR": str(mount), "SEEDED": str(seeded), "PYTHON": sys.executable}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=DEADLINE,
        cwd=tmp_path,
    ), mount / "ocop.sqlite3"


@pytest.mark.parametrize("command", list(COMMANDS))
def test_full_disk(tmp_path, seeded, command):
    args, stdin = COMMANDS[command]
    result, db = on_small_disk(tmp_path, seeded, args, free_kb=0, stdin=stdin)
    assert_one_line_exit(result, db, "full")


def test_disk_fills_during_an_import(tmp_path, seeded):
    big = tmp_path / "many.csv"
    rows = [f"Sản phẩm thử {i} {'x' * 200},4,Thực phẩm,Bảo Yên" for i in range(3000)]
    big.write_text("Tên sản phẩm,Hạng sao,Nhóm sản phẩm,Huyện\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result, db = on_small_disk(tmp_path, seeded, ["import", str(big)], free_kb=300)
    assert_one_line_exit(result, db, "full")
