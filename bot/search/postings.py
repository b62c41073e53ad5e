"""Compact postings: for each folded token, its documents and the best field they hold it in.

One `array('q')` per token of `doc << 2 | field`, sorted by doc: 8 bytes an entry instead of
~70 for a dict, so 100,000 products fit in a few tens of MB. Reading is either a scan (a
term's whole list) or a binary-search probe for one document (checking a few candidates
against a very common word without walking its list).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterator

# Field codes in increasing weight, so the larger code is the better field.
PRODUCER, QUALIFIER, ALIAS, NAME = 0, 1, 2, 3
FIELD_WEIGHTS = (1.2, 1.5, 2.0, 3.0)


class Postings:
    def __init__(self) -> None:
        self._lists: dict[str, array] = {}

    def add_document(self, doc: int, fields: dict[str, int]) -> None:
        """Documents must come in increasing id order (the catalogue loads ORDER BY id)."""
        for token, code in fields.items():
            postings = self._lists.get(token)
            if postings is None:
                postings = self._lists[token] = array("q")
            postings.append(doc << 2 | code)

    def __contains__(self, token: str) -> bool:
        return token in self._lists

    def __iter__(self) -> Iterator[str]:
        return iter(self._lists)

    def __len__(self) -> int:
        return len(self._lists)

    def df(self, token: str) -> int:
        postings = self._lists.get(token)
        return len(postings) if postings is not None else 0

    def scan(self, token: str) -> Iterator[tuple[int, int]]:
        """(doc, field code) for every document holding the token."""
        for value in self._lists.get(token, ()):
            yield value >> 2, value & 3

    def field(self, token: str, doc: int) -> int | None:
        """The token's field code in `doc`, or None."""
        postings = self._lists.get(token)
        if postings is None:
            return None
        i = bisect_left(postings, doc << 2)
        if i < len(postings) and postings[i] >> 2 == doc:
            return postings[i] & 3
        return None
