"""Reply-language detection measured on labelled chat messages (bench/language_detect.py
prints the same figures next to py3langid, lingua and a naive baseline)."""

from __future__ import annotations

import csv
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from bot.understanding.language import detect_language

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
KINDS = {"vi_accents", "vi_plain", "en", "en_vn_names", "mixed", "zh", "ko", "short"}


def load(name: str) -> list[dict[str, str]]:
    with (HERE / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def accuracy(rows: list[dict[str, str]]) -> tuple[float, dict[str, float], list[str]]:
    right: dict[str, list[bool]] = defaultdict(list)
    misses = []
    for row in rows:
        got = detect_language(row["text"])
        right[row["kind"]].append(got == row["lang"])
        if got != row["lang"]:
            misses.append(f"{row['kind']}: want {row['lang']} got {got}: {row['text']}")
    overall = sum(sum(v) for v in right.values()) / len(rows)
    return overall, {kind: sum(v) / len(v) for kind, v in right.items()}, misses


@pytest.mark.parametrize("name", ["language_labelled.csv", "language_holdout.csv"])
def test_sets_are_well_formed(name):
    rows = load(name)
    assert rows and set(rows[0]) == {"text", "lang", "kind"}
    assert all(r["lang"] in {"vi", "en", "zh", "ko"} and r["kind"] in KINDS and r["text"].strip() for r in rows)
    texts = [r["text"] for r in rows]
    assert len(texts) == len(set(texts))


def test_labelled_set_size_and_kinds():
    rows = load("language_labelled.csv")
    assert len(rows) >= 320
    per_kind = defaultdict(int)
    for row in rows:
        per_kind[row["kind"]] += 1
    assert set(per_kind) == KINDS
    assert min(per_kind.values()) >= 35


def test_holdout_does_not_repeat_the_labelled_set():
    labelled = {r["text"] for r in load("language_labelled.csv")}
    holdout = load("language_holdout.csv")
    assert len(holdout) >= 60
    assert not labelled & {r["text"] for r in holdout}


def test_accuracy_on_labelled_set():
    overall, per_kind, misses = accuracy(load("language_labelled.csv"))
    assert overall >= 0.97, misses
    assert min(per_kind.values()) >= 0.93, (per_kind, misses)


def test_accuracy_on_holdout_set():
    overall, _, misses = accuracy(load("language_holdout.csv"))
    assert overall >= 0.95, misses


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("toi can mua mat ong cho me", "vi"),
        ("toi can mua che cho bo", "vi"),
        ("buffalo jerky", "en"),
        ("Bac Ha black sticky cake", "en"),
        ("蜂蜜在哪里买", "zh"),
        ("꿀 어디서 사요", "ko"),
        ("where can I buy rượu ngô Bắc Hà", "en"),
        ("where to buy mat ong", "en"),
        ("cho mình hỏi honey ở đâu", "vi"),
        ("ship to Hanoi được không", "vi"),
        ("cam on", "vi"),
        ("hello ad", "vi"),
        ("🍯🍯", None),
        ("", None),
        ("  ?! 123 ", None),
    ],
)
def test_must_pass(text, lang):
    assert detect_language(text) == lang


def test_fast_enough():
    texts = [r["text"] for r in load("language_labelled.csv")]
    detect_language(texts[0])  # word lists load on the first call
    times = []
    for text in texts:
        started = time.perf_counter()
        detect_language(text)
        times.append(time.perf_counter() - started)
    assert statistics.median(times) < 100e-6


def test_import_pulls_in_no_heavy_library():
    code = (
        "import sys; from bot.understanding.language import detect_language; detect_language('mat ong'); "
        "print(sorted(m for m in ('numpy', 'lingua', 'py3langid') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
