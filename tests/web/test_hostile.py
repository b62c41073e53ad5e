"""Hostile input is bounded: deeply nested or malformed bodies are 400, forged callback
data gets a polite answer, slow clients cannot starve the server (issue 10, items 15-16)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.web.conftest import SECRET, TELEGRAM_HEADER, ZALO_HEADER, ZALO_TOKEN, serving
from tests.web.test_cli import NO_SECRETS, stop
from tests.web.test_isolation import health, write_config

EXPIRED = "Lựa chọn này không còn dùng được"


@pytest.mark.parametrize("depth", [40, 5_000, 100_000])
async def test_deeply_nested_json_is_400(
    tmp_path: Path, fake_zalo: FakeZalo, fake_telegram: FakeTelegram, depth: int
) -> None:
    body = ("[" * depth + "]" * depth).encode()
    nested = ('{"update_id": 1, "message": ' + '{"a": ' * depth + "1" + "}" * depth + "}").encode()
    async with serving(tmp_path, zalo=fake_zalo, telegram=fake_telegram) as served:
        for path, header in (("/zalo/webhook", ZALO_HEADER), ("/telegram/webhook", TELEGRAM_HEADER)):
            for content in (body, nested):
                response = await served.http.post(path, content=content, headers=header)
                assert response.status_code == 400, (path, response.text)
            malformed = await served.http.post(path, content=b'{"update_id": 1, ', headers=header)
            assert malformed.status_code == 400
        assert (await served.http.get("/healthz")).status_code == 200


def callback_update(update_id: int, user: int, data: str) -> dict:
    sender = {"id": user, "is_bot": False, "first_name": "T", "language_code": "vi"}
    chat = {"id": user, "type": "private", "first_name": "T"}
    message = {"message_id": 1, "date": int(time.time()), "chat": chat, "text": "list"}
    query = {"id": f"cb{update_id}", "from": sender, "chat_instance": "ci", "data": data, "message": message}
    return {"update_id": update_id, "callback_query": query}


FORGED = [
    "q:99999999999999999999999:1",
    "q:1:99999999999999999999999",
    "p:99999999999999999999999",
    "b:-99999999999999999999999",
    "nr:1e999:nan:1",
    "ann:ok:99999999999999999999999",
    "imp:rm:99999999999999999999999",
]


async def test_forged_callback_data_is_ignored_politely(
    tmp_path: Path, fake_telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with serving(tmp_path, telegram=fake_telegram) as served:
        for n, data in enumerate(FORGED):
            update = callback_update(900 + n, 6100 + n, data)
            response = await served.http.post("/telegram/webhook", json=update, headers=TELEGRAM_HEADER)
            assert response.status_code == 200
        for n, data in enumerate(FORGED):
            [reply] = await fake_telegram.wait_for(lambda n=n: fake_telegram.messages_to(6100 + n), 10)
            assert reply.text.startswith(EXPIRED), (data, reply.text)
    assert "OverflowError" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


# -- slow clients (a real `ocop-bot serve` with 1,024 descriptors) ------------------------------

SLOW_CLIENTS = 1_100
DESCRIPTORS = 1_024


def _limit_descriptors() -> None:
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (DESCRIPTORS, hard))


HEAD = b"POST /zalo/webhook HTTP/1.1\r\nHost: x\r\n"  # never finished


def _open_slow(port: int) -> socket.socket:
    """A non-blocking connect: the test must not wait for a server that is slow to accept."""
    sock = socket.socket()
    sock.setblocking(False)
    sock.connect_ex(("127.0.0.1", port))
    return sock


def _poke(sock: socket.socket, started: bool) -> tuple[bool, bool]:
    """Send the next slow piece; (still open, request started)."""
    if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
        return False, started
    try:
        if started:
            with contextlib.suppress(BlockingIOError):
                if sock.recv(4096) == b"":
                    return False, started  # closed by the server
            sock.send(b"X-Slow: 1\r\n")
        else:
            sock.send(HEAD)
            started = True
    except (BlockingIOError, InterruptedError):
        pass
    except OSError as exc:
        return exc.errno == errno.ENOTCONN, started  # still connecting, or gone
    return True, started


def test_healthz_keeps_answering_under_1100_slow_clients(tmp_path: Path) -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if max(soft, hard) < 2 * SLOW_CLIENTS + 200:
        pytest.skip("this test needs about 2,400 descriptors for its own sockets")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    with FakeZalo(ZALO_TOKEN) as zalo:
        port = write_config(tmp_path, telegram_url="http://127.0.0.1:9/bot", zalo=zalo)
        text = (tmp_path / "config.toml").read_text(encoding="utf-8")
        (tmp_path / "config.toml").write_text(text.replace("[web]\n", "[web]\nrequest_seconds = 2\n"), "utf-8")
        env = {**NO_SECRETS, "OCOP_WEBHOOK_SECRET": SECRET, "ZALO_BOT_TOKEN": ZALO_TOKEN}
        full_env = {**os.environ, "PYTHONIOENCODING": "utf-8", **env}
        command = [sys.executable, "-m", "bot.cli", "--db", str(tmp_path / "ocop.sqlite3"), "serve"]
        process = subprocess.Popen(
            command, cwd=tmp_path, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=_limit_descriptors,
        )  # fmt: skip
        socks: dict[socket.socket, bool] = {}
        try:
            health(port, process)
            socks = {_open_slow(port): False for _ in range(SLOW_CLIENTS)}
            answered, slowest, started = 0, 0.0, time.monotonic()
            while time.monotonic() - started < 7:  # past several request deadlines
                # The slow clients send one more header line now and then, and come back when closed.
                for sock, begun in list(socks.items()):
                    alive, socks[sock] = _poke(sock, begun)
                    if not alive:
                        del socks[sock]
                        sock.close()
                        socks[_open_slow(port)] = False
                t0 = time.monotonic()
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                slowest = max(slowest, time.monotonic() - t0)
                assert response.status_code == 200, response.text
                answered += 1
                time.sleep(0.3)
            assert answered >= 5, slowest
            assert slowest < 4, slowest
            assert process.poll() is None
        finally:
            for sock in socks:
                sock.close()
            returncode, stderr = stop(process, timeout=20)
    assert returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert len(stderr.splitlines()) < 100, stderr[-3000:]  # a warning per many, not one per connection
    assert "closing the slowest clients" in stderr or "request not complete" in stderr


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything the server sent until it closed the connection (fails if it stays open)."""
    got = b""
    async with asyncio.timeout(seconds):
        while chunk := await reader.read(4096):
            got += chunk
    return got


