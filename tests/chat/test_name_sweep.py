"""Every product of data/products.csv, asked about in the ways people wrap a name: with and
without marks, in a story, in English, Chinese and Korean (the names our own data gives). None
may be called "not in our catalogue", and nearly all must be shown (a few names are shared by
several products, or name a place that sells them)."""

import csv
from pathlib import Path

from bot.replies import Request
from bot.text import fold
from handlers.router import Router

PRODUCTS = list(csv.DictReader((Path(__file__).resolve().parents[2] / "data/products.csv").open(encoding="utf-8")))


def messages(row: dict) -> list[str]:
    name = row["name"]
    out = [
        f"{name} mấy sao",
        f"{fold(name)} co ocop ko ad",
        f"Hôm qua mình mua {name.lower()} ở chợ, ad cho hỏi nó mấy sao",
        f"Bạn mình gửi {name} từ Lào Cai về, không biết còn hạn OCOP không",
        f"{name.lower()} 5 sao à ad",
        f"{fold(name)} con han chung nhan ko",
        f"chứng nhận ocop của {name.lower()} tới bao giờ",
        f"ai sản xuất {name.lower()} vậy",
    ]
    if row["english_name"]:
        english = row["english_name"].split(" (")[0]
        out += [f"we tried {english} at the homestay, loved it! where can we buy it?"]
    if row["name_zh"]:
        out += [f"{row['name_zh']}是几星的？"]
    if row["name_ko"]:
        out += [f"{row['name_ko']} 어디서 살 수 있어요?"]
    return out


def shown(replies) -> set[int]:
    ids = {pid for reply in replies for pid in reply.product_ids}
    return ids | {
        int(c.action[2:]) for reply in replies for c in reply.choices if c.action[:2] == "p:" and c.action[2:].isdigit()
    }


async def test_every_product_is_found_however_it_is_wrapped(services):
    router = Router(services)
    asked = missed = 0
    denied = []
    for row in PRODUCTS:
        for n, text in enumerate(messages(row)):
            asked += 1
            chat = f"sweep-{row['id']}-{n}"
            replies = await router.handle(Request("console", chat, chat, text=text))
            if any(reply.kind == "not_found" for reply in replies):
                denied.append(text)
            names_a_place = any(reply.kind == "place_info" for reply in replies)
            missed += int(row["id"]) not in shown(replies) and not names_a_place
    print(f"asked {asked}, missed {missed}, denied {len(denied)}")
    assert denied == [], f"{len(denied)} of {asked} called a product of ours absent: {denied[:5]}"
    assert missed <= 0.03 * asked, f"{missed} of {asked} did not show the product asked about"
