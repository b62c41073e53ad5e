"""Bar charts as SVG, drawn on the server: no script, no library, styled by the site's CSS."""

from __future__ import annotations

from markupsafe import Markup, escape

ROW = 22
LABEL_WIDTH = 190
BAR_WIDTH = 150
WIDTH = LABEL_WIDTH + BAR_WIDTH + 60


def bar_chart(rows: list[tuple[str, int]], title: str) -> Markup:
    """Horizontal bars, one row per (label, value), with the value after each bar."""
    if not rows:
        return Markup("")
    top = max(value for _, value in rows) or 1
    height = ROW * len(rows) + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for number, (label, value) in enumerate(rows):
        y = number * ROW + 2
        width = max(1, round(BAR_WIDTH * value / top)) if value else 0
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end">{escape(short)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{width}" height="{ROW - 8}"></rect>'
            f'<text x="{LABEL_WIDTH + width + 5}" y="{y + 15}">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