async def test_slow_or_idle_connections_are_closed(
    tmp_path: Path, fake_zalo: FakeZalo, caplog: pytest.LogCaptureFixture
) -> None:
    async with serving(tmp_path, zalo=fake_zalo) as served:
        served.web.limits.request_seconds = 0.5
        served.web._server.config.timeout_keep_alive = 1  # read per connection
        port = served.web.port

        # Headers that never end: closed, although a byte keeps coming.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        for _ in range(3):
            await asyncio.sleep(0.2)
            writer.write(b"X")
        assert await _closed_within(reader, 2) == b""
        writer.close()

        # A body that never arrives whole: closed, and no 500 or error logged.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /zalo/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
            + f"X-Bot-Api-Secret-Token: {SECRET}\r\n\r\n".encode()
            + b'{"a": '
        )
        assert b" 500 " not in await _closed_within(reader, 2)
        writer.close()

        # An idle keep-alive connection: closed after keep_alive_seconds.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = await reader.readuntil(b"\r\n\r\n")
        assert first.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        await _closed_within(reader, 8)
        assert 0.5 < time.monotonic() - started < 8  # a loaded machine is late; never is the bug
        writer.close()

        # Ordinary requests are unaffected.
        assert (await served.http.get("/healthz")).status_code == 200
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_garbage_requests_are_logged_once_not_per_connection(
    tmp_path: Path, fake_zalo: FakeZalo, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with serving(tmp_path, zalo=fake_zalo) as served:
        for _ in range(30):
            reader, writer = await asyncio.open_connection("127.0.0.1", served.web.port)
            writer.write(b"\x16\x03\x01 not http at all\r\n\r\n")  # e.g. TLS spoken to plain HTTP
            assert (await _closed_within(reader, 2)).startswith(b"HTTP/1.1 400")
            writer.close()
        assert (await served.http.get("/healthz")).status_code == 200
    lines = [r.getMessage() for r in caplog.records if "Invalid HTTP request" in r.getMessage()]
    assert len(lines) == 1, lines
