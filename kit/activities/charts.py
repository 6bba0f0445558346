"""Charts drawn on the server as SVG: readable from the back of a room, no script, no library."""

from __future__ import annotations

from flask_babel import format_percent
from markupsafe import Markup, escape

# each answer on its own line, its bar under it: the chart stays narrow, so its text stays big
# once the chart is fitted to a column of the screen
ROW = 104
LABEL = 40
BAR = 40
WIDTH = 760
COUNT_WIDTH = 190
# the characters of the label font that fit across the chart, in viewBox units
LONGEST = 38


def share(count: int, base: int) -> str:
    """`count` out of `base` people as a whole percentage, in the reader's language ("64 %")."""
    return str(format_percent(count / base if base else 0))


def bars(rows: list[tuple[str, int]], title: str, base: int) -> Markup:
    """A bar per row (label, people); `base` is how many people answered the question, so each
    bar and its percentage are of people, and a full bar would be everyone."""
    whole = max(base, *(count for _label, count in rows), 1)
    height = ROW * max(len(rows), 1)
    bar_room = WIDTH - COUNT_WIDTH
    # what a screen reader says of the picture: the question, then each answer with its figures
    said = "; ".join(f"{label}, {count} ({share(count, base)})" for label, count in rows)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)} — {escape(said)}" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for index, (label, count) in enumerate(rows):
        y = index * ROW
        bar = max(round(bar_room * count / whole), 4)
        short = label if len(label) <= LONGEST else label[: LONGEST - 1] + "…"
        parts.append(
            f'<text class="chart-label" x="0" y="{y + LABEL - 8}"><title>{escape(label)}</title>{escape(short)}</text>'
            f'<rect class="chart-bar" x="0" y="{y + LABEL}" width="{bar}" height="{BAR}" rx="6"/>'
            f'<text class="chart-count" x="{bar + 12}" y="{y + LABEL + BAR - 8}">'
            f"{count} ({escape(share(count, base))})</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
