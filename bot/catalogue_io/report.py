"""The import report, in the reader's language: the same lines for `ocop-bot import` (English)
and a staff upload in chat (the staff member's language)."""

from __future__ import annotations

from collections.abc import Callable

from bot.importer import ImportPlan

Translate = Callable[..., str]


def _value(value: object) -> str:
    return "–" if value is None or value == "" else str(value)


def change_text(fields: list[tuple[str, object, object]]) -> str:
    """'star 3→4, year 2021→2024'."""
    return ", ".join(f"{column} {_value(old)}→{_value(new)}" for column, old, new in fields)


def line_ranges(lines: list[int]) -> str:
    """[1, 2, 3, 7, 9, 10] -> '1-3, 7, 9-10'."""
    out, start, prev = [], None, None
    for line in sorted(lines):
        if start is None:
            start = prev = line
        elif line == prev + 1:
            prev = line
        else:
            out.append(f"{start}-{prev}" if prev != start else str(start))
            start = prev = line
    if start is not None:
        out.append(f"{start}-{prev}" if prev != start else str(start))
    return ", ".join(out)


def error_lines(plan: ImportPlan, t: Translate, limit: int | None) -> list[str]:
    lines = [t("staff.upload_bad", n=len({e.line for e in plan.errors}))]
    shown = plan.errors if limit is None else plan.errors[:limit]
    lines += [t("staff.upload_row", line=e.line, reason=e.reason.text(t)) for e in shown]
    if len(plan.errors) > len(shown):
        lines.append(t("staff.upload_more", n=len(plan.errors) - len(shown)))
    return lines


def report_lines(plan: ImportPlan, t: Translate, *, limit: int | None = None, list_limit: int | None = 20) -> list[str]:
    """The report of a plan compared with the catalogue (or its bad rows). `limit` caps each
    list (chat messages are short; None: every change, skip and warning is shown, for the
    CLI); `list_limit` caps the added and the missing entries, which can be thousands."""
    if plan.errors:
        return error_lines(plan, t, limit)
    skipped_rows = len({line for line, reason, _ in plan.skipped if reason != "blank"})
    lines = [
        t("staff.import_summary", table=t(f"staff.table_{plan.table}"), added=len(plan.added), updated=len(plan.updated),
          unchanged=len(plan.unchanged), skipped=skipped_rows, missing=len(plan.missing))
    ]  # fmt: skip
    if plan.decision_from_title:
        lines.append(t("staff.import_title_decision", decision=plan.decision_from_title))
    lines += _capped(
        [
            t("staff.import_updated", line=c.line, name=c.name, changes="; ".join(
                filter(None, (change_text(c.fields), t(f"staff.import_{c.history}") if c.history else ""))
            ))
            for c in plan.updated
        ],
        t, limit,
    )  # fmt: skip
    few = list_limit if limit is None else min(limit, list_limit or limit)
    lines += _capped([t("staff.import_added", line=line, name=name) for line, name in plan.added], t, few)
    lines += _capped(_skipped(plan, t), t, limit)
    lines += _capped([t("staff.import_missing", name=name) for name in plan.missing], t, few)
    lines += _capped([t("staff.import_warning", line=w.line, reason=w.reason.text(t)) for w in plan.warnings], t, limit)
    if not plan.added and not plan.updated:
        lines.append(t("staff.import_nothing"))
    return lines


def _skipped(plan: ImportPlan, t: Translate) -> list[str]:
    """One line per reason and detail, with its rows as ranges; blank rows are not worth a line."""
    grouped: dict[tuple[str, str], list[int]] = {}
    for line, reason, detail in plan.skipped:
        if reason != "blank":
            grouped.setdefault((reason, detail if reason == "group" else ""), []).append(line)
    out = []
    for (reason, detail), lines in grouped.items():
        if reason != "group":
            detail = next((d for ln, r, d in plan.skipped if r == reason and d), "")
        out.append(t("staff.import_skipped", lines=line_ranges(lines), reason=t(f"staff.skip_{reason}", detail=detail)))
    return out


def _capped(lines: list[str], t: Translate, limit: int | None) -> list[str]:
    if limit is None or len(lines) <= limit:
        return lines
    return [*lines[:limit], t("staff.import_more", n=len(lines) - limit)]
