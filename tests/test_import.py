"""`ocop-bot import`: all or nothing, every bad row named, changes reach a running bot."""

import hashlib
import sqlite3

from tests.conftest import REPO, make_config, run_cli, seeded_db

DATA = REPO / "tests" / "data"


def table_digest(db) -> str:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT * FROM products ORDER BY id").fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_bad_rows_are_named_and_nothing_is_written(tmp_path):
    db = tmp_path / "ocop.sqlite3"
    assert run_cli("search", "mật ong", db=db).returncode == 0  # creates and seeds
    before = table_digest(db)
    result = run_cli("import", str(DATA / "bad_products.csv"), db=db)
    assert result.returncode == 3
    err = result.stderr
    assert ":3: missing name" in err
    assert ":4: star '6' outside 3-5" in err
    assert ":5: star '2' outside 3-5" in err
    assert ":6: bad date in decision_date: '31/02/2025'" in err
    assert ":7: duplicate of line 2" in err
    assert ":8: unknown category 'Máy móc'" in err
    assert "6 bad row(s)" in err and "nothing was imported" in err
    assert "Traceback" not in err
    assert table_digest(db) == before


def test_coordinates_outside_lao_cai_are_refused(tmp_path):
    db = tmp_path / "ocop.sqlite3"
    result = run_cli("import", str(DATA / "bad_places.csv"), db=db)
    assert result.returncode == 3
    assert ":2: coordinates 21.03, 105.85 outside Lào Cai" in result.stderr
    assert ":3: bad coordinates 'abc', '103.8'" in result.stderr


def test_dry_run_writes_nothing(tmp_path):
    db = tmp_path / "ocop.sqlite3"
    run_cli("search", "x", db=db)
    before = table_digest(db)
    result = run_cli("import", "--dry-run", str(DATA / "good_products.csv"), db=db)
    assert result.returncode == 0 and "1 to add, 0 to update, 1 unchanged" in result.stdout
    assert "Dry run: nothing written." in result.stdout
    assert table_digest(db) == before


def test_missing_or_unreadable_file(tmp_path):
    db = tmp_path / "ocop.sqlite3"
    missing = run_cli("import", str(tmp_path / "nope.csv"), db=db)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    binary = tmp_path / "x.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage\x00")
    result = run_cli("import", str(binary), db=db)
    assert result.returncode in (2, 3) and "Traceback" not in result.stderr


async def test_good_import_reaches_a_running_bot_without_restart(tmp_path):
    from bot.replies import Request
    from bot.services import build_services
    from handlers.router import Router

    config = make_config(tmp_path)
    seeded_db(config.database_path)
    services = await build_services(config)
    services.catalogue._check_interval = 0  # check the version on every request in this test
    try:
        router = Router(services)
        (before,) = await router.handle(Request("console", "u", "u", text="mật ong rừng Y Tý thử nghiệm"))
        assert before.kind in ("not_found", "did_you_mean") and "Mật ong rừng Y Tý" not in before.text
        result = run_cli("import", str(DATA / "good_products.csv"), db=tmp_path / "ocop.sqlite3")
        assert result.returncode == 0, result.stderr
        assert "1 added, 0 updated" in result.stdout
        # The next message notices the new version; the index is rebuilt in the background,
        # and messages meanwhile answer from the current one.
        await router.handle(Request("console", "u", "u", text="mật ong rừng Y Tý thử nghiệm"))
        await services.catalogue.settled()
        (after,) = await router.handle(Request("console", "u", "u", text="mật ong rừng Y Tý thử nghiệm"))
        assert "Mật ong rừng Y Tý" in after.text and "4 sao" in after.text
        assert "123/QĐ-TEST" in after.text and "15/03/2028" in after.text  # 36 months from the decision
        counts = await services.repo.counts()
        assert counts["products"] == 165
    finally:
        await services.close()


def test_existing_database_is_migrated_not_clobbered(tmp_path):
    db = tmp_path / "ocop.sqlite3"
    run_cli("import", str(DATA / "good_products.csv"), db=db)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 1")  # as if created by an older release
        for table in ("broadcasts", "deliveries", "pending_imports", "sender_leases"):
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute("DROP TABLE search_log")
        conn.execute("DROP TABLE processed_updates")
        conn.execute("DROP TABLE saved_queries")
        conn.execute("DROP TABLE choice_sessions")
        conn.execute("DROP TABLE subscribers")
        conn.execute("DROP TABLE users")
        for table, column in (("products", "name_zh"), ("products", "name_ko"), ("places", "opening_hours_en"),
                              ("places", "products_hint_en"), ("events", "name_en")):  # fmt: skip
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")  # added by 004
    result = run_cli("search", "--json", "Mật ong rừng Y Tý", db=db)
    assert result.returncode == 0, result.stderr
    assert "Mật ong rừng Y Tý" in result.stdout  # the imported row survived the migration
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 2
        assert conn.execute("SELECT count(*) FROM products").fetchone()[0] == 165
