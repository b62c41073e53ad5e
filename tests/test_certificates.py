"""The whole catalogue's certificates, grouped by date, give the same lists as one status per
product would: same members, same order."""

from __future__ import annotations

import random
from datetime import date, timedelta

from bot.certificates import CertificateBook, Validity, certificate_status
from bot.models import Product

TODAY = date(2026, 12, 1)
SOON = 183


def _product(pid: int, decision_date: date | None, year: int | None) -> Product:
    return Product(pid, f"P{pid}", "", 3, "", "", "", "", "", year, "", decision_date, "", (), "")


def _one_by_one(products: list[Product]) -> tuple[list, list, list]:
    soon, gone, running = [], [], []
    for p in products:
        state = certificate_status(p.decision_date, p.year, TODAY)
        if state.validity in (Validity.EXPIRED, Validity.EXPIRED_BY_YEAR):
            gone.append((state.until, p.id))
        elif state.until:
            running.append((state.until, p.id))
            if state.validity is Validity.UNCERTAIN_BY_YEAR or (
                state.validity is Validity.VALID and state.until - TODAY <= timedelta(days=SOON)
            ):
                soon.append((state.until, p.id))
    return (
        [pid for _, pid in sorted(soon)],
        [pid for _, pid in sorted(gone, reverse=True)],
        [pid for _, pid in sorted(running, reverse=True)],
    )


def test_grouped_lists_match_one_status_per_product() -> None:
    rng = random.Random(7)
    days = [date(2019, 3, 19), date(2023, 12, 28), date(2024, 11, 5), date(2022, 12, 31), date(2025, 6, 1)]
    products = []
    for pid in rng.sample(range(1, 2000), 600):  # ids out of order, so ties need sorting
        kind = rng.random()
        if kind < 0.5:
            products.append(_product(pid, rng.choice(days), None))
        elif kind < 0.9:  # a year only: 2022 ends by 31/12/2025, the same day as one exact date
            products.append(_product(pid, None, rng.choice([2019, 2021, 2022, 2023, 2024])))
        else:
            products.append(_product(pid, None, None))
    book = CertificateBook(products)
    lists = book.running_out(TODAY, SOON)
    assert [[p.id for p in found] for found in lists] == [list(ids) for ids in _one_by_one(products)]
    assert all(lists)  # each list has members, so the comparison above compares something
    assert {p.id for p in book.undated} == {p.id for p in products if p.decision_date is None and p.year is None}
    assert book.running_out(TODAY, SOON) is lists  # kept for the day


def test_ending_in_a_year_counts_year_only_certificates_by_their_last_possible_year() -> None:
    products = [_product(1, date(2023, 12, 28), None), _product(2, None, 2023), _product(3, date(2024, 1, 2), None)]
    book = CertificateBook(products)
    assert [p.id for p in book.ending_or_granted("ends_in", 2026, TODAY)] == [1, 2]
    assert [p.id for p in book.ending_or_granted("certified_in", 2024, TODAY)] == [3]
