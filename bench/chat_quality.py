"""How well the bot answers real chat messages: the tuning suite and the holdout suite.

    python bench/chat_quality.py [--failures]

Prints, per suite and per kind of message, the share answered right (right kind of answer in
order, one of the right products in the top 3, in the person's language), how many unrelated
or out-of-catalogue messages were shown a product as the answer, and how many replies said
"not in our catalogue" about a product that is there.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Config, DatabaseSection  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.understanding.evaluate import evaluate, load_cases  # noqa: E402
from handlers.router import Router  # noqa: E402

SUITES = (
    ("tuning suite", ROOT / "tests/chat/chat_suite.csv"),
    ("tuning suite 2", ROOT / "tests/chat/chat_suite2.csv"),
    ("suite 3", ROOT / "tests/chat/chat_suite3.csv"),
    ("suite 5", ROOT / "tests/chat/chat_suite5.csv"),
    ("suite 6", ROOT / "tests/chat/chat_suite6.csv"),
    ("suite 7", ROOT / "tests/chat/chat_suite7.csv"),
    ("suite 8", ROOT / "tests/chat/chat_suite8.csv"),
    ("suite 9", ROOT / "tests/chat/chat_suite9.csv"),
    ("suite 10", ROOT / "tests/chat/chat_suite10.csv"),
    ("suite 11", ROOT / "tests/chat/chat_suite11.csv"),
    ("suite 12", ROOT / "tests/chat/chat_suite12.csv"),
    ("suite 13", ROOT / "tests/chat/chat_suite13.csv"),
    ("suite 14", ROOT / "tests/chat/chat_suite14.csv"),
    ("suite 15", ROOT / "tests/chat/chat_suite15.csv"),
    ("suite 16", ROOT / "tests/chat/chat_suite16.csv"),
    ("suite 17", ROOT / "tests/chat/chat_suite17.csv"),
    ("holdout suite", ROOT / "tests/chat/chat_holdout.csv"),
    ("holdout 2", ROOT / "tests/chat/chat_holdout2.csv"),
    ("holdout 3", ROOT / "tests/chat/chat_holdout3.csv"),
    ("holdout 4", ROOT / "tests/chat/chat_holdout4.csv"),
    ("holdout 5", ROOT / "tests/chat/chat_holdout5.csv"),
    ("holdout 6", ROOT / "tests/chat/chat_holdout6.csv"),
    ("holdout 7", ROOT / "tests/chat/chat_holdout7.csv"),
    ("holdout 8", ROOT / "tests/chat/chat_holdout8.csv"),
    ("holdout 9", ROOT / "tests/chat/chat_holdout9.csv"),
)
TODAY = date(2026, 11, 30)


async def main(show_failures: bool, only: str | None) -> None:
    print(
        "$ python bench/chat_quality.py"
        + (" --failures" if show_failures else "")
        + (f" --only {only}" if only else "")
    )
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(database=DatabaseSection(path=str(Path(tmp) / "bench.sqlite3")), base_dir=Path(tmp))
        services = await build_services(config, today=lambda: TODAY)
        try:
            for title, path in SUITES:
                if only and not title.startswith(only):
                    continue
                if not path.exists():
                    print(f"{title}: {path.name} not found")
                    continue
                report = await evaluate(Router(services), load_cases(path))
                print("\n".join(report.lines(title)))
                if show_failures and title.startswith("holdout"):
                    # A holdout stays one only while its failures go unread: totals only.
                    print("  (failures of a holdout suite are not printed)")
                elif show_failures:
                    print("\n".join(report.failures()) or "  no failures")
        finally:
            await services.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failures", action="store_true", help="list every message answered wrong")
    parser.add_argument("--only", help='suites whose title starts so: tuning, suite, holdout, "suite 13"')
    args = parser.parse_args()
    asyncio.run(main(args.failures, args.only))
