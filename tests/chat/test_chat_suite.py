"""The bot on real chat messages: suites written from the data, not from the bot's answers.

chat_suite.csv (433 messages) was written before tuning; chat_suite2.csv (220) by a second author
later, measured once and then tuned on; chat_holdout.csv (149) by a third author who never saw
the bot's code or answers, and was never tuned on; chat_suite3.csv (263) by a fourth author and
chat_suite5.csv (240) by a sixth, each measured once before tuning and then tuned on;
chat_suite6.csv and chat_suite7.csv (260 each) by an eighth and a tenth author, the same, and
chat_suite8.csv (220, stories, English and Korean) by an eleventh, chat_suite9.csv (240) by a twelfth and
chat_suite10.csv (200) by a fifteenth, chat_suite11.csv (200) by a sixteenth, chat_suite12.csv
(220) by a seventeenth, chat_suite13.csv (200) by an eighteenth, chat_suite14.csv (180) by a twentieth,
chat_suite15.csv (220) by a twenty-first, chat_suite16.csv (200) by a twenty-second and
chat_suite17.csv (220, places first) by a twenty-fourth;
chat_holdout2.csv (178) by a fifth, chat_holdout3.csv (200) by a seventh, chat_holdout4.csv
(220) by a ninth, chat_holdout5.csv (220) by a thirteenth, chat_holdout6.csv (220) by a
fourteenth, chat_holdout7.csv (220) by a nineteenth, chat_holdout8.csv (240) by a twenty-third and
chat_holdout9.csv (240) by a twenty-fifth (the last three written after a round of tuning), never tuned
on and their failures never read.
`python bench/chat_quality.py --failures` lists what fails (read it for the tuning suites only).

The tuning suite is held to issue 9's targets (≥ 0.95 right, 0 false "not in our catalogue",
0 products shown for unrelated questions). The others are held to today's figures, most of them
below those targets: a floor that stops a change from making things worse, not a claim that the
targets are met on messages the bot was not tuned on.
"""

from pathlib import Path

import pytest

from bot.understanding.evaluate import evaluate, load_cases
from handlers.router import Router

HERE = Path(__file__).resolve().parent
FLOORS = {  # suite: (share right, false "not in our catalogue", negatives shown a product)
    "chat_suite.csv": (0.95, 0, 0),  # issue 9's targets, reached on the suite tuned on
    "chat_suite2.csv": (0.95, 0, 0),  # a second author's suite: 0.786 / 12 / 3 before tuning on it
    "chat_suite3.csv": (0.95, 0, 0),  # a fourth author's: 0.673 / 6 / 8 on first contact
    "chat_suite5.csv": (0.96, 0, 0),  # a sixth author's: 0.742 / 12 / 1 on first contact
    "chat_suite6.csv": (0.95, 0, 0),  # an eighth author's: 0.796 / 1 / 4 on first contact
    "chat_suite7.csv": (0.93, 0, 1),  # a tenth author's: 0.796 / 1 / 6 on first contact
    "chat_suite8.csv": (0.85, 0, 0),  # an eleventh author's, tuned on briefly: 0.709 / 6 / 0 on first contact
    "chat_suite9.csv": (0.96, 0, 0),  # a twelfth author's: 0.863 / 3 / 0 on first contact
    "chat_suite10.csv": (0.96, 0, 0),  # a fifteenth author's (lists, facts, zh, ko): 0.780 / 1 / 2 on first contact
    "chat_suite11.csv": (0.96, 0, 1),  # a sixteenth author's (places, validity, English): 0.855 / 3 / 3 first contact
    "chat_suite12.csv": (0.96, 0, 1),  # a seventeenth author's (counts, events, stories): 0.900 / 1 / 1 first contact
    "chat_suite13.csv": (0.97, 0, 0),  # an eighteenth author's (four personas): 0.800 / 8 / 2 first contact
    "chat_suite14.csv": (0.93, 0, 0),  # a twentieth author's (chatty, English, multi): 0.828 / 3 / 0 first contact
    # a twenty-first author's (chatty, teen, English, zh, ko): 0.873 / 3 / 1 first contact
    "chat_suite15.csv": (0.95, 1, 0),
    "chat_suite16.csv": (0.96, 0, 0),  # a twenty-second author's (staff, places, citizens): 0.860 / 4 / 1 first contact
    "chat_suite17.csv": (0.95, 0, 1),  # a twenty-fourth author's (places first): 0.868 / 1 / 1 first contact
    "chat_holdout.csv": (0.93, 0, 1),  # never tuned on: today's figures, below the targets
    "chat_holdout2.csv": (0.88, 1, 1),  # a fifth author's, never tuned on: 0.798 / 6 / 1 first contact
    "chat_holdout3.csv": (0.89, 2, 1),  # a seventh author's, never tuned on: 0.825 / 3 / 2 first contact
    "chat_holdout4.csv": (0.88, 2, 1),  # a ninth author's, measured once: 0.841 / 4 / 1 (its first contact)
    "chat_holdout5.csv": (0.92, 0, 2),  # a thirteenth author's: 0.891 / 0 / 2 on first contact
    "chat_holdout6.csv": (0.90, 1, 0),  # a fourteenth author's: 0.886 / 2 / 1 on first contact
    "chat_holdout7.csv": (0.93, 1, 0),  # a nineteenth author's, written after tuning: 0.914 / 2 / 0 first contact
    "chat_holdout8.csv": (0.93, 2, 0),  # a twenty-third author's, written after tuning: 0.921 / 3 / 0 first contact
    "chat_holdout9.csv": (0.90, 2, 0),  # a twenty-fifth author's, written after tuning: 0.904 / 2 / 0 first contact
}


@pytest.mark.parametrize("suite", sorted(FLOORS))
async def test_chat_suite(services, suite):
    right, false_not_found, shown = FLOORS[suite]
    report = await evaluate(Router(services), load_cases(HERE / suite))
    print("\n" + "\n".join(report.lines(suite)))
    # Numbers only in a failure: pytest would print the report, holdout messages with it.
    absent, shown_for_negatives, share = report.false_not_found, report.products_for_negatives, report.share()
    assert absent <= false_not_found, f"{absent} products in the catalogue were called absent"
    assert shown_for_negatives <= shown, f"{shown_for_negatives} unrelated questions were shown a product"
    assert share >= right, f"{share:.3f} answered right"
