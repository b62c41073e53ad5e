"""Soak: `ocop-bot serve` + `ocop-bot sender` + a large import + chatting users, with a Telegram outage.

    python bench/soak.py [--minutes 5] [--users 500] [--rate 10] [--rows 40000] [--quick]

Everything runs on 127.0.0.1: the fake Telegram and Zalo servers (tests/fakes/) in a child
process, the real `ocop-bot serve` (both webhooks) and `ocop-bot sender` processes, and the
simulated users in this process, who post Telegram and Zalo webhook updates (with the
secret headers) at a steady overall rate. Timeline, as shares of the duration:

    0.20  `ocop-bot import` of a synthetic catalogue (bench/synth.py) starts
    0.45  the Telegram fake goes down (every connection dropped without an answer)
    0.65  the Telegram fake answers 502 to every call
    0.85  the Telegram fake recovers

One announcement is queued at start to a few hundred subscribers (Telegram and Zalo). After
the duration the script waits (up to --drain seconds) for the pending answers and
deliveries, stops the processes with SIGTERM and prints: updates sent / acknowledged /
answered / lost, replies duplicated, error lines in the logs, reply time p50/p99 per phase
and platform, announcement deliveries duplicated or missed, and RSS of serve at start and
end. A reply is matched to its update by order within the chat: the queries are ones answered
with exactly one message ("gần Sa Pa", two messages, is not among them).
Not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bench.synth import generate, write_csv  # noqa: E402
from bot.config import DATA_DIR  # noqa: E402
from bot.storage import Repository  # noqa: E402

HOST = "127.0.0.1"  # the only address this script ever talks to
SECRET = "soak-webhook-secret_0123456789"
TELEGRAM_TOKEN = "123456:SOAK-telegram-token"
ZALO_TOKEN = "1234567890:soak-zalo-token"
TELEGRAM_HEADER = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
ZALO_HEADER = {"X-Bot-Api-Secret-Token": SECRET}
QUERIES = (
    "mật ong", "chè Suối Giàng", "bưởi Múc mấy sao", "honey", "ruou Sa Pa", "cá hồi", "tea",
    "táo mèo", "4 sao", "mien dong", "tương ớt",
)  # fmt: skip
MESSAGE_METHOD = re.compile(r"send(message|venue|location|document|photo|mediagroup)", re.IGNORECASE)
ERROR_LINE = re.compile(r"\b(ERROR|CRITICAL)\b|^Traceback")
STAMP = re.compile(r"^\d{4}-\d\d-\d\d[ T][\d:,.]+\s*")


# -- the fake servers, in a child process -------------------------------------------------------


def fakes_process(conn) -> None:  # type: ignore[no-untyped-def]
    """Both fakes; obeys commands from the pipe until "stop"."""
    from tests.fakes.telegram_api import FakeTelegram
    from tests.fakes.zalo_api import FakeZalo

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    with FakeTelegram(host=HOST) as telegram, FakeZalo(ZALO_TOKEN) as zalo:
        conn.send((telegram.base_url, telegram.base_file_url, zalo.base_url))
        while True:
            command = conn.recv()
            if command == "down":
                telegram.clear_faults()
                telegram.drop("*", times=None)
            elif command == "5xx":
                telegram.clear_faults()
                telegram.fail("*", 502, times=None)
            elif command == "up":
                telegram.clear_faults()
            elif command == "calls":
                tg = [
                    (str(c.chat_id), c.time, not c.failed and c.status == 200, str(c.text)[:50])
                    for c in telegram.calls
                    if MESSAGE_METHOD.fullmatch(c.method)
                ]
                za = [
                    (str(c.params.get("chat_id")), c.at, c.ok, str(c.params.get("text"))[:50])
                    for c in zalo.calls_to("sendMessage")
                ]
                conn.send((tg, za))
                continue
            elif command == "stop":
                conn.send("stopped")
                return
            conn.send("ok")


class Fakes:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, theirs = context.Pipe()
        self.process = context.Process(target=fakes_process, args=(theirs,), daemon=True)
        self.process.start()
        self.telegram_url, self.telegram_file_url, self.zalo_url = self.conn.recv()

    def command(self, what: str) -> Any:
        self.conn.send(what)
        return self.conn.recv()

    def close(self) -> None:
        if self.process.is_alive():
            with contextlib.suppress(Exception):
                self.conn.send("stop")
                if self.conn.poll(10):
                    self.conn.recv()
            self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


# -- the bot's processes ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Children:
    """Every process we start; all stopped (SIGTERM, then SIGKILL) on any exit."""

    def __init__(self, workdir: Path, config: Path, db: Path) -> None:
        self.workdir, self.config, self.db = workdir, config, db
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.env = {
            **os.environ,
            "PYTHONIOENCODING": "utf-8",
            "PTB_TIMEDELTA": "true",
            "OCOP_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "ZALO_BOT_TOKEN": ZALO_TOKEN,
        }

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("wb")
        command = [sys.executable, "-m", "bot.cli", "--config", str(self.config), "--db", str(self.db), *args]
        process = subprocess.Popen(
            command, cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.processes.append((name, process))
        return process

    def stop(self, process: subprocess.Popen[bytes], timeout: float = 20) -> int | None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        return process.returncode

    def stop_all(self) -> None:
        for _, process in reversed(self.processes):
            self.stop(process)

    def logs(self) -> dict[str, str]:
        return {
            name: (self.workdir / f"{name}.log").read_text(encoding="utf-8", errors="replace")
            for name in dict(self.processes)
        }


# -- the users ----------------------------------------------------------------------------------


@dataclass
class Sent:
    platform: str
    chat: str
    at: float
    status: int  # webhook answer; 0 = no answer


@dataclass
class Timeline:
    start: float
    import_start: float = float("inf")
    import_end: float = float("inf")
    down: float = float("inf")
    five_xx: float = float("inf")
    up: float = float("inf")
    notes: list[str] = field(default_factory=list)

    def phase(self, t: float) -> str:
        if self.down <= t < self.up:
            return "telegram outage"
        if self.import_start <= t < self.import_end:
            return "during import"
        if t < self.import_start:
            return "before"
        return "after" if t >= self.up else "after import"


def telegram_update(update_id: int, user: int, text: str) -> dict[str, Any]:
    sender = {"id": user, "is_bot": False, "first_name": "T", "language_code": "vi"}
    chat = {"id": user, "type": "private", "first_name": "T"}
    message = {"message_id": update_id, "date": int(time.time()), "chat": chat, "from": sender, "text": text}
    return {"update_id": update_id, "message": message}


def zalo_event(user: str, text: str, message_id: str) -> dict[str, Any]:
    message = {
        "from": {"id": user, "display_name": "Khách", "is_bot": False},
        "chat": {"id": user, "chat_type": "PRIVATE"},
        "text": text,
        "message_id": message_id,
        "date": int(time.time() * 1000),
    }
    return {"ok": True, "result": {"event_name": "message.text.received", "message": message}}


async def chat(base: str, users: int, rate: float, until: float, sent: list[Sent]) -> None:
    """`users` users (half Telegram, half Zalo) take turns; `rate` updates per second in all."""
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, timeout=15.0, limits=limits) as http:
        tasks: set[asyncio.Task[None]] = set()

        async def post(n: int) -> None:
            user = n % users
            text = QUERIES[(n // users + user) % len(QUERIES)]
            if user % 2:
                chat_id, path, headers = f"soak{user}", "/zalo/webhook", ZALO_HEADER
                body = zalo_event(chat_id, text, f"m{n}")
            else:
                chat_id, path, headers = str(7_000_000 + user), "/telegram/webhook", TELEGRAM_HEADER
                body = telegram_update(n + 1, 7_000_000 + user, text)
            record = Sent("zalo" if user % 2 else "telegram", chat_id, time.monotonic(), 0)
            sent.append(record)
            with contextlib.suppress(httpx.HTTPError):
                record.status = (await http.post(path, json=body, headers=headers)).status_code

        start, n = time.monotonic(), 0
        while time.monotonic() < until:
            due = start + n / rate
            if due > time.monotonic():
                await asyncio.sleep(due - time.monotonic())
            task = asyncio.create_task(post(n))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
        if tasks:
            await asyncio.wait(tasks)


# -- set-up -------------------------------------------------------------------------------------


async def prepare(db: Path, telegram_subscribers: int, zalo_subscribers: int) -> tuple[list[str], list[str]]:
    """A seeded database, the subscribers (via the repository) and one confirmed announcement."""
    repo = await Repository.open(db, seed_dir=DATA_DIR)
    try:
        tg = [str(100_000 + i) for i in range(telegram_subscribers)]
        za = [f"z{i:05x}" for i in range(zalo_subscribers)]
        for platform, chats in (("telegram", tg), ("zalo", za)):
            for chat_id in chats:
                await repo.subscribe(platform, chat_id, "vi")
        draft = await repo.create_draft("cli", "soak", "", "Hội chợ OCOP Lào Cai", "", None)
        await repo.confirm_broadcast(draft)
    finally:
        await repo.close()
    return tg, za


def wait_healthy(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited with status {process.returncode} before it answered /healthz")
        with contextlib.suppress(httpx.HTTPError, ValueError):
            answer = httpx.get(f"http://{HOST}:{port}/healthz", timeout=2)
            body = answer.json()
            platforms = body.get("platforms", {})
            if answer.status_code == 200 and all(
                str(p.get("state") if isinstance(p, dict) else p).startswith("ok")
                for name, p in platforms.items()
                if name in ("telegram", "zalo")
            ):
                return body
        time.sleep(0.2)
    raise RuntimeError("serve was not healthy in time")


# -- figures ------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def match_replies(
    sent: list[Sent], replies: list[tuple[str, float, bool, str]]
) -> tuple[list[tuple[Sent, float]], int, int]:
    """(update, reply time in s) per answered update; acknowledged updates without a reply; extra replies."""
    by_chat: dict[str, list[float]] = {}
    for chat_id, at, ok, _ in replies:
        if ok:
            by_chat.setdefault(chat_id, []).append(at)
    answered, lost, duplicated = [], 0, 0
    updates: dict[str, list[Sent]] = {}
    for record in sent:
        updates.setdefault(record.chat, []).append(record)
    for chat_id, records in updates.items():
        acked = [r for r in records if r.status == 200]
        times = sorted(by_chat.get(chat_id, []))
        for record, at in zip(acked, times, strict=False):
            answered.append((record, at - record.at))
        lost += max(0, len(acked) - len(times))
        duplicated += max(0, len(times) - len(acked))
    return answered, lost, duplicated


def error_lines(logs: dict[str, str]) -> tuple[int, Counter[str]]:
    count, distinct = 0, Counter[str]()
    for name, text in logs.items():
        for line in text.splitlines():
            if ERROR_LINE.search(line):
                count += 1
                distinct[f"{name}: {STAMP.sub('', line)[:160]}"] += 1
    return count, distinct


# -- main ---------------------------------------------------------------------------------------


def run(args: argparse.Namespace, workdir: Path) -> None:
    duration = args.minutes * 60
    db, config, sheet = workdir / "soak.sqlite3", workdir / "config.toml", workdir / "synth.csv"
    t0 = time.monotonic()
    with sheet.open("w", encoding="utf-8", newline="") as fh:
        write_csv(generate(args.rows, seed=7), fh)
    tg_subs, za_subs = asyncio.run(
        prepare(db, args.subscribers * 6 // 10, args.subscribers - args.subscribers * 6 // 10)
    )
    print(f"set-up: {args.rows}-row synthetic sheet, seeded database, {len(tg_subs)} + {len(za_subs)} subscribers, "
          f"one announcement queued ({time.monotonic() - t0:.1f} s)", flush=True)  # fmt: skip
    fakes = Fakes()
    children = Children(workdir, config, db)
    try:
        port = free_port()
        config.write_text(
            f'[web]\nhost = "{HOST}"\nport = {port}\n'
            f'[telegram]\nbase_url = "{fakes.telegram_url}"\nbase_file_url = "{fakes.telegram_file_url}"\n'
            f'[zalo]\nbase_url = "{fakes.zalo_url}"\n'
            f"[broadcast]\ntelegram_rate = {args.telegram_rate}\nzalo_rate = {args.zalo_rate}\n"
            # The province's lists are ~600 rows (default limit 20,000); this sheet is a stress test.
            f"[import]\nmax_rows = {args.rows + 100}\nmax_file_bytes = 200000000\n",
            encoding="utf-8",
        )
        serve = children.start("serve", "serve")
        wait_healthy(port, serve)
        sender = children.start("sender", "sender")
        rss_start = rss_mb(serve.pid)
        print(f"serve pid {serve.pid} on {HOST}:{port}, sender pid {sender.pid}; RSS of serve at start "
              f"{rss_start:.0f} MB", flush=True)  # fmt: skip

        timeline = Timeline(start=time.monotonic())
        sent: list[Sent] = []
        until = timeline.start + duration
        importer: list[subprocess.Popen[bytes]] = []

        async def director() -> None:
            async def at(share: float) -> None:
                await asyncio.sleep(max(0.0, timeline.start + share * duration - time.monotonic()))

            async def watch_import() -> None:
                await at(0.20)
                timeline.import_start = time.monotonic()
                process = children.start("import", "import", str(sheet))
                importer.append(process)
                # Polled, not waited in a thread: on Ctrl-C asyncio.run would wait for that thread.
                while process.poll() is None:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
                timeline.import_end = time.monotonic()
                timeline.notes.append(
                    f"import: exit status {process.returncode} after {timeline.import_end - timeline.import_start:.1f} s"
                )

            async def outage() -> None:
                await at(0.45)
                await asyncio.to_thread(fakes.command, "down")
                timeline.down = time.monotonic()
                await at(0.65)
                await asyncio.to_thread(fakes.command, "5xx")
                timeline.five_xx = time.monotonic()
                await at(0.85)
                await asyncio.to_thread(fakes.command, "up")
                timeline.up = time.monotonic()

            async def sample_rss() -> None:
                while time.monotonic() < until:
                    rss.append((time.monotonic(), rss_mb(serve.pid)))
                    await asyncio.sleep(1)

            rss: list[tuple[float, float]] = []
            base = f"http://{HOST}:{port}"
            await asyncio.gather(chat(base, args.users, args.rate, until, sent), watch_import(), outage(), sample_rss())
            timeline.notes.append(f"RSS of serve during the run: max {max(mb for _, mb in rss):.0f} MB")
            # The catalogue grew by the import: "flat" is judged from once it is loaded.
            loaded = [mb for t, mb in rss if timeline.import_end and t >= timeline.import_end + 10]
            if loaded:
                timeline.notes.append(
                    f"RSS of serve 10 s after the import: {loaded[0]:.0f} MB; at the end of the run {loaded[-1]:.0f} MB"
                )

        asyncio.run(director())
        ended = time.monotonic()
        acked = sum(1 for s in sent if s.status == 200)
        # Drain: every acknowledged update answered and every subscriber served, or --drain seconds.
        deadline = ended + args.drain
        while time.monotonic() < deadline:
            tg_calls, za_calls = fakes.command("calls")
            answered, lost, _ = match_replies(sent, tg_calls + za_calls)
            got = {c for c, _, ok, _ in tg_calls + za_calls if ok}
            if lost == 0 and all(s in got for s in tg_subs + za_subs):
                break
            time.sleep(1)
        drained = time.monotonic() - ended
        rss_end = rss_mb(serve.pid)
        if importer and importer[0].poll() is None:
            timeline.notes.append("import: still running at the end")
        statuses = {name: children.stop(p) for name, p in reversed(children.processes)}
        tg_calls, za_calls = fakes.command("calls")
    finally:
        children.stop_all()
        fakes.close()

    answered, lost, duplicated = match_replies(sent, tg_calls + za_calls)
    refused = Counter(s.status for s in sent if s.status != 200)
    print()
    print(f"timeline (s from start): import {timeline.import_start - timeline.start:.0f}-"
          f"{timeline.import_end - timeline.start:.0f}, Telegram down {timeline.down - timeline.start:.0f}, "
          f"5xx {timeline.five_xx - timeline.start:.0f}, recovered {timeline.up - timeline.start:.0f}, "
          f"end {ended - timeline.start:.0f}; drain {drained:.0f} s")  # fmt: skip
    for note in timeline.notes:
        print(note)
    print(f"updates sent {len(sent)}, acknowledged (200) {acked}, answered {len(answered)}, lost {lost}; "
          f"not acknowledged {dict(refused) or 0}")  # fmt: skip
    print(f"replies duplicated: {duplicated}")
    print("chat reply time (update posted -> answer at the fake), ms:")
    phases = ("before", "during import", "after import", "telegram outage", "after")
    for platform in ("zalo", "telegram"):
        for phase in phases:
            times = [dt * 1000 for r, dt in answered if r.platform == platform and timeline.phase(r.at) == phase]
            if times:
                print(f"  {platform:<8} {phase:<16} n={len(times):<5} p50 {percentile(times, 50):>8.1f}  "
                      f"p99 {percentile(times, 99):>9.1f}  max {max(times):>9.1f}")  # fmt: skip
    copies = Counter(c for c, _, ok, _ in tg_calls if ok) + Counter(c for c, _, ok, _ in za_calls if ok)
    subs = tg_subs + za_subs
    print(f"announcement to {len(subs)} subscribers: missed {sum(1 for s in subs if copies[s] == 0)}, "
          f"duplicated {sum(1 for s in subs if copies[s] > 1)}")  # fmt: skip
    count, distinct = error_lines(children.logs())
    print(f"error lines in the logs: {count}" + (", distinct:" if distinct else ""))
    for line, n in distinct.most_common(15):
        print(f"  {n:>5} x {line}")
    print(f"exit statuses: {statuses}")
    print(f"RSS of serve: start {rss_start:.0f} MB, end {rss_end:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--rate", type=float, default=10.0, help="updates per second, all users together")
    parser.add_argument("--rows", type=int, default=40_000, help="rows in the imported synthetic sheet")
    parser.add_argument("--subscribers", type=int, default=300, help="announcement recipients (60 %% Telegram)")
    parser.add_argument("--telegram-rate", type=float, default=30.0, help="[broadcast] telegram_rate")
    parser.add_argument("--zalo-rate", type=float, default=10.0, help="[broadcast] zalo_rate")
    parser.add_argument("--drain", type=float, default=120.0, help="max seconds to wait for answers at the end")
    parser.add_argument("--quick", action="store_true", help="about 60 s: 1 minute, 100 users, 20,000 rows")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, database)")
    args = parser.parse_args()
    if args.quick:
        args.minutes, args.users, args.rows, args.subscribers, args.drain = 1.0, 100, 20_000, 200, 30.0
    print("command:", shlex.join([Path(sys.executable).as_posix(), *sys.argv]), flush=True)
    # SIGTERM and SIGHUP end the run like Ctrl-C (also when started with SIGINT ignored, as a
    # background job): the finally blocks stop every child.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.default_int_handler)
    workdir = Path(tempfile.mkdtemp(prefix="ocop-soak-"))
    try:
        run(args, workdir)
    except KeyboardInterrupt:
        print("interrupted: child processes stopped", file=sys.stderr)
        sys.exit(130)
    finally:
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
