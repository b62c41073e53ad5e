"""How long an OCOP certificate holds: 36 months from the decision date."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.models import Product

VALIDITY_MONTHS = 36


class Validity(Enum):
    VALID = "valid"  # the decision date is known and 36 months have not passed
    EXPIRED = "expired"  # the decision date is known and 36 months have passed
    VALID_BY_YEAR = "valid_by_year"  # only the year: even a January decision still runs
    EXPIRED_BY_YEAR = "expired_by_year"  # only the year: even a December decision has run out
    UNCERTAIN_BY_YEAR = "uncertain_by_year"  # only the year, and expiry falls in this year
    UNKNOWN = "unknown"  # no date on record


@dataclass(frozen=True)
class CertificateStatus:
    validity: Validity
    until: date | None = None  # exact end, or the earliest/latest possible end by year
    year: int | None = None


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError(day)


def certificate_status(decision_date: date | None, year: int | None, today: date) -> CertificateStatus:
    if decision_date is not None:
        until = add_months(decision_date, VALIDITY_MONTHS)
        return CertificateStatus(Validity.VALID if today < until else Validity.EXPIRED, until, decision_date.year)
    if year is not None:
        earliest_end = date(year + 3, 1, 1)
        latest_end = date(year + 3, 12, 31)
        if today < earliest_end:
            return CertificateStatus(Validity.VALID_BY_YEAR, earliest_end, year)
        if today > latest_end:
            return CertificateStatus(Validity.EXPIRED_BY_YEAR, latest_end, year)
        return CertificateStatus(Validity.UNCERTAIN_BY_YEAR, latest_end, year)
    return CertificateStatus(Validity.UNKNOWN)


class CertificateBook:
    """Every product's certificate, grouped by what decides its end (the decision date, or the
    year alone), so that a question over the whole catalogue ("which run out soon") costs one
    status per distinct date, not one per product: built once per catalogue snapshot, off the
    event loop; the lists for a day are kept until the day changes."""

    def __init__(self, products: Iterable[Product]) -> None:
        groups: dict[tuple[date | None, int | None], list[Product]] = defaultdict(list)
        undated = []
        for product in products:
            if product.decision_date is None and product.year is None:
                undated.append(product)
            else:
                key = (product.decision_date, None if product.decision_date else product.year)
                groups[key].append(product)
        self._groups = [(key, sorted(found, key=_by_id)) for key, found in groups.items()]
        self.undated: tuple[Product, ...] = tuple(undated)
        self._day: tuple[date, tuple[list, list, list]] | None = None

    def running_out(self, today: date, soon_days: int) -> tuple[list[Product], list[Product], list[Product]]:
        """(ending within `soon_days` or this year, expired, still running): soonest end first,
        then latest first, then longest first (ties by id, the same way round)."""
        if self._day is not None and self._day[0] == today:
            return self._day[1]
        soon: dict[date, list[list[Product]]] = defaultdict(list)
        gone: dict[date, list[list[Product]]] = defaultdict(list)
        running: dict[date, list[list[Product]]] = defaultdict(list)
        for (decision_date, year), found in self._groups:
            state = certificate_status(decision_date, year, today)
            if state.until is None:
                continue
            if state.validity in (Validity.EXPIRED, Validity.EXPIRED_BY_YEAR):
                gone[state.until].append(found)
                continue
            running[state.until].append(found)
            if state.validity is Validity.UNCERTAIN_BY_YEAR or (
                state.validity is Validity.VALID and (state.until - today).days <= soon_days
            ):
                soon[state.until].append(found)
        lists = (_in_order(soon), _in_order(gone)[::-1], _in_order(running)[::-1])
        self._day = (today, lists)
        return lists

    def ending_or_granted(self, which: str, year: int, today: date) -> list[Product]:
        """Certificates that end in `year` (`which` "ends_in") or were granted in it
        ("certified_in"), soonest end first."""
        rows: dict[date, list[list[Product]]] = defaultdict(list)
        for (decision_date, only_year), found in self._groups:
            granted = decision_date.year if decision_date else only_year
            state = certificate_status(decision_date, only_year, today)
            ends = state.until.year if decision_date and state.until else granted + 3
            if (ends if which == "ends_in" else granted) == year:
                rows[state.until or date(year, 12, 31)].append(found)
        return _in_order(rows)

    def latest_granted(self, today: date) -> int | None:
        """The last year up to today in which any certificate of ours was granted."""
        years = [d.year if d else y for (d, y), _ in self._groups]
        return max((y for y in years if y is not None and y <= today.year), default=None)


def _by_id(product: Product) -> int:
    return product.id


def _in_order(by_end: dict[date, list[list[Product]]]) -> list[Product]:
    """By end, then id: products ending the same day may come from two groups."""
    rows: list[Product] = []
    for end in sorted(by_end):
        groups = by_end[end]
        rows += groups[0] if len(groups) == 1 else sorted((p for found in groups for p in found), key=_by_id)
    return rows
