from bot.search.telex import decode_ime
from bot.text import accent_key, clean_input, fold, split_qualifier


def test_fold_strips_marks_and_maps_d():
    assert fold("Rượu ngô ĐẶC SẢN Đồng") == "ruou ngo dac san dong"
    assert fold("Ð ð đ") == "d d d"


def test_fold_handles_nfd_input():
    decomposed = "Me\u0302\u0323t ong"  # "Mệt" written with combining marks
    assert fold(decomposed) == "met ong"


def test_both_tone_placements_fold_and_key_equal():
    for old, new in (("hoà", "hòa"), ("thuỷ", "thủy"), ("khoẻ", "khỏe")):
        assert fold(old) == fold(new)
        assert accent_key(old) == accent_key(new)


def test_accent_key_separates_words_that_fold_together():
    assert fold("mận") == fold("màn")
    assert accent_key("mận") != accent_key("màn")


def test_split_qualifier_keeps_official_name():
    assert split_qualifier("Mật ong (Bảo Yên)") == ("Mật ong", "Bảo Yên")
    assert split_qualifier("Quả bưởi Múc") == ("Quả bưởi Múc", "")


def test_clean_input_removes_controls_and_bounds_length():
    assert clean_input("a\x00b\u202ec\n\td") == "a b c d"
    assert len(clean_input("x" * 10_000, 300)) == 300


def test_ime_residue_decoding():
    assert decode_ime("ruowju") == "ruou"
    assert decode_ime("ddaauj") == "dau"
    assert decode_ime("ru7o75u") == "ruou"
    assert decode_ime("500ml") is None
