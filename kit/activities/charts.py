"""Charts drawn on the server as SVG: readable from the back of a room, no script, no library."""

from __future__ import annotations

from flask_babel import format_percent
from markupsafe import Markup, escape

ROW = 64
BAR_WIDTH = 520
COUNT_WIDTH = 210
# an average character of the label font, in viewBox units: the label column fits its longest label
CHAR = 19


def share(count: int, base: int) -> str:
    """`count` out of `base` people as a whole percentage, in the reader's language ("64 %")."""
    return str(format_percent(count / base if base else 0))


def bars(rows: list[tuple[str, int]], title: str, base: int) -> Markup:
    """A horizontal bar per row (label, people); `base` is how many people answered the question,
    so each bar and its percentage are of people, and a full bar would be everyone."""
    whole = max(base, *(count for _label, count in rows), 1)
    longest = max((min(len(label), 32) for label, _count in rows), default=1)
    label_width = 24 + CHAR * longest
    height = ROW * max(len(rows), 1)
    width = label_width + BAR_WIDTH + COUNT_WIDTH
    # what a screen reader says of the picture: the question, then each answer with its figures
    said = "; ".join(f"{label} : {count} ({share(count, base)})" for label, count in rows)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}. {escape(said)}" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for index, (label, count) in enumerate(rows):
        y = index * ROW
        bar = round(BAR_WIDTH * count / whole)
        short = label if len(label) <= 32 else label[:31] + "…"
        parts.append(
            f'<text class="chart-label" x="{label_width - 12}" y="{y + ROW * 0.62:.0f}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(short)}</text>"
            f'<rect class="chart-bar" x="{label_width}" y="{y + 8}" width="{max(bar, 2)}" height="{ROW - 16}" rx="6"/>'
            f'<text class="chart-count" x="{label_width + max(bar, 2) + 12}" y="{y + ROW * 0.62:.0f}">'
            f"{count} ({escape(share(count, base))})</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
