"""POST /zalo/webhook and /healthz over real HTTP: checks, de-duplication, a burst of 500."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import httpx
import pytest

from bot.config import WebSection
from bot.web.app import build_app
from tests.fakes.zalo_api import FakeZalo
from tests.web.conftest import SECRET, ZALO_HEADER, serving, zalo_event

PATH = "/zalo/webhook"
LIMIT = WebSection().max_body_bytes


async def nothing_sent(fake: FakeZalo, served) -> None:
    await asyncio.sleep(0.2)  # time enough for a worker to have answered, were anything queued
    assert served.web.state.zalo.workers.qsize() == 0
    assert fake.calls_to("sendMessage") == []


async def test_conversation_through_the_webhook(tmp_path: Path, fake_zalo: FakeZalo) -> None:
    async with serving(tmp_path, zalo=fake_zalo) as served:
        response = await served.http.post(PATH, json=zalo_event("w1", "mật ong", "m1"), headers=ZALO_HEADER)
        assert response.status_code == 200
        [listing] = await fake_zalo.wait_for_messages("w1", 1)
        assert "1. " in listing and "2. " in listing
        # Unwrapped bodies are accepted too.
        response = await served.http.post(PATH, json=zalo_event("w1", "2", "m2", wrapped=False), headers=ZALO_HEADER)
        assert response.status_code == 200
        messages = await fake_zalo.wait_for_messages("w1", 2)
        label = next(line for line in listing.splitlines() if line.startswith("2. "))[3:]
        assert messages[1].startswith("🏷 " + label.split(" (")[0])
        await served.http.post(PATH, json=zalo_event("w1", "đăng ký", "m3"), headers=ZALO_HEADER)
        await fake_zalo.wait_for_messages("w1", 3)
        assert await served.services.repo.is_subscribed("zalo", "w1")
        await served.http.post(PATH, json=zalo_event("w1", "xoá dữ liệu", "m4"), headers=ZALO_HEADER)
        await fake_zalo.wait_for_messages("w1", 4)
        assert not await served.services.repo.is_subscribed("zalo", "w1")


async def test_wrong_or_missing_secret_is_403_and_nothing_happens(tmp_path: Path, fake_zalo: FakeZalo) -> None:
    async with serving(tmp_path, zalo=fake_zalo) as served:
        wrong = [{}, {"X-Bot-Api-Secret-Token": "wrong"}, {"X-Bot-Api-Secret-Token": ""}]
        wrong.append({"X-Bot-Api-Secret-Token": SECRET[:-1]})  # a prefix is not the secret
        wrong.append({"X-Telegram-Bot-Api-Secret-Token": SECRET})  # the Telegram header opens no Zalo door
        for i, headers in enumerate(wrong):
            response = await served.http.post(PATH, json=zalo_event("w2", "mật ong", f"m{i}"), headers=headers)
            assert response.status_code == 403, headers
        await nothing_sent(fake_zalo, served)
        # Nothing was claimed either: the genuine delivery of the same message is answered.
        response = await served.http.post(PATH, json=zalo_event("w2", "mật ong", "m0"), headers=ZALO_HEADER)
        assert response.status_code == 200
        await fake_zalo.wait_for_messages("w2", 1)


MALFORMED = [b"{not json", b"", b"\xff\xfe", b"[1, 2]", b'"text"', b'{"ok": false, "error_code": 400}', b'{"hello": 1}']


async def test_malformed_body_is_400(tmp_path: Path, fake_zalo: FakeZalo) -> None:
    async with serving(tmp_path, zalo=fake_zalo) as served:
        headers = {**ZALO_HEADER, "Content-Type": "application/json"}
        for body in MALFORMED:
            response = await served.http.post(PATH, content=body, headers=headers)
            assert response.status_code == 400, body
        await nothing_sent(fake_zalo, served)


async def test_unknown_event_kind_is_acknowledged_not_answered(tmp_path: Path, fake_zalo: FakeZalo) -> None:
    async with serving(tmp_path, zalo=fake_zalo) as served:
        body = {"ok": True, "result": {"event_name": "user.follow", "follower": {"id": "x"}}}
        response = await served.http.post(PATH, json=body, headers=ZALO_HEADER)
        assert response.status_code == 200 and response.json()["ignored"] is True
        await nothing_sent(fake_zalo, served)


async def test_oversized_body_is_413(tmp_path: Path, fake_zalo: FakeZalo) -> None:
    async with serving(tmp_path, zalo=fake_zalo) as served:
        event = zalo_event("w3", "mật ong", "m1")
        event["result"]["padding"] = "x" * LIMIT  # valid JSON, just too big
        big = json.dumps(event).encode()
        response = await served.http.post(PATH, content=big, headers=ZALO_HEADER)
        assert response.status_code == 413

        async def chunks():  # no Content-Length: counted while streaming
            yield big[:1000]
            for start in range(1000, len(big), 65536):
                yield big[start : start + 65536]

        try:
            response = await served.http.post(PATH, content=chunks(), headers=ZALO_HEADER)
            assert response.status_code == 413
        except httpx.TransportError:
            pass  # the server may close before the whole body is sent: also a refusal
        # A body exactly at the limit is fine (the check is "over").
        event["result"]["padding"] = ""
        small = json.dumps(event).encode()
        exact = small[:-1] + b" " * (LIMIT - len(small)) + small[-1:]
        assert len(exact) == LIMIT
        assert (await served.http.post(PATH, content=exact, headers=ZALO_HEADER)).status_code == 200
        await fake_zalo.wait_for_messages("w3", 1)
        await asyncio.sleep(0.1)
        assert len(fake_zalo.messages_to("w3")) == 1


async def test_streamed_body_is_counted_not_trusted(tmp_path: Path, fake_zalo: FakeZalo) -> None:
    # In-process too (deterministic: no socket timing), chunks without any Content-Length.
    async with serving(tmp_path, zalo=fake_zalo) as served:
        transport = httpx.ASGITransport(app=build_app(served.web.state))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:

            async def chunks(total: int):
                for start in range(0, total, 65536):
                    yield b" " * min(65536, total - start)

            response = await http.post(PATH, content=chunks(LIMIT + 1), headers=ZALO_HEADER)
            assert response.status_code == 413
            assert "content-length" not in response.request.headers
            lying = {**ZALO_HEADER, "Content-Length": "10"}  # a small declared length changes nothing
            response = await http.post(PATH, content=chunks(LIMIT + 1), headers=lying)
            assert response.status_code in (400, 413)
            response = await http.post(PATH, content=b"{}", headers={**ZALO_HEADER, "Content-Length": "abc"})
            assert response.status_code == 400


async def test_duplicate_delivery_is_answered_once(tmp_path: Path, fake_zalo: FakeZalo) -> None:
    async with serving(tmp_path, zalo=fake_zalo) as served:
        event = zalo_event("w4", "mật ong", "same-id")
        first = await served.http.post(PATH, json=event, headers=ZALO_HEADER)
        second = await served.http.post(PATH, json=event, headers=ZALO_HEADER)
        assert first.status_code == second.status_code == 200
        await fake_zalo.wait_for_messages("w4", 1)
        # Later redelivery, after the answer went out, is skipped too.
        assert (await served.http.post(PATH, json=event, headers=ZALO_HEADER)).status_code == 200
        await asyncio.sleep(0.3)
        assert len(fake_zalo.messages_to("w4")) == 1


async def post_until_accepted(http: httpx.AsyncClient, body: dict, attempts: Counter) -> None:
    """What Zalo does: redeliver on 503 (after a short pause)."""
    while True:
        response = await http.post(PATH, json=body, headers=ZALO_HEADER)
        attempts[response.status_code] += 1
        if response.status_code == 200:
            return
        assert response.status_code == 503, response.text
        await asyncio.sleep(0.05)


async def test_burst_of_500_users_all_answered_once(tmp_path: Path, fake_zalo: FakeZalo) -> None:
    users = [f"burst{i}" for i in range(500)]
    async with serving(tmp_path, zalo=fake_zalo) as served:
        limit = asyncio.Semaphore(50)
        attempts: Counter = Counter()

        async def deliver(user: str) -> None:
            async with limit:
                await post_until_accepted(served.http, zalo_event(user, "mật ong", f"id-{user}"), attempts)

        await asyncio.wait_for(asyncio.gather(*(deliver(u) for u in users)), 60)
        assert attempts[200] == 500
        await fake_zalo.wait_for(lambda: len(fake_zalo.calls_to("sendMessage")) >= 500, timeout=60)
        await asyncio.sleep(0.2)
        sent = Counter(c.params["chat_id"] for c in fake_zalo.calls_to("sendMessage") if c.ok)
        assert set(sent) == set(users)
        assert set(sent.values()) == {1}  # none lost, none twice


async def test_full_queue_answers_503_and_retries_are_not_lost(tmp_path: Path, fake_zalo: FakeZalo) -> None:
    fake_zalo.delay("sendMessage", 0.3, times=3)
    async with serving(tmp_path, zalo=fake_zalo, max_pending=1) as served:
        attempts: Counter = Counter()
        users = [f"slow{i}" for i in range(6)]
        await asyncio.gather(
            *(post_until_accepted(served.http, zalo_event(u, "mật ong", f"id-{u}"), attempts) for u in users)
        )
        assert attempts[503] > 0 and attempts[200] == 6
        await fake_zalo.wait_for(lambda: len(fake_zalo.calls_to("sendMessage")) >= 6, timeout=10)
        sent = Counter(c.params["chat_id"] for c in fake_zalo.calls_to("sendMessage") if c.ok)
        assert sent == Counter({u: 1 for u in users})


async def test_send_failure_does_not_stop_the_workers(tmp_path: Path, fake_zalo: FakeZalo) -> None:
    fake_zalo.fail("sendMessage", 500, http_status=500)
    async with serving(tmp_path, zalo=fake_zalo) as served:
        await served.http.post(PATH, json=zalo_event("w5", "xin chào", "a"), headers=ZALO_HEADER)
        await fake_zalo.wait_for(lambda: any(not c.ok for c in fake_zalo.calls_to("sendMessage")))
        await served.http.post(PATH, json=zalo_event("w5", "mật ong", "b"), headers=ZALO_HEADER)
        # The refused answer is tried again once Zalo answers getMe, so both get answered.
        greeting, answer = await fake_zalo.wait_for_messages("w5", 2)
        assert greeting.startswith("Xin chào") and "mật ong" in answer
        await asyncio.sleep(0.2)
        assert len(fake_zalo.messages_to("w5")) == 2


async def test_healthz(tmp_path: Path, fake_zalo: FakeZalo, monkeypatch: pytest.MonkeyPatch) -> None:
    async with serving(tmp_path, zalo=fake_zalo) as served:
        response = await served.http.get("/healthz")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok" and body["database"]["ok"] is True
        assert isinstance(body["catalogue_version"], int)
        assert body["platforms"] == {"telegram": "disabled", "zalo": "ok"}
        assert body["reasons"] == {"telegram": "TELEGRAM_BOT_TOKEN not set"}
        assert body["database"]["writable"] is True
        assert body["queues"]["zalo"]["pending"] == 0 and body["queues"]["zalo"]["capacity"] > 0

        async def broken() -> int:
            raise OSError("disk I/O error")

        monkeypatch.setattr(served.services.repo, "schema_version", broken)
        response = await served.http.get("/healthz")
        assert response.status_code == 503
        assert response.json()["database"] == {"ok": False, "error": "cannot read: OSError: disk I/O error"}


async def test_disabled_telegram_route_is_404(tmp_path: Path, fake_zalo: FakeZalo) -> None:
    async with serving(tmp_path, zalo=fake_zalo) as served:
        response = await served.http.post("/telegram/webhook", json={"update_id": 1}, headers=ZALO_HEADER)
        assert response.status_code == 404
        assert (await served.http.get(PATH)).status_code == 405
