"""Repeated words cost nothing: a held-down or pasted repetition is matched as said once."""

import pytest

from bot.search.query import drop_repeats, tokenize


def _ids(result):
    return [h.product.id for h in result.hits]


@pytest.mark.parametrize(
    ("text", "once"),
    [
        ("mật ong " * 37, "mật ong"),
        ("mật ong rừng " * 23, "mật ong rừng"),
        ("chè chè chè chè shan tuyết", "chè shan tuyết"),
        ("bưởi Múc bưởi Múc mấy sao", "bưởi Múc mấy sao"),
    ],
)
def test_a_repetition_searches_like_the_words_said_once(index, text, once):
    # Reproduced: at 100,000 products a 300-character "mật ong" repetition held the loop 150 ms,
    # because every repeated word was matched again.
    repeated = index.parse(text)
    single = index.parse(once)
    assert [t.accented for t in repeated.terms] == [t.accented for t in single.terms]
    assert _ids(index.search(text)) == _ids(index.search(once))


def test_drop_repeats_keeps_numbers_and_different_marks():
    assert drop_repeats(*tokenize("4 4 sao"))[0] == ["4", "4", "sao"]
    assert drop_repeats(*tokenize("mận mản"))[0] == ["mận", "mản"]
    assert drop_repeats(*tokenize("a b c d e f a b c d e f"))[0] == ["a", "b", "c", "d", "e", "f"]
