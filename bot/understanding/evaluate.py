"""Scoring the bot on suites of real chat messages (tests/chat/*.csv), the way a user judges it.

Each row names the kinds of reply expected in order ("stars>places>price"; "/" separates
alternatives), the acceptable product ids (one of them among the top 3 shown) and the reply
language. The router answers each message as a new chat would, through the same code as
every platform.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bot.replies import Reply, Request

ANSWER_KINDS = {"stars", "card", "results", "list", "validity", "places", "price", "commerce", "online"}


@dataclass
class Case:
    id: str
    kind: str
    message: str
    expect: list[set[str]]
    ids: set[int]
    lang: str

    @property
    def negative(self) -> bool:
        """Nothing in the catalogue answers it: no product may be shown as the answer."""
        return not self.ids and all(
            e <= {"not_found", "out_of_scope", "did_you_mean", "smalltalk"} for e in self.expect
        )


@dataclass
class Outcome:
    case: Case
    kinds: list[str]
    shown: list[int]
    languages: set[str]
    kinds_ok: bool
    product_ok: bool
    language_ok: bool
    false_not_found: bool
    product_for_negative: bool

    @property
    def ok(self) -> bool:
        return self.kinds_ok and self.product_ok and self.language_ok


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def share(self, outcomes: list[Outcome] | None = None) -> float:
        rows = self.outcomes if outcomes is None else outcomes
        return sum(o.ok for o in rows) / max(len(rows), 1)

    @property
    def negatives(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.case.negative]

    @property
    def false_not_found(self) -> int:
        return sum(o.false_not_found for o in self.outcomes)

    @property
    def products_for_negatives(self) -> int:
        return sum(o.product_for_negative for o in self.negatives)

    def by_kind(self) -> dict[str, list[Outcome]]:
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in self.outcomes:
            groups[outcome.case.kind].append(outcome)
        return dict(sorted(groups.items()))

    def lines(self, title: str) -> list[str]:
        out = [
            f"{title}: {len(self.outcomes)} messages, answered right {self.share():.3f}; "
            f"unrelated/out-of-catalogue shown a product {self.products_for_negatives} of {len(self.negatives)}; "
            f"false 'not in our catalogue' {self.false_not_found}"
        ]
        for kind, rows in self.by_kind().items():
            out.append(f"  {kind:<14}{len(rows):>4} messages  right {self.share(rows):.3f}")
        return out

    def failures(self) -> list[str]:
        out = []
        for o in self.outcomes:
            if not o.ok or o.false_not_found or o.product_for_negative:
                why = [w for w, bad in (("kind", not o.kinds_ok), ("product", not o.product_ok),
                                        ("lang", not o.language_ok)) if bad]  # fmt: skip
                want = ">".join("/".join(sorted(e)) for e in o.case.expect)
                out.append(
                    f"  {o.case.id} [{','.join(why)}] {o.case.message!r}: want {want} {sorted(o.case.ids)[:6]} "
                    f"{o.case.lang}; got {'>'.join(o.kinds)} {o.shown[:3]} {sorted(o.languages)}"
                )
        return out


def load_cases(path: Path) -> list[Case]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        Case(
            id=row["id"],
            kind=row["kind"],
            message=row["message"],
            expect=[set(part.split("/")) for part in row["expect"].split(">") if part],
            ids={int(x) for x in row["ids"].split()},
            lang=row["lang"].strip(),
        )
        for row in rows
    ]


def _shown(replies: list[Reply]) -> list[int]:
    """The products the first reply that presents any shows, best first."""
    for reply in replies:
        if reply.product_ids:
            return list(reply.product_ids)
        picked = [int(c.action[2:]) for c in reply.choices if c.action.startswith("p:") and c.action[2:].isdigit()]
        if picked:
            return picked
    return []


def _in_order(expected: list[set[str]], kinds: list[str]) -> bool:
    position = 0
    for wanted in expected:
        while position < len(kinds) and kinds[position] not in wanted:
            position += 1
        if position == len(kinds):
            return False
        position += 1
    return True


async def evaluate(router, cases: list[Case]) -> Report:
    report = Report()
    for n, case in enumerate(cases):
        chat = f"eval-{case.id}-{n}"
        replies = await router.handle(Request("console", chat, chat, text=case.message))
        kinds = [r.kind for r in replies]
        shown = _shown(replies)
        languages = {r.language for r in replies}
        expects_not_found = any("not_found" in e for e in case.expect)
        answers = [r for r in replies if r.kind in ANSWER_KINDS and r.product_ids]
        report.outcomes.append(
            Outcome(
                case=case,
                kinds=kinds,
                shown=shown,
                languages=languages,
                kinds_ok=_in_order(case.expect, kinds),
                product_ok=not case.ids or bool(case.ids & set(shown[:3])),
                language_ok=languages == {case.lang},
                false_not_found=bool(case.ids) and not expects_not_found and "not_found" in kinds,
                product_for_negative=case.negative and bool(answers),
            )
        )
    return report
