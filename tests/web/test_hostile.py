"""Hostile input is bounded: deeply nested or malformed bodies are 400, forged callback
data gets a polite answer, slow clients cannot starve the server (issue 10, items 15-16)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.web.conftest import TELEGRAM_HEADER, ZALO_HEADER, serving

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
