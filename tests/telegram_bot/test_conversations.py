"""Whole conversations as a Telegram user sees them: menus, search -> list -> card, pins, links."""

from __future__ import annotations

import aiosqlite

from bot.replies import Reply
from bot.telegram import render
from tests.fakes.telegram_api import BOT_USERNAME

from .conftest import USER, Bot, button_data, buttons


async def _honey_id(bot: Bot) -> tuple[int, str]:
    snapshot = await bot.services.catalogue.get()
    hit = snapshot.index.search("mật ong Bảo Yên", limit=1).hits[0]
    return hit.product.id, hit.product.name


async def test_start_greets_with_menu_and_command_menus_are_set(bot: Bot) -> None:
    bot.fake.push_text(USER, "/start")
    (greeting,) = await bot.said(USER)
    assert greeting.text.startswith("Xin chào")
    assert {"menu:search", "menu:stars", "menu:near", "menu:events", "menu:lang"} <= set(button_data(greeting))
    assert "parse_mode" not in greeting.params  # plain text: catalogue text needs no escaping
    menus = bot.fake.commands
    assert {"null|vi", "null|en", "null|"} <= set(menus)
    assert [c["command"] for c in menus["null|en"]][:3] == ["start", "help", "search"]
    assert menus["null|en"][-1]["description"] == "Delete everything stored about you"
    assert menus["null|vi"][-1]["description"] == "Xoá mọi dữ liệu về bạn"


async def test_search_choose_card(bot: Bot) -> None:
    bot.fake.push_text(USER, "mật ong")
    (listing,) = await bot.said(USER)
    assert "mật ong" in listing.text
    choices = [b for b in buttons(listing) if b.get("callback_data", "").startswith("p:")]
    assert len(choices) >= 2 and all(len(b["callback_data"].encode()) <= 64 for b in buttons(listing))
    first = choices[0]
    product_id = int(first["callback_data"][2:])
    product = next(p for p in (await bot.services.catalogue.get()).catalogue.products if p.id == product_id)

    bot.fake.push_callback(USER, first["callback_data"])
    (card,) = await bot.said(USER, since=1)
    assert product.name in card.text and "★" in card.text
    data = button_data(card)
    assert f"b:{product_id}" in data and f"m:{product_id}" in data
    share = [b for b in buttons(card) if "switch_inline_query" in b]
    assert share and share[0]["switch_inline_query"] == product.display_name
    await bot.settle()
    assert len(bot.fake.calls_for("answerCallbackQuery")) == 1
    assert bot.seen(USER) == 2  # one answer per update, nothing twice


async def test_paging_buttons_turn_the_page(bot: Bot) -> None:
    bot.fake.push_text(USER, "chè")
    (first,) = await bot.said(USER)
    keyboard = first.params["reply_markup"]["inline_keyboard"]
    assert keyboard[-1][0]["text"] == "Tiếp ▶"  # paging on its own last row
    bot.fake.push_callback(USER, keyboard[-1][0]["callback_data"])
    (second,) = await bot.said(USER, since=1)
    assert "Trang 2/" in second.text
    assert "◀ Trước" in [b["text"] for b in buttons(second)]


async def test_location_answers_with_venue_pins_and_distances(bot: Bot) -> None:
    bot.fake.push_location(USER, 22.3364, 103.8438)  # Sa Pa town
    await bot.settle()
    calls = bot.fake.messages_to(USER)
    text = calls[0]
    assert text.method == "sendMessage" and "km" in text.text
    venues = [c for c in calls if c.method == "sendVenue"]
    assert venues, bot.fake.dump()
    assert all(v.params["title"] and v.params["address"] for v in venues)
    assert venues[0].params["title"].rstrip("…") in text.text  # the nearest place, named with its distance
    assert abs(float(venues[0].params["latitude"]) - 22.3) < 0.5


async def test_places_offers_a_send_my_location_button(bot: Bot) -> None:
    bot.fake.push_text(USER, "/places")
    areas, prompt = await bot.said(USER, 2)
    assert "Sa Pa" in [b["text"] for b in buttons(areas)]
    keyboard = prompt.params["reply_markup"]["keyboard"]
    assert keyboard[0][0]["request_location"] is True
    assert keyboard[0][0]["text"] == "📍 Gửi vị trí của tôi"


