"""Staff on Telegram, end to end: announce -> preview -> confirm -> every subscriber once,
progress edited in place, final report; refusals; a catalogue sheet upload."""

import argparse
import asyncio
import io

from openpyxl import Workbook

from bot.config import AdminsSection, BroadcastSection, Config, DatabaseSection, TelegramSection
from bot.runtime import Runtime, telegram_command
from tests.conftest import seeded_db
from tests.outbox.conftest import add_subscribers, delivered
from tests.telegram_bot.conftest import TODAY, TOKEN, USER, button_data

OUTSIDER = 777


async def start(fake, tmp_path):
    config = Config(
        database=DatabaseSection(path=str(tmp_path / "t.db")),
        telegram=TelegramSection(base_url=fake.base_url, base_file_url=fake.base_file_url),
        admins=AdminsSection(telegram=(USER,)),
        broadcast=BroadcastSection(telegram_rate=10),  # 40 sends take 4 s: progress shows
        base_dir=tmp_path,
    )
    seeded_db(config.database_path)
    # What `ocop-bot telegram` runs, in this process: the runtime around the real command.
    runtime = Runtime(config, env={"TELEGRAM_BOT_TOKEN": TOKEN}, today=lambda: TODAY)

    async def run() -> int:
        async with runtime:
            return await telegram_command(runtime, argparse.Namespace())

    task = asyncio.create_task(run())
    await fake.wait_for(lambda: fake.calls_for("deleteWebhook") or task.done(), 10)  # polling starts right after
    assert runtime.services is not None
    return runtime.services, runtime.stop, task


async def test_announce_confirm_delivers_once_with_progress_and_report(fake, tmp_path):
    services, stop, task = await start(fake, tmp_path)
    try:
        # In a thread: the running bot's own transactions need this event loop to finish.
        subscribers, _ = await asyncio.to_thread(add_subscribers, services.config.database_path, 40, 0)
        fake.push_text(USER, "/announce Hội chợ OCOP 20/12 || OCOP fair on 20 Dec")
        await fake.wait_for(lambda: any("Xem trước" in (c.text or "") for c in fake.messages_to(USER)), 10)
        preview = next(c for c in fake.messages_to(USER) if "Xem trước" in (c.text or ""))
        assert "40 trên Telegram" in preview.text
        confirm = next(d for d in button_data(preview) if d.startswith("ann:ok"))
        fake.push_callback(USER, confirm, message_id=preview.result["message_id"])
        await fake.wait_for(lambda: all(n == 1 for n in delivered(fake, subscribers).values()), 30)
        await fake.wait_for(lambda: any("đã gửi xong" in (c.text or "") for c in fake.messages_to(USER)), 30)
        texts = [c.text or "" for c in fake.messages_to(USER)]
        assert any("Đã xếp thông báo" in t and "40 người" in t for t in texts)
        assert any("📢 Thông báo #" in t and "/40" in t for t in texts)  # the progress message
        report = next(t for t in texts if "đã gửi xong" in t)
        assert "40 đã nhận" in report and "0 đã chặn bot" in report
        fake.push_callback(USER, confirm, message_id=preview.result["message_id"])  # pressed again
        await fake.wait_for(lambda: any("đã được xử lý" in (c.text or "") for c in fake.messages_to(USER)), 10)
        await asyncio.sleep(0.5)
        assert all(n == 1 for n in delivered(fake, subscribers).values())
        assert all(c.text == "Hội chợ OCOP 20/12" for c in fake.calls_for("sendMessage") if c.chat_id in subscribers)
    finally:
        stop.set()
        assert await task == 0


async def test_outsider_announce_is_refused_and_nothing_queued(fake, tmp_path):
    services, stop, task = await start(fake, tmp_path)
    try:
        await asyncio.to_thread(add_subscribers, services.config.database_path, 5, 0)
        fake.push_text(OUTSIDER, "/announce Mua ngay!")
        await fake.wait_for(lambda: fake.messages_to(OUTSIDER), 10)
        assert fake.messages_to(OUTSIDER)[0].text == "Lệnh này chỉ dành cho cán bộ OCOP."
        assert await services.repo.broadcasts(statuses=("draft", "queued", "done")) == []
    finally:
        stop.set()
        assert await task == 0


def sheet() -> bytes:
    book = Workbook()
    for row in (["Tên sản phẩm", "Hạng sao", "Huyện"], ["Chè thử nghiệm", 9, "Bắc Hà"], ["Mật ong thử", 3, "Sa Pa"]):
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_bad_xlsx_upload_names_rows_and_changes_nothing(fake, tmp_path):
    services, stop, task = await start(fake, tmp_path)
    try:
        before = await services.repo.counts()
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        fake.push_document(USER, "file-1", "danh_sach.xlsx", mime, content=sheet())
        await fake.wait_for(lambda: any("dòng lỗi" in (c.text or "") for c in fake.messages_to(USER)), 10)
        reply = next(c.text for c in fake.messages_to(USER) if "dòng lỗi" in (c.text or ""))
        assert "dòng 2: hạng sao '9' không thuộc 3-5" in reply
        assert await services.repo.counts() == before
        # Someone else's sheet is not even downloaded.
        downloads_before = len(fake.calls_for("getFile"))
        fake.push_document(OUTSIDER, "file-2", "x.csv", "text/csv", content=b"name\nA\n")
        await fake.wait_for(lambda: fake.messages_to(OUTSIDER), 10)
        assert "chỉ dành cho cán bộ" in fake.messages_to(OUTSIDER)[0].text
        assert len(fake.calls_for("getFile")) == downloads_before
    finally:
        stop.set()
        assert await task == 0
