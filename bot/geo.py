"""Places on a map. No place has its own coordinate in our sources yet: a place without one
takes its locality's centre and is marked approximate. Nothing here invents a coordinate."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from urllib.parse import quote_plus

from bot.models import Locality, Place
from bot.text import fold

_BRACKETS_RE = re.compile(r"\([^)]*\)")

EARTH_RADIUS_KM = 6371.0088


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class Position:
    lat: float
    lon: float
    approximate: bool  # True: the centre of `locality`, not the place itself
    locality: str


class Gazetteer:
    def __init__(self, localities: list[Locality] | tuple[Locality, ...]) -> None:
        self.by_name = {loc.name: loc for loc in localities}

    def centre(self, name: str) -> Locality | None:
        loc = self.by_name.get(name)
        if loc and loc.lat is not None and loc.lon is not None:
            return loc
        # A district without its own centre may have a seat town that has one, and vice versa.
        if loc:
            for other in self.by_name.values():
                if other.district == loc.district and other.lat is not None and other.kind in ("seat_town",):
                    return other
        return None

    def position(self, place: Place) -> Position | None:
        if place.lat is not None and place.lon is not None:
            return Position(place.lat, place.lon, False, place.area)
        centre = self.centre(place.area) if place.area else None
        if centre is None:
            return None
        return Position(centre.lat, centre.lon, True, centre.name)  # type: ignore[arg-type]


def map_url(place: Place, position: Position | None) -> str:
    """A precise pin when we have the place's own coordinate, else the map link staff gave,
    else a map search by address."""
    if position is not None and not position.approximate:
        return f"https://www.google.com/maps/search/?api=1&query={position.lat},{position.lon}"
    if place.map_url:  # staff gave a map link we could not read coordinates from: it is theirs
        return place.map_url
    words = place.address if place.address and "không nêu" not in place.address else place.name
    # A short link for a chat: no notes in brackets, no "- source says…" tail, no marks (a map
    # search reads "xa Bao Ha" as well as "Xã Bảo Hà", and the link is a third as long).
    words = _BRACKETS_RE.sub(" ", words).split(" - ")[0]
    return f"https://www.google.com/maps/search/?api=1&query={quote_plus(fold(words))}"
