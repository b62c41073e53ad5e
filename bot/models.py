"""Dataclasses the repository returns. Unknown facts stay None, never a guess."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Product:
    id: int
    name: str
    qualifier: str
    star: int | None
    producer: str
    producer_type: str
    area: str
    former_province: str
    category: str
    year: int | None
    decision: str
    decision_date: date | None
    english_name: str
    aliases: tuple[str, ...]
    source_url: str
    name_zh: str = ""  # our translated glosses of the name, not official names
    name_ko: str = ""

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.qualifier})" if self.qualifier else self.name

    def gloss(self, lang: str) -> str:
        """Our translation of the name for a reader of `lang` ("" for Vietnamese)."""
        return {"en": self.english_name, "zh": self.name_zh, "ko": self.name_ko}.get(lang, "")


@dataclass(frozen=True)
class Locality:
    name: str
    kind: str
    district: str
    former_province: str
    aliases: tuple[str, ...]
    lat: float | None
    lon: float | None
    coord_source: str
    new_units: tuple[str, ...]


@dataclass(frozen=True)
class Place:
    id: int
    name: str
    address: str
    commune_or_ward: str
    area: str
    former_province: str
    kind: str
    opening_hours: str
    lat: float | None
    lon: float | None
    products_hint: str
    source_url: str
    notes: str
    opening_hours_en: str = ""
    products_hint_en: str = ""
    phone: str = ""
    map_url: str = ""  # a map link we could not read coordinates from (a short link)

    def hours(self, lang: str) -> str:
        """Opening hours in Vietnamese for vi, else English (zh/ko readers get English)."""
        return _pick(lang, self.opening_hours, self.opening_hours_en)

    def sells(self, lang: str) -> str:
        return _pick(lang, self.products_hint, self.products_hint_en)


@dataclass(frozen=True)
class Event:
    id: int
    name: str
    start_date: date | None
    end_date: date | None
    place: str
    area: str
    organiser: str
    source_url: str
    name_en: str = ""

    def title(self, lang: str) -> str:
        return _pick(lang, self.name, self.name_en)


def _pick(lang: str, vietnamese: str, english: str) -> str:
    """The text in the reader's language; the other one only when that is all we have."""
    if lang == "vi":
        return vietnamese or english
    return english or vietnamese


@dataclass(frozen=True)
class ShopLink:
    product_id: int
    platform: str
    url: str
    source_url: str


@dataclass(frozen=True)
class Certificate:
    """An earlier certificate of a product (the current one is on the product itself)."""

    star: int | None
    decision: str
    decision_date: date | None
    year: int | None


@dataclass(frozen=True)
class Catalogue:
    """Everything the in-memory search and the handlers read, loaded in one go."""

    version: int
    products: tuple[Product, ...]
    localities: tuple[Locality, ...]
    places: tuple[Place, ...]
    events: tuple[Event, ...]
    shop_links: tuple[ShopLink, ...]
    # Earlier certificates by product id, oldest first (migration 010).
    certificates: dict[int, tuple[Certificate, ...]] = field(default_factory=dict)
