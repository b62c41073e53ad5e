"""`ocop-bot zalo` and `ocop-bot serve` as real processes: secrets, --set-webhook, SIGTERM, no token in logs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import run_cli
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.web.conftest import SECRET, TELEGRAM_TOKEN, ZALO_HEADER, ZALO_TOKEN, zalo_event

NO_SECRETS = {"TELEGRAM_BOT_TOKEN": "", "ZALO_BOT_TOKEN": "", "OCOP_WEBHOOK_SECRET": ""}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(tmp_path: Path, *, zalo: FakeZalo | None = None, telegram: FakeTelegram | None = None) -> int:
    port = free_port()
    lines = ["[web]", 'host = "127.0.0.1"', f"port = {port}", "[zalo]", "poll_timeout = 1"]
    if zalo:
        lines.append(f'base_url = "{zalo.base_url}"')
    if telegram:
        lines += ["[telegram]", f'base_url = "{telegram.base_url}"', f'base_file_url = "{telegram.base_file_url}"']
    (tmp_path / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return port


def start(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    full_env = {**os.environ, **NO_SECRETS, "PYTHONIOENCODING": "utf-8", "PTB_TIMEDELTA": "true", **env}
    command = [sys.executable, "-m", "bot.cli", "-v", "--db", str(tmp_path / "ocop.sqlite3"), *args]
    return subprocess.Popen(
        command, cwd=tmp_path, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_until(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def stop(process: subprocess.Popen[str], timeout: float = 15) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return process.returncode, stderr


def test_missing_secrets_are_one_line_errors(tmp_path: Path) -> None:
    db = tmp_path / "ocop.sqlite3"
    for args, env, name in (
        (("zalo",), NO_SECRETS, "ZALO_BOT_TOKEN"),
        (("serve",), {**NO_SECRETS, "ZALO_BOT_TOKEN": ZALO_TOKEN}, "OCOP_WEBHOOK_SECRET"),
        (
            ("serve",),
            {**NO_SECRETS, "OCOP_WEBHOOK_SECRET": "short", "ZALO_BOT_TOKEN": ZALO_TOKEN},
            "OCOP_WEBHOOK_SECRET",
        ),
    ):
        result = run_cli(*args, db=db, env=env)
        assert result.returncode == 2, result.stderr
        assert name in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr


def test_serve_without_tokens_is_the_web_catalogue_alone(tmp_path: Path) -> None:
    port = write_config(tmp_path)
    process = start(tmp_path, "serve", env=NO_SECRETS)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(f"{base}/healthz") or process.poll() is not None)
        health = httpx.get(f"{base}/healthz", timeout=5).json()
        assert health["platforms"] == {"telegram": "disabled", "zalo": "disabled"} or all(
            state.startswith("disabled") for state in health["platforms"].values()
        ), health
        page = httpx.get(f"{base}/p/1", timeout=5)
        assert page.status_code == 200 and "OCOP" in page.text
        assert httpx.post(f"{base}/zalo/webhook", json={}, timeout=5).status_code in (404, 405)
    finally:
        status, stderr = stop(process)
    assert status == 0, stderr
    assert "the web catalogue only" in stderr and "Traceback" not in stderr


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_zalo_polling_process_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    with FakeZalo(ZALO_TOKEN) as fake:
        write_config(tmp_path, zalo=fake)
        process = start(tmp_path, "zalo", env={"ZALO_BOT_TOKEN": ZALO_TOKEN})
        try:
            fake.push_text("p1", "mật ong")
            wait_until(lambda: fake.messages_to("p1") or process.poll() is not None)
            assert process.poll() is None
            assert "1. " in fake.messages_to("p1")[0]
        finally:
            status, stderr = stop(process)
    assert status == 0, stderr
    assert "HTTP Request" in stderr  # -v: httpx logged its requests...
    assert ZALO_TOKEN not in stderr and ZALO_TOKEN.split(":")[1] not in stderr  # ...redacted


def test_zalo_rejected_token_exits_2(tmp_path: Path) -> None:
    with FakeZalo(ZALO_TOKEN) as fake:
        write_config(tmp_path, zalo=fake)
        result = run_cli("zalo", db=tmp_path / "ocop.sqlite3", env={**NO_SECRETS, "ZALO_BOT_TOKEN": "1:bad"})
    assert result.returncode == 2
    assert "ZALO_BOT_TOKEN" in result.stderr.strip().splitlines()[-1]


def test_serve_sets_webhooks_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    with FakeZalo(ZALO_TOKEN) as zalo, FakeTelegram() as telegram:
        port = write_config(tmp_path, zalo=zalo, telegram=telegram)
        env = {"ZALO_BOT_TOKEN": ZALO_TOKEN, "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "OCOP_WEBHOOK_SECRET": SECRET}
        process = start(tmp_path, "serve", "--set-webhook", "https://bot.example.org/", env=env)
        try:
            # Each platform registers its webhook once it answers, independently of the other.
            wait_until(lambda: (zalo.webhook["url"] and telegram.webhook_url) or process.poll() is not None)
            assert process.poll() is None
            assert zalo.webhook["url"] == "https://bot.example.org/zalo/webhook"
            assert zalo.webhook["secret_token"] == SECRET
            assert telegram.webhook_url == "https://bot.example.org/telegram/webhook"
            [hook] = telegram.calls_for("setWebhook")
            assert hook.params["secret_token"] == SECRET
            base = f"http://127.0.0.1:{port}"
            health = httpx.get(base + "/healthz")
            assert health.status_code == 200 and health.json()["platforms"] == {"telegram": "ok", "zalo": "ok"}
            response = httpx.post(base + "/zalo/webhook", json=zalo_event("s1", "mật ong", "x1"), headers=ZALO_HEADER)
            assert response.status_code == 200
            wait_until(lambda: zalo.messages_to("s1"))
        finally:
            status, stderr = stop(process)
    assert status == 0, stderr
    for secret in (ZALO_TOKEN.split(":")[1], TELEGRAM_TOKEN.split(":")[1], SECRET):
        assert secret not in stderr
