"""Platform-neutral handlers, driven through the router as any adapter would."""

import dataclasses

from bot.config import AdminsSection
from bot.replies import Location, Request
from bot.text import fold
from handlers.context import Context
from handlers.places import places_for_area
from handlers.router import Router


def req(text="", *, command=None, action=None, location=None, user="u1", language=None, platform="console"):
    return Request(
        platform, user, user, text=text, command=command, action=action, location=location, language=language
    )


async def ask(services, *args, **kwargs):
    return await Router(services).handle(req(*args, **kwargs))


async def test_search_lists_then_card(services):
    (listing,) = await ask(services, "mật ong")
    assert "mật ong" in listing.text.lower()
    labels = [c.label for c in listing.choices]
    assert any("Bảo Yên" in label for label in labels)
    action = next(c.action for c in listing.choices if "Bảo Yên" in c.label)
    (card,) = await ask(services, action=action)
    assert "Mật ong" in card.text and "Bảo Yên" in card.text
    assert "4 sao" in card.text
    assert "Công ty TNHH Phát triển Ong miền núi Thanh Xuân" in card.text
    assert "Nguồn:" in card.text and "http" in card.text
    assert "ngày quyết định chưa có trong hồ sơ" in card.text.lower()


async def test_single_match_opens_the_card_directly(services):
    (card,) = await ask(services, "bưởi Múc")
    assert card.text.startswith("🏷 Quả bưởi Múc")
    assert "4261/QĐ-UBND" in card.text
    # Decided in 2021: 36 months have passed by November 2026.
    assert "đã hết hạn" in card.text


async def test_unconfirmed_star_is_never_shown_as_a_star(services):
    (card,) = await ask(services, "Chè hữu cơ Bản Liền")
    assert "chưa được xác nhận" in card.text
    assert "★" not in card.text


async def test_star_question_right_wrong_and_unknown(services):
    (wrong,) = await ask(services, "Tương ớt Mường Khương có phải 4 sao không")
    assert "Không đúng" in wrong.text and "3 sao" in wrong.text
    (right,) = await ask(services, "is Quả bưởi Múc really 4 star?", language="en")
    assert right.text.startswith("Yes") and "4-star" in right.text
    (how_many,) = await ask(services, "bưởi Múc mấy sao?")
    assert "4 sao" in how_many.text
    (missing,) = await ask(services, "phở bò mấy sao?")
    assert "không có trong danh mục" in missing.text and "604" in missing.text


async def test_star_question_with_a_few_candidates_gives_each_ones_stars(services):
    # Four honeys from four producers: each keeps its own rating, none is claimed for "honey".
    (reply,) = await ask(services, "mật ong mấy sao")
    assert reply.kind == "stars" and len(reply.product_ids) == 4
    assert "Mật ong (Bảo Yên)" in reply.text and "Hạng 4 sao" in reply.text and "Hạng 3 sao" in reply.text
    assert {c.action for c in reply.choices} == {f"p:{i}" for i in reply.product_ids}


async def test_star_question_with_many_candidates_asks_which(services):
    (reply,) = await ask(services, "chè mấy sao")
    assert reply.kind == "results" and reply.choices and "sản phẩm nào" in reply.text


async def test_a_garbled_name_of_a_product_we_have_is_never_called_absent(services):
    (reply,) = await ask(services, "mat ongg bao yenn")
    assert reply.kind in ("card", "did_you_mean") and "không có trong danh mục" not in reply.text
    assert 36 in reply.product_ids or "p:36" in {c.action for c in reply.choices}  # Mật ong (Bảo Yên)


async def test_words_that_resemble_nothing_are_not_found(services):
    (reply,) = await ask(services, "zzz qqq xkcd")
    assert reply.kind == "not_found" and "zzz qqq xkcd" in reply.text and not reply.choices


async def test_a_look_alike_is_not_offered_for_a_product_we_lack(services):
    (reply,) = await ask(services, "phở bò")
    assert reply.kind == "not_found" and not reply.choices


async def test_english_user_gets_english(services):
    (reply,) = await ask(services, "honey", language="en")
    assert "Results for" in reply.text
    (places,) = await ask(services, "where to buy honey", language="en")
    assert places.kind == "places" and places.text.startswith("Places to buy")


async def test_language_switch_is_remembered(services):
    (switched,) = await ask(services, command="lang", text="en")
    assert switched.text == "Switched to English."
    (reply,) = await ask(services, "mật ong")
    assert reply.text.startswith("Results for")
    (back,) = await ask(services, action="lang:vi")
    assert back.text == "Đã chuyển sang tiếng Việt."


async def test_listing_by_star_pages(services):
    (page1,) = await ask(services, action="l:3:-:-:1")
    assert "Trang 1/" in page1.text
    next_action = next(c.action for c in page1.choices if c.action.endswith(":2"))
    (page2,) = await ask(services, action=next_action)
    assert "Trang 2/" in page2.text
    assert {c.label for c in page1.choices}.isdisjoint({c.label for c in page2.choices if c.action.startswith("p:")})


async def test_nearest_places_to_a_location_are_approximate_and_say_so(services):
    (reply,) = await ask(services, location=Location(22.336, 103.844))  # near Sa Pa
    assert reply.pins
    assert all(pin.approximate for pin in reply.pins)
    assert "ước lượng" in reply.text
    distances = [pin.distance_km for pin in reply.pins]
    assert distances == sorted(distances) and distances[0] < 5
    assert all("google.com/maps/search" in pin.map_url for pin in reply.pins)


async def test_where_to_buy_a_product_lists_places_in_its_area(services):
    (card,) = await ask(services, "Cao mềm actiso Sa Pa")
    buy = next(c.action for c in card.choices if c.action.startswith("b:"))
    (places,) = await ask(services, action=buy)
    assert "Sa Pa" in places.text and "📍" in places.text


