"""The console, driven as a person would: `ocop-bot chat` with piped input, `ask`, `search`."""

import json
import sqlite3

from tests.conftest import run_cli


def digest(db):
    with sqlite3.connect(db) as conn:
        return [conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ("products", "places", "events")]


def test_chat_conversation_with_numbered_choices(tmp_path):
    db = tmp_path / "ocop.sqlite3"
    result = run_cli("chat", db=db, stdin="mật ong\n2\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Gõ số để chọn:" in out and "1. " in out
    second = next(line for line in out.splitlines() if line.startswith("2. "))
    name = second[3:].split(" (")[0]
    assert f"🏷 {name.split(' (')[0]}" in out or name.split(" ")[0] in out.split("🏷", 1)[1]


def test_chat_number_out_of_range_and_no_list(tmp_path):
    db = tmp_path / "ocop.sqlite3"
    result = run_cli("chat", db=db, stdin="7\nmật ong\n42\n")
    assert result.returncode == 0
    assert "Không có mục số 42" in result.stdout


def test_bad_input_gets_a_clear_answer_and_changes_nothing(tmp_path):
    db = tmp_path / "ocop.sqlite3"
    run_cli("search", "x", db=db)
    before = digest(db)
    lines = [
        "",
        "   ",
        "a" * 5000,
        "🍯🍯🍯🙂",
        "\x00\x01\x1b[31m\x7f",
        "'; DROP TABLE products;--",
        '" OR 1=1 --',
        "mật ong 蜂蜜 мёд عسل",
        "%%%%____****",
        "\u202emật ong",
    ]
    result = run_cli("chat", db=db, stdin="\n".join(lines) + "\n")
    assert result.returncode == 0
    assert "Traceback" not in result.stdout + result.stderr
    out = result.stdout
    assert out.count("Bạn chưa gõ gì") == 2
    assert "Tin nhắn dài quá" in out
    assert "Tôi không thấy chữ nào" in out  # emoji only, control characters, punctuation
    assert '"\'; DROP TABLE products;--" is not in our OCOP catalogue' in out or (
        'Không tìm thấy "\'; DROP TABLE products;--"' in out
    )
    answers = [block for block in out.split("\n\n") if block.strip()]
    assert len(answers) >= len(lines)
    assert digest(db) == before


def test_ask_answers_one_message(tmp_path):
    result = run_cli("ask", "bưởi Múc mấy sao?", db=tmp_path / "ocop.sqlite3")
    assert result.returncode == 0
    assert "Quả bưởi Múc: hạng 4 sao OCOP." in result.stdout


def test_search_json_contract(tmp_path):
    result = run_cli("search", "--json", "--limit", "3", "mat ong", db=tmp_path / "ocop.sqlite3")
    rows = json.loads(result.stdout)
    assert 1 <= len(rows) <= 3
    for row in rows:
        assert {"id", "name", "stars", "producer", "area", "category", "score"} <= row.keys()
        assert row["stars"] in (3, 4, 5, None)
    assert rows[0]["name"] == "Mật ong" and rows[0]["area"] == "Bảo Yên"
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)  # best first


def test_search_json_says_which_filter_no_product_met(tmp_path):
    db = tmp_path / "ocop.sqlite3"
    (plain,) = json.loads(run_cli("search", "--json", "--limit", "1", "mat ong", db=db).stdout)
    assert plain["filters_dropped"] == []
    rows = json.loads(run_cli("search", "--json", "--limit", "20", "4* Bắc Hà", db=db).stdout)
    assert rows and all(r["area"] == "Bắc Hà" and r["stars"] != 4 for r in rows)  # Bắc Hà has no 4-star
    assert all(r["filters_dropped"] == ["star"] for r in rows)


def test_search_json_is_empty_for_unrelated(tmp_path):
    result = run_cli("search", "--json", "iphone 15 pro max", db=tmp_path / "ocop.sqlite3")
    assert result.returncode == 0 and json.loads(result.stdout) == []


def test_unconfirmed_star_is_null_in_json(tmp_path):
    result = run_cli("search", "--json", "Chè hữu cơ Bản Liền", db=tmp_path / "ocop.sqlite3")
    (row, *_) = json.loads(result.stdout)
    assert row["name"] == "Chè hữu cơ Bản Liền" and row["stars"] is None


def test_missing_secret_is_one_line_and_exit_2(tmp_path):
    env = {"TELEGRAM_BOT_TOKEN": "", "ZALO_BOT_TOKEN": "", "OCOP_WEBHOOK_SECRET": ""}
    for command, variable in (("telegram", "TELEGRAM_BOT_TOKEN"), ("zalo", "ZALO_BOT_TOKEN")):
        result = run_cli(command, db=tmp_path / "ocop.sqlite3", env=env)
        assert result.returncode == 2, (command, result.stderr)
        assert variable in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_config_errors_name_the_key(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[web]\nport = "eighty"\n')
    result = run_cli("--config", str(config), "search", "x", db=tmp_path / "ocop.sqlite3")
    assert result.returncode == 2 and "[web] port" in result.stderr
    config.write_text("[telegram]\nbase_ur = 'x'\n")
    result = run_cli("--config", str(config), "search", "x", db=tmp_path / "ocop.sqlite3")
    assert result.returncode == 2 and "base_ur" in result.stderr


async def test_a_handler_bug_gets_a_polite_line_and_the_chat_goes_on(services, caplog):
    import io

    from bot.console import ConsoleChat

    out = io.StringIO()
    chat = ConsoleChat(services, out)

    async def broken(request):
        raise RuntimeError("bug")

    real = chat.router.handle
    chat.router.handle = broken
    assert await chat.say("mật ong") == []
    assert "Xin lỗi, đã có lỗi" in out.getvalue() and "Traceback" not in out.getvalue()
    assert "console: handler failed" in caplog.text
    chat.router.handle = real
    assert await chat.say("mật ong")  # the next message is answered
