"""A filler of several words is one only when the words typed with marks carry its marks."""

from bot.config import DATA_DIR
from bot.understanding.lexicon import Lexicon
from bot.understanding.message import Understander


def test_a_multi_word_filler_needs_its_marks_where_marks_are_typed():
    lexicon = Lexicon.load(DATA_DIR)
    understander = Understander(lexicon)
    key = ("cho", "minh", "hoi")
    assert key in lexicon.fillers and lexicon.filler_written[key]
    assert understander._phrase_agrees(key, ["cho", "mình", "hỏi"], 0)
    assert understander._phrase_agrees(key, ["cho", "minh", "hoi"], 0)  # typed bare: either
    assert not understander._phrase_agrees(key, ["chợ", "mình", "hỏi"], 0)  # "chợ" is a market
