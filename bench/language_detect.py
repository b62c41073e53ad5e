"""Reply-language detection on the labelled chat messages: our rule against libraries.

    python bench/language_detect.py [--reps 20]

Candidates: (a) bot.understanding.language.detect_language, (b) py3langid restricted to
vi/en/zh/ko, (c) lingua built from those four languages, (d) a naive baseline (any Vietnamese
letter -> vi, else en). A library that is not installed is reported as such; they are not project
dependencies (`pip install py3langid lingua-language-detector` into the venv to measure them).

For each set (tests/understanding/language_labelled.csv, the set the rule was tuned on, and
language_holdout.csv, written after tuning and never tuned on) it prints one table: accuracy
overall and per kind, and the per-message time (mean of --reps calls) as median and p99 over
the messages, in µs. Then the messages our rule gets wrong.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SETS = {
    "labelled": REPO / "tests" / "understanding" / "language_labelled.csv",
    "holdout": REPO / "tests" / "understanding" / "language_holdout.csv",
}
KINDS = ("vi_accents", "vi_plain", "en", "en_vn_names", "mixed", "zh", "ko", "short")
LANGS = ("vi", "en", "zh", "ko")

Detector = Callable[[str], "str | None"]


def load(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def has_letters(text: str) -> bool:
    return any(c.isalpha() for c in text)


def ours() -> tuple[Detector | None, str]:
    started = time.perf_counter()
    from bot.understanding.language import _lexicon, detect_language

    _lexicon()
    return detect_language, f"import + word lists {1000 * (time.perf_counter() - started):.1f} ms"


def py3langid() -> tuple[Detector | None, str]:
    try:
        started = time.perf_counter()
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
    except ImportError:
        return None, "not installed"
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    identifier.set_languages(list(LANGS))
    loaded = 1000 * (time.perf_counter() - started)

    def detect(text: str) -> str | None:
        return identifier.classify(text)[0] if has_letters(text) else None

    return detect, f"import + model {loaded:.0f} ms"


def lingua() -> tuple[Detector | None, str]:
    try:
        started = time.perf_counter()
        from lingua import Language, LanguageDetectorBuilder
    except ImportError:
        return None, "not installed"
    languages = (Language.VIETNAMESE, Language.ENGLISH, Language.CHINESE, Language.KOREAN)
    detector = LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()
    codes = {lang: lang.iso_code_639_1.name.lower() for lang in languages}
    loaded = 1000 * (time.perf_counter() - started)

    def detect(text: str) -> str | None:
        found = detector.detect_language_of(text)
        return codes[found] if found is not None else None

    return detect, f"import + models {loaded:.0f} ms"


def naive() -> tuple[Detector | None, str]:
    from bot.text import fold

    def detect(text: str) -> str | None:
        if not has_letters(text):
            return None
        return "vi" if any(c.isalpha() and not c.isascii() and fold(c) != c for c in text) else "en"

    return detect, "any Vietnamese letter -> vi"


CANDIDATES = {
    "(a) our rule": ours,
    "(b) py3langid": py3langid,
    "(c) lingua": lingua,
    "(d) naive": naive,
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(detect: Detector, rows: list[dict[str, str]], reps: int) -> tuple[list[str | None], list[float]]:
    answers, times = [], []
    for row in rows:
        text = row["text"]
        answers.append(detect(text))  # also the warm-up
        started = time.perf_counter_ns()
        for _ in range(reps):
            detect(text)
        times.append((time.perf_counter_ns() - started) / reps / 1000)
    return answers, times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=20, help="calls per message for the timing")
    args = parser.parse_args()
    print("$ python " + shlex.join(sys.argv))
    print()

    detectors: dict[str, Detector | None] = {}
    for name, make in CANDIDATES.items():
        detectors[name], note = make()
        print(f"{name:15} {note}")

    wrong_ours: dict[str, list[tuple[dict[str, str], str | None]]] = {}
    for set_name, path in SETS.items():
        if not path.exists():
            print(f"\n{set_name}: {path.relative_to(REPO)} missing")
            continue
        rows = load(path)
        kinds = [k for k in KINDS if any(r["kind"] == k for r in rows)]
        counts = {k: sum(r["kind"] == k for r in rows) for k in kinds}
        print(f"\n{set_name}: {path.relative_to(REPO)}, {len(rows)} messages")
        header = f"{'candidate':15} {'overall':>7} " + " ".join(f"{k:>11}" for k in kinds)
        header += f" {'median µs':>9} {'p99 µs':>8}"
        print(header)
        print(f"{'(n)':15} {len(rows):>7} " + " ".join(f"{counts[k]:>11}" for k in kinds))
        for name, detect in detectors.items():
            if detect is None:
                print(f"{name:15} not installed")
                continue
            answers, times = measure(detect, rows, args.reps)
            right = [a == r["lang"] for a, r in zip(answers, rows, strict=True)]
            per_kind = {
                k: sum(ok for ok, r in zip(right, rows, strict=True) if r["kind"] == k) / counts[k] for k in kinds
            }
            line = f"{name:15} {sum(right) / len(rows):>7.3f} " + " ".join(f"{per_kind[k]:>11.3f}" for k in kinds)
            line += f" {statistics.median(times):>9.1f} {percentile(times, 0.99):>8.1f}"
            print(line)
            if name == "(a) our rule":
                wrong_ours[set_name] = [(r, a) for r, a, ok in zip(rows, answers, right, strict=True) if not ok]

    for set_name, wrong in wrong_ours.items():
        print(f"\nour rule, misclassified in {set_name}: {len(wrong)}")
        for row, answer in wrong:
            print(f"  {row['kind']:12} want {row['lang']} got {answer}: {row['text']}")


if __name__ == "__main__":
    main()
