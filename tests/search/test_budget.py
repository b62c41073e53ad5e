"""A search has a budget: past FUZZY_WORDS unknown words (or FUZZY_SECONDS) the rest are taken
as typed, per search and per chat message, so a message of made-up words cannot hold the loop.
Reproduced: 80 made-up words took 100 ms of the loop at 20,000 products."""

from __future__ import annotations

import random

from bot.search import engine as engine_module
from bot.search import fuzzy_budget


def _made_up_words(n: int, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice("bcdghklmnpqrstvx") for _ in range(6)) for _ in range(n)]


def _count_fuzzy_passes(index, monkeypatch) -> list[str]:
    seen: list[str] = []
    real = index._expand_unknown

    def counting(token, *, prefix):
        seen.append(token)
        return real(token, prefix=prefix)

    monkeypatch.setattr(index, "_expand_unknown", counting)
    index._expansions.clear()
    return seen


def test_a_search_reads_at_most_the_budget_of_unknown_words_as_typos(index, monkeypatch):
    monkeypatch.setattr(engine_module, "FUZZY_SECONDS", 60.0)  # count words, not time, here
    seen = _count_fuzzy_passes(index, monkeypatch)
    index.search(" ".join(_made_up_words(80)))
    assert len(seen) == engine_module.FUZZY_WORDS


def test_a_typo_early_in_a_long_message_is_still_read(index, monkeypatch):
    monkeypatch.setattr(engine_module, "FUZZY_SECONDS", 60.0)
    _count_fuzzy_passes(index, monkeypatch)
    query = index.parse("mật ongg " + " ".join(_made_up_words(30)))
    typo = next(t for t in query.terms if t.typed == "ongg")
    assert ("ong",) in [alt for alt, _ in typo.alternatives]
    last = query.terms[-1]  # past the budget: taken as typed
    assert [alt for alt, _ in last.alternatives] == [(last.typed,)]


def test_one_message_shares_one_budget_across_its_searches(index, monkeypatch):
    monkeypatch.setattr(engine_module, "FUZZY_SECONDS", 60.0)
    seen = _count_fuzzy_passes(index, monkeypatch)
    words = _made_up_words(40)
    with fuzzy_budget():
        index.search(" ".join(words[:20]))
        index.search(" ".join(words[20:]))  # a second question of the same message
    assert len(seen) == engine_module.FUZZY_WORDS
    seen.clear()
    index.search(" ".join(words[20:]))  # the next message has a budget of its own
    assert len(seen) == engine_module.FUZZY_WORDS


async def test_a_made_up_message_gets_a_clear_answer(services):
    import io

    from bot.console import ConsoleChat

    out = io.StringIO()
    replies = await ConsoleChat(services, out).say(" ".join(_made_up_words(80)))
    assert replies and out.getvalue().strip()
    assert "Traceback" not in out.getvalue()
