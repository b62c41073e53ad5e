"""Relevance measurement over a query suite (tests/search/relevance_queries.csv).

Used by the relevance test and by the benchmarks, so speed never buys a worse answer.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import REPO_ROOT

SUITE = REPO_ROOT / "tests" / "search" / "relevance_queries.csv"


@dataclass
class Report:
    total: int = 0
    top1: int = 0
    top3: int = 0
    unrelated: int = 0
    unrelated_empty: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    misses: list[str] = field(default_factory=list)

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.total if self.total else 0.0

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.total if self.total else 0.0

    @property
    def unrelated_empty_rate(self) -> float:
        return self.unrelated_empty / self.unrelated if self.unrelated else 1.0

    def summary(self) -> str:
        lines = [
            f"relevance: {self.total} queries with an answer, top-1 {self.top1_rate:.3f}, "
            f"top-3 {self.top3_rate:.3f}; unrelated {self.unrelated} queries, "
            f"{self.unrelated_empty_rate:.3f} empty"
        ]
        for kind, (n, t1, t3) in sorted(self.by_kind.items()):
            lines.append(f"  {kind:<11} {n:>3} queries  top-1 {t1 / n:.2f}  top-3 {t3 / n:.2f}")
        return "\n".join(lines)


def load_suite(path: Path = SUITE) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def evaluate(search: Callable[[str], list[str]], rows: list[dict[str, str]]) -> Report:
    """`search(query)` returns the source names (display names) of the answers, best first."""
    report = Report()
    for row in rows:
        names = search(row["query"])
        if row["kind"] == "unrelated":
            report.unrelated += 1
            report.unrelated_empty += not names
            if names:
                report.misses.append(f"UNRELATED {row['query']!r} -> {names[:2]}")
            continue
        expected = {e.strip() for e in row["expected"].split("|") if e.strip()}
        hit1 = bool(names[:1]) and names[0] in expected
        hit3 = any(n in expected for n in names[:3])
        report.total += 1
        report.top1 += hit1
        report.top3 += hit3
        stats = report.by_kind[row["kind"]]
        stats[0] += 1
        stats[1] += hit1
        stats[2] += hit3
        if not hit1:
            report.misses.append(f"{row['kind']:<10} {row['query']!r} -> {names[:3]} (want {sorted(expected)[:2]})")
    return report
