import pytest


@pytest.mark.parametrize(
    ("text", "star", "star_min"),
    [
        ("chè 4 sao", 4, None),
        ("chè 4*", 4, None),
        ("chè 4★", 4, None),
        ("chè bốn sao", 4, None),
        ("4 star tea", 4, None),
        ("tea four stars", 4, None),
        ("chè 5sao", 5, None),
        ("chè từ 4 sao trở lên", None, 4),
        ("at least 4 stars tea", None, 4),
        ("chè ba", None, None),  # "ba" is a number only before "sao"
    ],
)
def test_star_filters(index, text, star, star_min):
    query = index.parse(text)
    assert (query.star, query.star_min) == (star, star_min)
    assert all(t.typed not in ("sao", "star", "stars") for t in query.terms)


@pytest.mark.parametrize(
    ("text", "district"),
    [("mật ong Sa Pa", "Sa Pa"), ("mat ong sapa", "Sa Pa"), ("chè Bắc Hà", "Bắc Hà"), ("tea in bac ha", "Bắc Hà")],
)
def test_places_are_understood(index, text, district):
    assert index.parse(text).place.district == district


def test_question_phrases_are_dropped(index):
    for text in ("mua mật ong ở đâu", "where to buy honey", "mật ong có bán không"):
        required = {t.typed for t in index.parse(text).required}
        assert required <= {"mat", "ong", "honey"}, (text, required)


def test_stopword_that_is_a_catalogue_word_is_optional_not_dropped(index):
    # "dau" is the question word "đâu" but also "dầu" (oil): never required, still a bonus.
    terms = index.parse("dầu lạc").terms
    assert [t.typed for t in terms if t.required] == ["dau", "lac"] or [t.typed for t in terms] == ["dau", "lac"]


def test_english_words_expand_to_vietnamese(index):
    (term,) = index.parse("salmon").terms
    assert ("ca", "hoi") in [alt for alt, _ in term.alternatives]


def test_typo_expansion_has_a_penalty(index):
    (term,) = [t for t in index.parse("bưởi Múcc").terms if t.typed == "mucc"]
    assert any(alt == ("muc",) and penalty < 1 for alt, penalty in term.alternatives)


def test_an_english_plural_or_singular_is_the_same_word(index):
    # The catalogue writes "homestay" and "noodles"; no Vietnamese syllable ends in "s".
    (term,) = [t for t in index.parse("homestays").terms if t.typed == "homestays"]
    assert (("homestay",), 1.0) in term.alternatives
    (term,) = [t for t in index.parse("glass noodle").terms if t.typed == "noodle"]
    assert (("noodles",), 1.0) in term.alternatives


def test_a_word_of_a_compound_is_not_the_compound(index):
    # "phô mai" is cheese: "pho" alone is not it, the whole compound or the English word is.
    cheese_roll = next(d for d, name in index.name_folded.items() if "pho mai" in name)
    assert cheese_roll not in [hit.product.id for hit in index.search("pho").hits]
    assert index.search("cá hồi cuộn phô mai").hits[0].product.id == cheese_roll
    # "mắc ca" (macadamia) needs both words: it is no fish ("cá").
    assert not index.search("mắc ca").found


def test_a_range_of_stars_is_at_least_its_lower_end(index):
    query = index.parse("đặc sản OCOP 4-5 sao")
    assert (query.star, query.star_min) == (None, 4)