async def test_map_button_sends_the_product_places_as_pins(bot: Bot) -> None:
    product_id, name = await _honey_id(bot)
    bot.fake.push_text(USER, f"/start p_{product_id}")
    await bot.said(USER)
    bot.fake.push_callback(USER, f"m:{product_id}")
    await bot.settle()
    new = bot.fake.messages_to(USER)[1:]
    assert name in new[0].text
    assert [c.method for c in new[1:]] and {c.method for c in new[1:]} == {"sendVenue"}


async def test_deep_link_opens_the_product_card(bot: Bot) -> None:
    product_id, name = await _honey_id(bot)
    bot.fake.push_text(USER, f"/start p_{product_id}")
    (card,) = await bot.said(USER)
    assert card.text.startswith(f"🏷 {name}")
    assert "★" in card.text


async def test_inline_query_offers_cards_with_deep_links(bot: Bot) -> None:
    product_id, name = await _honey_id(bot)
    bot.fake.push_inline_query(USER, "mật ong")
    (answer,) = await bot.fake.wait_for_calls("answerInlineQuery")
    results = answer.params["results"]
    assert 1 <= len(results) <= 10
    assert str(product_id) in [r["id"] for r in results]
    result = next(r for r in results if r["id"] == str(product_id))
    assert result["type"] == "article" and name in result["title"]
    assert result["input_message_content"]["message_text"].startswith(f"🏷 {name}")
    (link,) = [b for row in result["reply_markup"]["inline_keyboard"] for b in row]
    assert link["url"] == f"https://t.me/{BOT_USERNAME}?start=p_{product_id}"


async def test_share_button_query_finds_the_same_product_first(bot: Bot) -> None:
    product_id, _ = await _honey_id(bot)
    bot.fake.push_text(USER, f"/start p_{product_id}")
    (card,) = await bot.said(USER)
    query = next(b["switch_inline_query"] for b in buttons(card) if "switch_inline_query" in b)
    bot.fake.push_inline_query(USER, query)
    (answer,) = await bot.fake.wait_for_calls("answerInlineQuery")
    assert answer.params["results"][0]["id"] == str(product_id)


async def test_language_follows_telegram_then_lang_command(bot: Bot) -> None:
    english = USER + 1
    bot.fake.push_text(english, "/start", language_code="en-US")
    (hello,) = await bot.said(english)
    assert hello.text.startswith("Hello!")

    bot.fake.push_text(USER, "/lang en")
    (switched,) = await bot.said(USER)
    assert switched.text == "Switched to English."
    bot.fake.push_text(USER, "/help")
    (help_text,) = await bot.said(USER, since=1)
    assert help_text.text.startswith("Type a product name")
    bot.fake.push_text(USER, "/lang vi")
    bot.fake.push_text(USER, "/start")
    _, greeting = await bot.said(USER, 2, since=2)
    assert greeting.text.startswith("Xin chào")


async def test_subscribe_then_forget_removes_the_subscriber(bot: Bot) -> None:
    bot.fake.push_text(USER, "/subscribe")
    (done,) = await bot.said(USER)
    assert "/unsubscribe" in done.text
    assert await bot.services.repo.is_subscribed("telegram", str(USER))
    bot.fake.push_text(USER, "/forget")
    (forgotten,) = await bot.said(USER, since=1)
    assert forgotten.text.startswith("Đã xoá")
    async with aiosqlite.connect(bot.services.repo.path) as db:
        rows = await db.execute_fetchall("SELECT * FROM subscribers WHERE chat_id = ?", (str(USER),))
    assert list(rows) == []


async def test_long_reply_is_split_on_line_boundaries(bot: Bot) -> None:
    lines = [f"{n:04d} 🍯 mật ong Bảo Yên, Lào Cai" for n in range(400)]  # ~12k UTF-16 units
    reply = Reply("\n".join(lines), language="vi")
    await render.send_reply(bot.app.bot, USER, reply, bot.services.i18n, private=True)
    sent = [c.text for c in bot.fake.messages_to(USER)]
    assert len(sent) >= 3
    assert all(render.utf16_len(t) <= 4096 for t in sent)
    assert "\n".join(sent).split("\n") == lines  # every line whole, in order