async def test_events_show_dates(services):
    (reply,) = await ask(services, "hội chợ")
    assert "Gần đây" in reply.text or "Sắp diễn ra" in reply.text
    assert "2025" in reply.text or "2026" in reply.text


async def test_about_gives_figures_with_dates_and_catalogue_size(services):
    (reply,) = await ask(services, "OCOP là gì")
    assert "604" in reply.text and "2025-07" in reply.text
    assert "164" in reply.text


async def test_about_validity(services):
    (reply,) = await ask(services, "chứng nhận OCOP có hiệu lực bao lâu")
    assert "36" in reply.text


async def test_subscribe_unsubscribe_and_forget(services):
    (done,) = await ask(services, command="subscribe")
    assert "Đã đăng ký" in done.text
    assert await services.repo.is_subscribed("console", "u1")
    (again,) = await ask(services, "đăng ký")
    assert "đã đăng ký" in again.text
    await ask(services, command="lang", text="en")
    (forgot,) = await ask(services, command="forget")
    assert "Deleted" in forgot.text
    assert not await services.repo.is_subscribed("console", "u1")
    assert await services.repo.user_language("console", "u1") is None


async def test_deep_link_opens_a_card(services):
    (card,) = await ask(services, command="start", text="p_1")
    assert card.text.startswith("🏷 Quả bưởi Múc")


async def test_stale_or_forged_actions_get_a_clear_answer(services):
    for action in ("p:999999", "q:999999:1", "l:x", "zz:1", "p:abc", "nr:a:b:1"):
        (reply,) = await ask(services, action=action)
        assert reply.text


async def test_every_choice_action_fits_telegram_callback_data(services):
    router = Router(services)
    for text in ("mật ong", "chè", "sản phẩm 3 sao", "hội chợ", "/places", "/start"):
        for reply in await router.handle(req(text)):
            assert all(len(c.action.encode()) <= 64 for c in reply.choices)


async def test_a_chosen_option_continues_in_the_language_of_its_list(services):
    router = Router(services)
    (listing,) = await router.handle(req("honey"))
    assert listing.text.startswith("Results for")
    (card,) = await router.handle(req(action=listing.choices[0].action))
    assert "OCOP 4-star" in card.text or "OCOP 3-star" in card.text


async def test_right_and_stop_in_a_sentence_never_unsubscribe(services):
    # Reproduced: "Đúng" ("right") unsubscribed the person (folded, it matched "dung").
    router = Router(services)
    for text in ("đúng", "Đúng", "đúng rồi", "mình muốn dừng lại đi mua mật ong", "dừng lại đi cho mình hỏi chè"):
        await services.repo.subscribe("console", "u1", "vi")
        replies = await router.handle(req(text))
        assert not any("huỷ đăng ký" in r.text.lower() for r in replies), text
        assert await services.repo.subscriber_counts() == {"console": 1}, text


async def test_group_needs_an_admin_to_unsubscribe_or_forget(services):
    router = Router(services)
    await services.repo.subscribe("zalo", "g1", "vi")
    member = Request("zalo", "g1", "u1", command="unsubscribe", is_group=True)
    (refused,) = await router.handle(member)
    assert "quản trị viên" in refused.text
    (refused,) = await router.handle(Request("zalo", "g1", "u1", text="huỷ đăng ký", is_group=True))
    assert "quản trị viên" in refused.text
    (refused,) = await router.handle(Request("zalo", "g1", "u1", command="forget", is_group=True))
    assert "quản trị viên" in refused.text and refused.kind != "forget"
    assert await services.repo.subscriber_counts() == {"zalo": 1}
    admin = Request("zalo", "g1", "u1", command="unsubscribe", is_group=True, is_group_admin=True)
    (done,) = await router.handle(admin)
    assert "Đã huỷ đăng ký" in done.text
    await services.repo.subscribe("zalo", "g1", "vi")
    services.config = dataclasses.replace(services.config, admins=AdminsSection(zalo=("staff1",)))
    (done,) = await router.handle(Request("zalo", "g1", "staff1", command="unsubscribe", is_group=True))
    assert "Đã huỷ đăng ký" in done.text


async def test_where_to_buy_one_product_lists_no_other_producers_shop(services):
    # Found by using the bot as a stranger: the Bảo Yên honey's places listed a cinnamon-oil
    # cooperative and a tea company, producers of other things.
    snapshot = await services.catalogue.get()
    honey = next(p for p in snapshot.catalogue.products if p.name == "Mật ong" and p.area == "Bảo Yên")
    ctx = Context(services, Request("console", "u", "u", text=""), "vi", snapshot)
    shown = places_for_area(ctx, honey.area, product=honey)
    producers = [p for p in shown if p.kind == "producer_shop"]
    assert producers and all("mat ong" in fold(p.products_hint) for p in producers)
    assert any(p.kind != "producer_shop" for p in shown)  # markets may sell it: they stay


async def test_english_asking_which_ocop_products_to_buy_in_a_town_gets_the_products(services):
    (reply,) = await ask(services, "What OCOP products can I buy in Sa Pa?")
    assert reply.kind in ("list", "results") and reply.product_ids
    snapshot = await services.catalogue.get()
    assert all(snapshot.index.products[i].area == "Sa Pa" for i in reply.product_ids)


async def test_a_comparison_names_the_area_when_the_producer_is_unknown(services):
    (reply,) = await ask(services, "gạo séng cù vs gạo nếp tú lệ cái nào nhiều sao hơn")
    assert "chưa rõ:" not in reply.text and "– Bát Xát:" in reply.text
