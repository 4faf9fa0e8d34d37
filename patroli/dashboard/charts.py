"""Small charts drawn on the server as SVG: no JavaScript, sharp in print, readable by a screen
reader (each chart has a title and every bar a tooltip), and a few hundred bytes each.
"""

from __future__ import annotations

import datetime as dt

from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

BRAND = "#0b3d91"
RESPONSE_COLOURS = {"positive": "#1e7b34", "neutral": "#8a94a3", "negative": "#b3261e"}


def _n(value: float) -> str:
    return f"{value:.1f}"


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    # Every part of the body is either format_html's output or built here from numbers only.
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'preserveAspectRatio="xMidYMid meet"><title>{}</title>{}</svg>',
        width,
        height,
        title,
        title,
        SafeString("".join(body)),
    )


def _nice_max(value: int) -> int:
    """A round top for the axis: 1, 2, 5, 10, 20, 50…"""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if value <= step * factor:
                return step * factor
        step *= 10


def _day_label(day: dt.date, days: int) -> str:
    return date_format(day, "j M") if days > 1 else date_format(day, "j F Y")


def day_bars(series: list[tuple[dt.date, int]], title: str, unit: str) -> SafeString:
    """Bars of a count per day, labelled under the first, the last and every few days."""
    return _day_chart(
        [(day, {"n": n}) for day, n in series], {"n": BRAND}, {"n": unit}, title, legend=False
    )


def stacked_day_bars(
    series: list[tuple[dt.date, dict[str, int]]], labels: dict[str, str], title: str
) -> SafeString:
    """Per day, one bar split by kind (the community response: positive, neutral, negative)."""
    return _day_chart(series, RESPONSE_COLOURS, labels, title, legend=True)


def _day_chart(series, colours: dict[str, str], labels: dict[str, str], title: str, *, legend):
    width, left, bottom, top = 640, 34, 44 if legend else 26, 10
    height = 200 if legend else 180
    top_value = _nice_max(max((sum(parts.values()) for _, parts in series), default=0))
    plot_w, plot_h = width - left - 6, height - bottom - top
    step = plot_w / max(len(series), 1)
    bar_w = min(max(step * 0.7, 1), 40)
    label_every = max(1, round(len(series) / 7))
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 6}" y2="{top + plot_h}" '
        'stroke="#d7dde5"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" font-size="11" '
        f'fill="#5b6675">{top_value}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" font-size="11" '
        'fill="#5b6675">0</text>',
    ]
    for i, (day, parts) in enumerate(series):
        x = left + i * step + (step - bar_w) / 2
        y = top + plot_h
        for key, colour in colours.items():
            n = parts.get(key, 0)
            if not n:
                continue
            h = plot_h * n / top_value
            y -= h
            body.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}">'
                    "<title>{}: {} {}</title></rect>",
                    _n(x),
                    _n(y),
                    _n(bar_w),
                    _n(h),
                    colour,
                    _day_label(day, 2),
                    n,
                    labels[key],
                )
            )
        if i % label_every == 0 or i == len(series) - 1:
            body.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" font-size="11" '
                    'fill="#5b6675">{}</text>',
                    _n(x + bar_w / 2),
                    top + plot_h + 16,
                    _day_label(day, 2),
                )
            )
    if legend:
        x = left
        for key, colour in colours.items():
            body.append(
                format_html(
                    '<rect x="{}" y="{}" width="12" height="12" fill="{}" rx="2"/>'
                    '<text x="{}" y="{}" font-size="12" fill="#1b2430">{}</text>',
                    x,
                    height - 14,
                    colour,
                    x + 16,
                    height - 4,
                    labels[key],
                )
            )
            x += 24 + 8 * len(labels[key])
    return _svg(width, height, title, body)


def bars(items: list[tuple[str, int]], title: str, colour: str = BRAND) -> SafeString:
    """Horizontal bars, one per labelled count (concerns by category or by status)."""
    row, width, label_w = 26, 640, 220
    height = max(len(items), 1) * row + 4
    top_value = max((n for _, n in items), default=0) or 1
    body = []
    for i, (label, n) in enumerate(items):
        y = i * row + 4
        w = (width - label_w - 50) * n / top_value
        short = label if len(label) <= 30 else label[:29] + "…"
        body.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="13" fill="#1b2430">{}</text>'
                '<rect x="{}" y="{}" width="{}" height="18" fill="{}" rx="3">'
                "<title>{}: {}</title></rect>"
                '<text x="{}" y="{}" font-size="13" fill="#1b2430">{}</text>',
                label_w - 8,
                y + 14,
                short,
                label_w,
                y,
                _n(max(w, 1)),
                colour,
                label,
                n,
                _n(label_w + w + 6),
                y + 14,
                n,
            )
        )
    return _svg(width, height, title, body)
