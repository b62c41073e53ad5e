"""The sender process killed with SIGKILL halfway, then started again."""

import signal
import sqlite3

from bot.outbox_runtime import sender_concurrency
from tests.outbox.conftest import add_subscribers, delivered, start_sender, wait_until

RATE = 400
IN_FLIGHT = sender_concurrency(RATE)  # the most sends one platform's sender has in flight


def sent_count(db) -> int:
    with sqlite3.connect(db, timeout=10) as conn:
        return conn.execute("SELECT count(*) FROM deliveries WHERE status = 'sent'").fetchone()[0]


async def test_sigkill_halfway_then_restart_completes_without_loss(services, fake_telegram, fake_zalo, tmp_path):
    db = services.config.database_path
    tg, za = add_subscribers(db, 1500, 1500)
    blocked = set(tg[::25])
    for chat in blocked:
        fake_telegram.block_user(chat)
    draft = await services.repo.create_draft("cli", "staff", "", "Hội chợ", "", None)
    assert await services.repo.confirm_broadcast(draft) == 3000
    config = tmp_path / "c.toml"
    config.write_text(
        f'[telegram]\nbase_url = "{fake_telegram.base_url}"\n[zalo]\nbase_url = "{fake_zalo.base_url}"\n'
        f"[broadcast]\ntelegram_rate = {RATE}\nzalo_rate = {RATE}\n"
    )

    first = start_sender(config, db, fake_zalo.token)
    try:
        assert wait_until(lambda: sent_count(db) >= 1200, 60), first.stderr.read1().decode()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    at_kill = sent_count(db)
    assert at_kill < 2940, "the sender finished before it was killed: the test proves nothing"

    second = start_sender(config, db, fake_zalo.token)
    try:
        done = wait_until(lambda: sent_count(db) == 3000 - len(blocked), 60)
        assert done, second.stderr.read1().decode()
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)
    assert second.returncode == 0, second.stderr.read().decode()

    copies = {**delivered(fake_telegram, tg), **delivered(fake_zalo, za)}
    missed = [c for c, n in copies.items() if n == 0 and c not in blocked]
    duplicates = [c for c, n in copies.items() if n > 1]
    assert not missed
    assert len(duplicates) <= 2 * IN_FLIGHT, duplicates  # two platforms
    counts = await services.repo.delivery_counts(draft)
    assert counts["pending"] == 0 and counts["blocked"] == len(blocked)
