"""Articles per day as an inline SVG bar chart, drawn here so the page loads no script and
nothing from elsewhere."""

from __future__ import annotations

import datetime as dt
from html import escape

WIDTH, HEIGHT, MARGIN = 720, 180, 28
MAX_DAYS = 180  # the most recent days shown; older ones would make bars thinner than a pixel


def per_day_svg(counts: list[tuple[dt.date, int]]) -> str:
    """Bars for every day from the first to the last (days without articles included, at zero),
    each with its date and count as a tooltip."""
    if not counts:
        return ""
    by_day = dict(counts)
    last = max(by_day)
    first = max(min(by_day), last - dt.timedelta(days=MAX_DAYS - 1))
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    peak = max(by_day.get(day, 0) for day in days) or 1
    step = (WIDTH - 2 * MARGIN) / len(days)
    plot = HEIGHT - 2 * MARGIN
    bars = []
    for index, day in enumerate(days):
        count = by_day.get(day, 0)
        height = plot * count / peak
        x, y = MARGIN + index * step, HEIGHT - MARGIN - height
        label = f"{day.isoformat()}: {count} article{'s' if count != 1 else ''}"
        bars.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(step - 1, 1):.1f}" height="{height:.1f}">'
            f"<title>{escape(label)}</title></rect>"
        )
    axis = (
        f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" y2="{HEIGHT - MARGIN}" stroke="#888"/>'
        f'<text x="{MARGIN}" y="{HEIGHT - 8}" font-size="11">{first.isoformat()}</text>'
        f'<text x="{WIDTH - MARGIN}" y="{HEIGHT - 8}" font-size="11" text-anchor="end">{last.isoformat()}</text>'
        f'<text x="{MARGIN}" y="{MARGIN - 8}" font-size="11">{peak} per day at most</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="articles per day" class="chart" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">'
        f"<style>.bar{{fill:#3b6ea5}}</style>{''.join(bars)}{axis}</svg>"
    )
