"""The one definition of a catalogue row's identity, used by the importer, the repository and
the staff upload alike.

- A product is (name, producer): the same name from another producer is another product.
- A place is (name, address); an event is (name, start date).

Text is compared after NFC, case folding and whitespace normalisation, keeping diacritics
("Dầu xanh" is not "Đậu xanh"); only the tone's placement is free ("hoà" = "hòa"). Producers
are compared without the legal form that opens them ("HTX", "Công ty TNHH", the list is
data/import/legal_forms.txt) and without text in parentheses. The qualifier ("Lạp sườn (HTX
Gia Phú)") is display only and never part of identity.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.config import DATA_DIR
from bot.text import accent_key

LEGAL_FORMS_FILE = DATA_DIR / "import" / "legal_forms.txt"
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_PARENS_RE = re.compile(r"\([^()]*\)")


def text_key(text: str | None) -> str:
    """'  Chè  Shan TUYẾT ' -> 'chè shan tuyêt1': NFC, casefolded words, tone moved to the end."""
    if not text:
        return ""
    return " ".join(_word_key(w) for w in _WORD_RE.findall(unicodedata.normalize("NFC", text).casefold()))


_word_key = lru_cache(maxsize=65_536)(accent_key)  # words repeat across thousands of rows


@lru_cache(maxsize=1)
def _legal_forms() -> tuple[tuple[str, ...], ...]:
    forms = []
    for line in LEGAL_FORMS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            forms.append(tuple(text_key(line).split()))
    return tuple(sorted(set(forms), key=len, reverse=True))


@lru_cache(maxsize=16_384)
def producer_key(producer: str | None) -> str:
    """'HTX chế biến thực phẩm sạch Gia Phú (xã Gia Phú)' -> 'chê1 biên1 thưc5 phâm3 sach5 gia phu1'."""
    words = text_key(_PARENS_RE.sub(" ", producer or "")).split()
    stripped = True
    while stripped and words:
        stripped = False
        for form in _legal_forms():
            if len(form) < len(words) and tuple(words[: len(form)]) == form:
                words = words[len(form) :]
                stripped = True
                break
    return " ".join(words)


def same_producer(a: str, b: str) -> bool:
    """Two producer keys naming one producer: equal, or one is the end of the other with at
    least two words ("gia phu1" of "chê1 biên1 ... gia phu1": our short form of the official name)."""
    if a == b:
        return True
    short, long = sorted((a.split(), b.split()), key=len)
    return len(short) >= 2 and long[-len(short) :] == short


def product_key(name: str | None, producer: str | None) -> tuple[str, str]:
    return text_key(name), producer_key(producer)


def row_key(table: str, row: Mapping) -> tuple[str, str]:
    """The natural key of a record or stored row of `table`."""
    if table == "products":
        return product_key(row.get("name"), row.get("producer"))
    if table == "places":
        return text_key(row.get("name")), text_key(row.get("address"))
    return text_key(row.get("name")), str(row.get("start_date") or "")


AMBIGUOUS = -1


@dataclass
class Matcher:
    """Finds the stored row a record names. Exact key first; then, when the file or the
    catalogue lacks the second part (a producer, an address, a start date) or names the
    producer in its short form, the one stored row of that name. Several candidates:
    AMBIGUOUS (the row must say which)."""

    table: str
    by_key: dict[tuple[str, str], int]
    by_name: dict[str, list[tuple[str, int]]]

    @classmethod
    def of(cls, table: str, rows: Iterable[Mapping]) -> Matcher:
        by_key: dict[tuple[str, str], int] = {}
        by_name: dict[str, list[tuple[str, int]]] = {}
        for row in rows:
            key = row_key(table, row)
            by_key.setdefault(key, row["id"])
            by_name.setdefault(key[0], []).append((key[1], row["id"]))
        return cls(table, by_key, by_name)

    def match(self, record: Mapping) -> int | None:
        name, second = key = row_key(self.table, record)
        if key in self.by_key:
            return self.by_key[key]
        stored = self.by_name.get(name, [])
        if not stored:
            return None
        second_given = bool(second) and self._column() in record
        if not second_given:
            candidates = stored  # the file does not say: the one of that name, if only one
        elif self.table == "products":
            candidates = [(s, i) for s, i in stored if not s or same_producer(s, second)]
        else:
            candidates = [(s, i) for s, i in stored if not s]
        if len(candidates) == 1:
            return candidates[0][1]
        return AMBIGUOUS if len(candidates) > 1 and not second_given else None

    def _column(self) -> str:
        return {"products": "producer", "places": "address"}.get(self.table, "start_date")

    def add(self, record: Mapping, row_id: int) -> None:
        key = row_key(self.table, record)
        self.by_key.setdefault(key, row_id)
        self.by_name.setdefault(key[0], []).append((key[1], row_id))


# -- comparing a record with the stored row --------------------------------------------------------

CERTIFICATE_COLUMNS = ("star", "decision", "decision_date", "year")


def comparable(value: object) -> object:
    """Stored and imported values on one footing: '' and None are both "nothing"."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return value
    if isinstance(value, str):
        return " ".join(unicodedata.normalize("NFC", value).split())
    return value


def differences(columns: Sequence[str], stored: Mapping, record: Mapping) -> list[tuple[str, object, object]]:
    """(column, stored, new) for each column the record has and the stored row holds otherwise."""
    out = []
    for column in columns:
        if column in record and comparable(stored.get(column)) != comparable(record[column]):
            out.append((column, stored.get(column), record[column]))
    return out


def certificate_when(row: Mapping) -> str:
    """When a certificate was granted, comparable as text ('2024-10-12' or '2024'); '' unknown."""
    if row.get("decision_date"):
        return str(row["decision_date"])
    return str(row["year"]) if row.get("year") else ""


def recertification(stored: Mapping, record: Mapping) -> str | None:
    """'later' when the record carries a later certificate than the stored row, 'earlier' when
    an earlier one (a list loaded out of order), None when it is the same or cannot tell."""
    if not any(c in record for c in CERTIFICATE_COLUMNS):
        return None
    old, new = certificate_when(stored), certificate_when({**stored, **record})
    if not old or not new or old[:4] == new[:4] and (len(old) == 4 or len(new) == 4):
        return None
    if new > old:
        return "later"
    if new < old:
        return "earlier"
    return None


def as_written(table: str, old: Mapping, record: Mapping) -> tuple[dict, str | None]:
    """The record as it updates the stored row `old`, and whether it carries a 'later' or an
    'earlier' certificate (products). An earlier certificate leaves the stored one in place (it
    goes to the history); a producer written in our short form ("HTX Gia Phú") never replaces
    the longer official name it matched."""
    record = dict(record)
    when = recertification(old, record) if table == "products" else None
    if when == "earlier":
        record = {k: v for k, v in record.items() if k not in CERTIFICATE_COLUMNS}
    if table == "products" and record.get("producer"):
        new, stored = producer_key(record["producer"]), producer_key(old.get("producer"))
        if stored and new != stored and len(new.split()) < len(stored.split()):
            del record["producer"]
    return record, when
