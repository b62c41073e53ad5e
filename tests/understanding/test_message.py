"""Understanding a chat message before search: what is asked, about what."""

import pytest


@pytest.fixture
async def understand(services):
    snapshot = await services.catalogue.get()

    def run(text):
        return services.understander.understand(text, snapshot.index)

    return run


async def test_two_questions_about_one_product(understand):
    u = understand("2 câu nha: chè shan tuyết suối giàng mấy sao, mua ở đâu")
    assert u.intents == ["stars", "where_to_buy"]
    assert {a.subject for a in u.asks} == {"chè shan tuyết suối giàng"}


async def test_openers_teen_code_and_claims_leave_the_product(understand):
    (ask,) = understand("cho mình hỏi rượu thóc thanh kim có phải OCOP thật ko hay hàng nhái").asks
    assert ask.intent == "stars" and ask.subject == "rượu thóc thanh kim"


async def test_marks_decide_between_words_that_fold_alike(understand):
    assert understand("mật ong Bảo Yên giá bao nhiêu").intents == ["price"]
    assert understand("lạp sườn Gia Phú mấy sao").asks[0].subject == "lạp sườn gia phú"  # "Gia" is not "giá"
    # In a message typed with marks a bare word is meant bare: "gan" (liver) is not "gần" (near).
    assert "near" not in understand("Nhà mình có người bị gan, cao cà gai leo có tốt không").intents


async def test_a_filler_typed_with_other_marks_is_a_word(understand):
    (ask,) = understand("phở bò mấy sao").asks
    assert ask.subject == "phở bò"  # "bò" (beef) is not the filler "bố" (father)


async def test_a_pointer_borrows_the_product_named_before(understand):
    u = understand("Lần trước mua gói gạo lứt Séng Cù ngon lắm, giờ không biết sp đó mấy sao")
    (ask,) = u.asks
    assert ask.intent == "stars" and "séng cù" in ask.subject


async def test_a_scene_setting_clause_narrows_the_question(understand):
    (ask,) = understand("mik ở yên bái, mua miến đao ở đâu dc").asks
    assert ask.intent == "where_to_buy" and "miến đao" in ask.subject and "yên bái" in ask.subject


async def test_small_talk_only_when_nothing_else_is_asked(understand):
    assert understand("cảm ơn ad nhiều nha ❤️").smalltalk == ["thanks"]
    assert not understand("cảm ơn ad nhiều nha ❤️").asks
    u = understand("hi, mật ong bảo yên còn hiệu lực ko")
    assert u.intents == ["validity"]


async def test_command_words_only_as_the_whole_message(understand):
    assert understand("huỷ đăng ký").whole == "unsubscribe"
    assert understand("đăng ký nhé").whole == "subscribe"
    for text in ("đúng", "đúng rồi", "dừng lại đi", "chè này đúng là ngon"):
        assert understand(text).whole is None


async def test_chinese_and_korean_words_are_read(understand):
    u = understand("蜂蜜在哪里买")
    assert u.intents == ["where_to_buy"] and u.asks[0].subject
    u = understand("꿀 어디서 사요")
    assert u.intents == ["where_to_buy"] and u.asks[0].subject
    assert understand("Văn Chấn 4星茶").asks[0].subject.count("sao") == 1  # a digit before 星 is a star level


async def test_a_star_level_survives_the_fillers(understand):
    (ask,) = understand("4* Bắc Hà").asks
    assert "4 sao" in ask.subject


async def test_repeated_letters_and_words_are_one(understand):
    (ask,) = understand("mật ong mật ong bảo yên ở đâuuuu").asks
    assert ask.intent == "where_to_buy" and ask.subject.count("mật ong") == 1
