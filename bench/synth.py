"""Synthetic OCOP catalogue, built from the vocabulary of the real one, for scale benchmarks.

    python bench/synth.py --size 20000 --seed 1 --out /tmp/synth20k.csv
    ocop-bot --db /tmp/s.db import /tmp/synth20k.csv

Every row is SYNTHETIC: invented names, producers and decisions, marked by a
`source_url` of `synthetic://seed/<seed>/<row>`. Never import it into a real database.

Where the words come from:
- product types (Vietnamese head words such as "Tinh dầu quế", their English words and
  generic aliases, their category) from the names, English names and aliases in
  data/products.csv: a name's head is its first word plus the lower-case words after it,
  what follows is the proper part ("Tinh dầu quế | Nậm Đét"); the English type is the
  English name minus the proper, place and producer words;
- places from data/localities.csv: the area is a district name there, the former province
  is that district's, the commune in a name is one of the district's communes (`new_units`);
- village and brand names from pairs of syllables that occur in the real proper names,
  producers and communes ("Nậm" + "Pằng");
- producer activity words from the real producers ("HTX chế biến thực phẩm sạch ...");
  the legal forms and the few family names are listed below.

The output is the column set of data/products.csv, so `ocop-bot import` accepts it. Names
are unique under the importer's identity (bot.catalogue_io.identity: name and producer, as its
Matcher compares them), also against the real catalogue that a fresh database is seeded with. The rows do not depend on
`--size`: the first 600 rows of a 20,000-row catalogue are the 600-row catalogue.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bot.catalogue_io.identity import Matcher, text_key  # noqa: E402
from bot.text import fold  # noqa: E402

DATA_DIR = REPO_ROOT / "data"
COLUMNS = (
    "id", "name", "qualifier", "star", "producer", "producer_type", "area", "former_province",
    "category", "year", "decision", "english_name", "aliases", "source_url",
)  # fmt: skip

# Star split of certified OCOP products nationally (about 76 % 3-star, 23 % 4-star, 1 % 5-star);
# a share of rows has no stated star, as in the real catalogue.
STAR_WEIGHTS = {"3": 76, "4": 23, "5": 1}
NO_STAR_SHARE = 0.10
YEAR_WEIGHTS = {2019: 6, 2020: 10, 2021: 16, 2022: 20, 2023: 22, 2024: 18, 2025: 8}
# producer_type -> share of rows; "unknown" rows have no producer, as many real ones.
PRODUCER_TYPE_WEIGHTS = {"cooperative": 44, "enterprise": 20, "household": 13, "cooperative_group": 3, "unknown": 20}
LEGAL_FORMS = {
    "cooperative": [("HTX", 8), ("Hợp tác xã", 2)],
    "cooperative_group": [("Tổ hợp tác", 1)],
    "enterprise": [
        ("Công ty TNHH", 5), ("Công ty TNHH Một thành viên", 2), ("Công ty Cổ phần", 3),
        ("Công ty TNHH Thương mại và Dịch vụ", 1),
    ],
    "household": [("Hộ kinh doanh", 5), ("Cơ sở sản xuất", 3), ("Cơ sở sản xuất kinh doanh", 1)],
}  # fmt: skip
# Common family names (with the ones in the real producers added below) and middle names.
FAMILY_NAMES = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hà", "Lò", "Giàng",
    "Sùng", "Vàng", "Thào", "Hầu", "Lù", "Tẩn", "Chảo", "Lý", "Phùng", "Lèo",
]  # fmt: skip
MIDDLE_NAMES = ["Thị", "Văn", "Kim", "Đức", "Minh", "Thị Thu", "Seo", "A"]
GIVEN_NAMES = [
    "Lan", "Hoa", "Mai", "Hương", "Hùng", "Dũng", "Tuấn", "Minh", "Sơn", "Hải", "Thắng", "Thành",
    "Tâm", "Phúc", "Páo", "Sử", "Chứ", "Mẩy", "Sính", "Pao", "Dín", "Vần", "Chiến", "Nga",
]  # fmt: skip
# Lower-case words put after a product type, per category; kept only if they occur in a real name.
MODIFIER_CANDIDATES = {
    "food": ["tươi", "sấy khô", "hữu cơ", "đặc sản"],
    "beverage": ["hữu cơ", "đặc sản"],
    "herbal": ["nguyên chất", "hữu cơ"],
}
ENGLISH_PLACE_WORDS = {"city", "town", "district", "village", "commune"}
ENGLISH_STOP_TAIL = {"of", "from", "in", "and", "the", "with", ","}
_PAREN = re.compile(r"\([^()]*\)")


@dataclass
class ProductType:
    head: str
    category: str
    weight: int = 0
    english: list[str] = field(default_factory=list)
    aliases: set[str] = field(default_factory=set)


@dataclass
class District:
    name: str
    former_province: str
    communes: list[str]


@dataclass
class Producer:
    name: str
    short: str  # what a qualifier would say: "HTX Nậm Pằng"
    kind: str
    district: District


@dataclass
class Vocab:
    types: list[ProductType]
    type_weights: list[int]
    districts: list[District]
    first_syllables: list[str]
    second_syllables: list[str]
    activities: dict[str, list[str]]
    given_names: list[str]
    family_names: list[str]
    modifiers: dict[str, list[str]]
    taken: list[dict[str, str]]  # the real catalogue's rows (their identities are taken)
    place_phrases: set[str]  # folded place names the search engine knows


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _split_name(name: str) -> tuple[str, str]:
    """'Tinh dầu quế Nậm Đét' -> ('Tinh dầu quế', 'Nậm Đét'): head words, then the proper part."""
    words = name.split()
    n = 1
    while n < len(words) and words[n][0].isalpha() and not words[n][0].isupper():
        n += 1
    head = words[:n]
    while len(head) > 1 and head[-1] in ("xã", "thôn"):  # "Miến đao xã Quy Mông"
        head.pop()
    return " ".join(head), " ".join(words[n:])


def _english_type(words: list[str]) -> str:
    """Plain English words lower-cased; Vietnamese ones ("Séng Cù rice") and codes kept."""
    return " ".join(w.lower() if w.isascii() and not w.isupper() else w for w in words)


def _capitalised_runs(text: str) -> list[list[str]]:
    runs: list[list[str]] = []
    current: list[str] = []
    for word in _PAREN.sub(" ", text).replace(",", " ").split():
        if word[0].isalpha() and word[0].isupper():
            current.append(word)
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _producer_activity(producer: str) -> tuple[str, str] | None:
    """'HTX chế biến thực phẩm sạch Gia Phú' -> ('HTX', 'chế biến thực phẩm sạch')."""
    text = " ".join(_PAREN.sub(" ", producer).split())
    for form in ("Hợp tác xã", "HTX", "Công ty TNHH Một thành viên", "Công ty TNHH", "Công ty Cổ phần"):
        if text.lower().startswith(form.lower() + " "):
            rest = text[len(form) + 1 :].split()
            while rest and rest[-1][0].isupper():  # the trailing brand
                rest.pop()
            while rest and rest[-1].lower() in ("xã", "thôn", "và"):
                rest.pop()
            kind = "enterprise" if form.startswith("Công ty") else "cooperative"
            return kind, " ".join(rest)
    return None


def load_vocab(data_dir: Path = DATA_DIR) -> Vocab:
    products = _read(data_dir / "products.csv")
    localities = _read(data_dir / "localities.csv")

    districts: dict[str, District] = {}
    for loc in localities:
        district = loc["district"] or loc["name"]
        if district == loc["name"]:
            districts[district] = District(district, loc["former_province"], [])
    # Every phrase the search engine reads as a place: a village name must never be one.
    place_phrases: set[str] = set()
    commune_words: list[str] = []
    for loc in localities:
        for spelling in [loc["name"], *loc["aliases"].split(";")]:
            place_phrases.add(fold(spelling.split("(")[0]))
        district = districts.get(loc["district"] or loc["name"])
        for unit in loc["new_units"].split(";"):
            unit = unit.split("(")[0].strip()
            if " " in unit:
                place_phrases.add(fold(unit.split(" ", 1)[1]))
            if not unit.startswith("xã "):
                continue
            commune = unit[3:].strip()
            commune_words.append(commune)
            if district and commune not in district.communes and fold(commune) != fold(district.name):
                district.communes.append(commune)
    # Words of place names, without the English ones in their aliases ("Cat Cat village").
    place_tokens = {tok for phrase in place_phrases for tok in phrase.split()} - ENGLISH_PLACE_WORDS

    types: dict[str, ProductType] = {}
    head_counts: Counter[str] = Counter()
    brand_runs: list[list[str]] = []
    type_words: set[str] = set()
    given: set[str] = set(GIVEN_NAMES)
    families: set[str] = set(FAMILY_NAMES)
    activities: dict[str, set[str]] = defaultdict(set)
    person = re.compile(r"(?:^|anh |chị |bà |ông |xuất |doanh )(\w+) (?:Thị|Văn|Kim) (?:\w+ )?(\w+)")
    for p in products:
        head, proper = _split_name(p["name"])
        english = _PAREN.sub(" ", p["english_name"]).replace(",", " ")
        own = set(fold(f"{proper} {p['qualifier']} {p['area']} {p['producer']}").split())
        keep = set(fold(head).split())
        en_words = [w for w in english.split() if fold(w) in keep or fold(w) not in own | place_tokens]
        while en_words and en_words[-1].lower() in ENGLISH_STOP_TAIL:
            en_words.pop()
        # A one-word "head" that the English name keeps capitalised is a brand ("Phong Hải Danh Trà").
        brand = any(w[0].isupper() and fold(w) == fold(head.split()[0]) for w in english.split())
        type_words.update(fold(f"{p['name']} {p['aliases']} {p['english_name']}").split())
        if p["producer_type"] == "household" or re.search(r"\b(anh|chị|bà|ông) ", p["producer"]):
            for match in person.finditer(_PAREN.sub(" ", p["producer"]) + " " + p["producer"]):
                families.add(match.group(1))
                given.add(match.group(2))
        found = _producer_activity(p["producer"])
        if found:
            activities[found[0]].add(found[1])
        brand_runs.extend(_capitalised_runs(proper))
        if not en_words or brand or not p["category"]:
            continue
        key = fold(head)
        head_counts[key] += 1
        entry = types.setdefault(key, ProductType(head[0].upper() + head[1:], p["category"]))
        english_type = _english_type(en_words)
        if english_type not in entry.english:
            entry.english.append(english_type)
        for alias in p["aliases"].split(";"):
            alias = alias.strip()
            if alias and not (set(fold(alias).split()) & (own | place_tokens)):
                entry.aliases.add(alias)

    # Syllables of proper names: the real villages, brands and communes, minus product words.
    firsts: set[str] = set()
    seconds: set[str] = set()
    for run in brand_runs + [c.split() for c in commune_words]:
        run = [w for w in run if w.isalpha()]
        if len(run) >= 2 and not any(fold(w) in type_words - place_tokens for w in run):
            firsts.add(run[0])
            seconds.update(run[1:])
    ordered = sorted(types.values(), key=lambda t: fold(t.head))
    real_names = " ".join(fold(p["name"]) for p in products)
    modifiers = {
        category: [m for m in words if f" {fold(m)} " in f" {real_names} "]
        for category, words in MODIFIER_CANDIDATES.items()
    }
    return Vocab(
        types=ordered,
        type_weights=[head_counts[fold(t.head)] + 1 for t in ordered],
        districts=sorted(districts.values(), key=lambda d: fold(d.name)),
        first_syllables=sorted(firsts),
        second_syllables=sorted(seconds),
        activities={k: sorted(a for a in v if a) for k, v in sorted(activities.items())},
        given_names=sorted(given),
        family_names=sorted(families),
        modifiers=modifiers,
        taken=products,
        place_phrases=place_phrases,
    )


class Generator:
    """Rows one at a time from a seeded random stream: the same seed gives the same rows."""

    def __init__(self, vocab: Vocab, seed: int) -> None:
        self.vocab = vocab
        self.seed = seed
        self.rng = random.Random(seed)
        self.producers: list[Producer] = []
        self.seen = Matcher.of("products", [{**p, "id": i} for i, p in enumerate(vocab.taken)])
        self.names: set[str] = {text_key(p["name"]) for p in vocab.taken}
        self.count = 0

    def _pick(self, weights: dict) -> str:
        keys = list(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]

    def village(self) -> str:
        v = self.vocab
        while True:
            first, second = self.rng.choice(v.first_syllables), self.rng.choice(v.second_syllables)
            name = f"{first} {second}"
            if fold(first) != fold(second) and fold(name) not in v.place_phrases:
                return name

    def person(self) -> str:
        v = self.vocab
        return f"{self.rng.choice(v.family_names)} {self.rng.choice(MIDDLE_NAMES)} {self.rng.choice(v.given_names)}"

    def new_producer(self, kind: str) -> Producer:
        rng, v = self.rng, self.vocab
        district = rng.choice(v.districts)
        form = rng.choices([f for f, _ in LEGAL_FORMS[kind]], weights=[w for _, w in LEGAL_FORMS[kind]])[0]
        if kind == "household":
            brand = self.person()
        elif rng.random() < 0.3 and district.communes:
            brand = rng.choice(district.communes)
        else:
            brand = self.village()
        activity = ""
        pool = v.activities.get("enterprise" if kind == "enterprise" else "cooperative", [])
        if kind in ("cooperative", "enterprise") and pool and rng.random() < 0.5:
            activity = rng.choice(pool)
            if set(fold(activity).split()) & set(fold(form).split()):  # no "Thương mại ... Thương mại"
                activity = ""
        name = " ".join(part for part in (form, activity, brand) if part)
        if kind == "enterprise" and rng.random() < 0.2:
            name += f" {district.name}"
        if rng.random() < 0.25 and district.communes:
            name += f" (xã {rng.choice(district.communes)})"
        short = f"HTX {brand}" if kind == "cooperative" else f"cơ sở {brand}" if kind == "household" else brand
        return Producer(name, short, kind, district)

    def producer(self) -> Producer | None:
        kind = self._pick(PRODUCER_TYPE_WEIGHTS)
        if kind == "unknown":
            return None
        same_kind = [p for p in self.producers[-200:] if p.kind == kind]
        # A producer often certifies more than one product: reuse a recent one half the time.
        if same_kind and self.rng.random() < 0.5:
            return self.rng.choice(same_kind)
        producer = self.new_producer(kind)
        self.producers.append(producer)
        return producer

    def row(self) -> dict[str, str]:
        rng, v = self.rng, self.vocab
        self.count += 1
        kind = rng.choices(v.types, weights=v.type_weights)[0]
        producer = self.producer()
        district = producer.district if producer else rng.choice(v.districts)
        roll = rng.random()
        commune = rng.choice(district.communes) if district.communes else self.village()
        if roll < 0.35:
            proper = commune
        elif roll < 0.75:
            proper = self.village()
        elif roll < 0.87:
            proper = district.name
        else:
            proper = f"{commune} {district.name}"
        head = kind.head
        modifiers = v.modifiers.get(kind.category)
        if modifiers and rng.random() < 0.15:
            modifier = rng.choice(modifiers)
            if not set(fold(modifier).split()) & set(fold(head).split()):
                head = f"{head} {modifier}"
        name = f"{head} {proper}"
        # The qualifier tells same-named products apart in lists (display only); identity is
        # (name, producer), so a product the Matcher would take for an earlier one gets another name.
        qualifier = (producer.short if producer else district.name) if text_key(name) in self.names else ""
        base, attempt = name, 1
        while self.seen.match({"name": name, "producer": producer.name if producer else ""}) is not None:
            attempt += 1
            name = f"{base} lô {attempt}"
        self.seen.add({"name": name, "producer": producer.name if producer else ""}, self.count)
        self.names.add(text_key(name))

        star = "" if rng.random() < NO_STAR_SHARE else self._pick(STAR_WEIGHTS)
        year = self._pick(YEAR_WEIGHTS)
        english_type = rng.choice(kind.english)
        english = f"{fold(proper).title() if rng.random() < 0.3 else proper} {english_type}"
        aliases = sorted(kind.aliases)
        chosen = rng.sample(aliases, min(len(aliases), rng.randint(2, 6))) if aliases else []
        if proper != district.name:
            chosen.append(f"{kind.head.lower()} {district.name}")  # as "mận Si Ma Cai"
        return {
            "id": str(self.count),
            "name": name,
            "qualifier": qualifier,
            "star": str(star),
            "producer": producer.name if producer else "",
            "producer_type": producer.kind if producer else "unknown",
            "area": district.name,
            "former_province": district.former_province,
            "category": kind.category,
            "year": str(year),
            "decision": f"{rng.randint(100, 5999)}/QĐ-UBND",
            "english_name": english,
            "aliases": ";".join(chosen),
            "source_url": f"synthetic://seed/{self.seed}/{self.count}",
        }


def generate(size: int, seed: int = 1, data_dir: Path = DATA_DIR) -> list[dict[str, str]]:
    generator = Generator(load_vocab(data_dir), seed)
    return [generator.row() for _ in range(size)]


def write_csv(rows: list[dict[str, str]], out) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a SYNTHETIC OCOP product catalogue as CSV.")
    parser.add_argument("--size", type=int, default=20000, help="number of product rows")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same rows)")
    parser.add_argument("--out", type=Path, help="CSV file to write (default: stdout)")
    args = parser.parse_args(argv)
    if args.size < 0:
        parser.error("--size must not be negative")
    rows = generate(args.size, args.seed)
    if args.out:
        with args.out.open("w", encoding="utf-8", newline="") as fh:
            write_csv(rows, fh)
        print(f"{args.out}: {len(rows)} synthetic product rows (seed {args.seed})", file=sys.stderr)
    else:
        write_csv(rows, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
