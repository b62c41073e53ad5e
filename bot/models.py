"""Dataclasses the repository returns. Unknown facts stay None, never a guess."""

from __future__ import annotations

from dataclasses import dataclass
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

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.qualifier})" if self.qualifier else self.name


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


@dataclass(frozen=True)
class ShopLink:
    product_id: int
    platform: str
    url: str
    source_url: str


@dataclass(frozen=True)
class Catalogue:
    """Everything the in-memory search and the handlers read, loaded in one go."""

    version: int
    products: tuple[Product, ...]
    localities: tuple[Locality, ...]
    places: tuple[Place, ...]
    events: tuple[Event, ...]
    shop_links: tuple[ShopLink, ...]
