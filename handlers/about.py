"""The programme itself, from data/facts.toml: figures always with their date."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Literal

from bot.replies import Choice, Reply
from handlers.actions import Action, action
from handlers.context import Context

TOPICS = ("programme", "count", "stars", "certifier", "validity", "merger")
SECTIONS = ("programme", "stars", "certifier", "validity", "merger")  # a text of facts.toml each


@action("about")
@dataclasses.dataclass(frozen=True)
class AboutTopic(Action):
    topic: Literal["programme", "count", "stars", "certifier", "validity", "merger"]


# facts.toml names each figure's scope in English; shown in the user's language.
SCOPES = {
    "new Lào Cai province": "about.scope_new",
    "former Lào Cai": "about.scope_former_lao_cai",
    "former Yên Bái": "about.scope_former_yen_bai",
    "national": "about.scope_national",
}


async def about(ctx: Context, topic: str = "count") -> list[Reply]:
    facts = ctx.services.facts
    if topic in SECTIONS:
        section = facts[topic]
        body = section.get(ctx.lang) or section["en"]  # facts.toml has vi and en; zh/ko read the English
        text = f"{body}\n{ctx.t('card.source', url=section.get('source', ''))}"
        if topic == "programme":  # "OCOP là gì": what it is, then how many there are, dated
            text = "\n".join([text, *official_lines(ctx, first_per_scope=True), _catalogue_line(ctx)])
    else:
        text = _count_text(ctx)
    choices = tuple(Choice(ctx.t(f"about.topic_{name}"), AboutTopic(name).pack()) for name in TOPICS if name != topic)
    return [Reply(text, choices, language=ctx.lang, kind="facts")]


def official_lines(ctx: Context, *, first_per_scope: bool = False) -> list[str]:
    """The official totals, each with its date, scope and source; `first_per_scope`: only the
    first figure facts.toml lists for each scope (a count answer stays short)."""
    lines = [ctx.t("about.count_heading")]
    seen: set[str] = set()
    for figure in ctx.services.facts.get("figures", []):
        if first_per_scope and figure["scope"] in seen:
            continue
        seen.add(figure["scope"])
        split = figure.get(f"split_{ctx.lang}") or figure.get("split_en" if ctx.lang != "vi" else "split_vi", "")
        key = "about.figure" if split else "about.figure_total"
        scope = _scope(ctx, figure["scope"])
        lines.append(ctx.t(key, as_of=figure["as_of"], scope=scope, total=figure["total"], split=split))
        lines.append(f"   🔗 {figure['source']}")
    return lines


def _count_text(ctx: Context) -> str:
    return "\n".join([*official_lines(ctx), _catalogue_line(ctx)])


def _catalogue_line(ctx: Context) -> str:
    products = ctx.snapshot.catalogue.products
    stars = Counter(p.star for p in products)
    return ctx.t(
        "about.catalogue",
        n=len(products),
        s3=stars.get(3, 0),
        s4=stars.get(4, 0),
        s5=stars.get(5, 0),
        unknown=stars.get(None, 0),
    )


def _scope(ctx: Context, scope: str) -> str:
    key = SCOPES.get(scope)
    return ctx.t(key) if key else scope
