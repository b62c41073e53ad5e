"""How long an OCOP certificate holds: 36 months from the decision date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

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
