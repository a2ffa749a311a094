"""Bar charts drawn on the server as inline SVG: no chart library, nothing from a CDN, and
nothing a Content-Security-Policy without inline styles would refuse (colours come from
classes in static/css/components.css).

A chart is laid out here, in the SVG's own units; `templates/dashboard/chart.html` draws it
with a `viewBox`, so it scales to its card, and gives it a text alternative: a name and a
summary for screen readers (`role="img"`), and the same figures as a table under it. The
view box is about as wide as a chart's card, on a phone as on a desktop, so that its text
keeps about its own size.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

WIDTH = 300
HEIGHT = 180
LEFT = 40  # room for the value axis' labels
RIGHT = 6
TOP = 10
BOTTOM = 24  # room for the category labels
GAP = 0.25  # of each bar's slot, between bars


@dataclass(frozen=True)
class Bar:
    label: str  # the category in full ("Monday 3 November")
    short: str  # under the axis ("3", "Mon"); "" leaves the place empty
    value: Decimal | int
    text: str  # the value in words and units ("$1,234.00", "12 cars")


def unit(value: float) -> str:
    """A coordinate as the SVG takes it ("12.5"): written here, not by the template, which
    would localize every number (a comma in some languages, and slow)."""
    return f"{value:.1f}".removesuffix(".0")


@dataclass(frozen=True)
class Drawn:
    bar: Bar
    x: str
    y: str
    width: str
    height: str
    label_x: str


@dataclass(frozen=True)
class Tick:
    y: str
    text: str


@dataclass
class Chart:
    title: str
    summary: str
    column: str  # the table's heading for the values
    category: str  # the table's heading for the categories
    bars: list[Bar]
    drawn: list[Drawn] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    base: int = HEIGHT - BOTTOM
    label_y: int = HEIGHT - BOTTOM + 16


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten at or above `value` (1 for 0)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover  (the loop always returns)


def bar_chart(
    title: str,
    bars: list[Bar],
    *,
    summary: str,
    column: str,
    category: str,
    tick_text: Callable[[float], str] = lambda value: f"{value:g}",
) -> Chart:
    """Lay out `bars` from zero to a round maximum, with three labelled gridlines."""
    chart = Chart(title, summary, column, category, bars)
    top = nice_ceiling(float(max((bar.value for bar in bars), default=0)))
    plot_height = chart.base - TOP
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(bars))
    for n, bar in enumerate(bars):
        height = plot_height * float(bar.value) / top if bar.value > 0 else 0
        x = LEFT + n * slot + slot * GAP / 2
        chart.drawn.append(
            Drawn(
                bar=bar,
                x=unit(x),
                y=unit(chart.base - height),
                width=unit(slot * (1 - GAP)),
                height=unit(height),
                label_x=unit(LEFT + (n + 0.5) * slot),
            )
        )
    chart.ticks = [
        Tick(unit(chart.base - plot_height * share), tick_text(top * share))
        for share in (0, 0.5, 1)
    ]
    return chart


def compact_money(symbol: str) -> Callable[[float], str]:
    """An axis label for an amount: "$0", "$750", "$2.5k"."""

    def text(value: float) -> str:
        if value >= 1000:
            return f"{symbol}{value / 1000:g}k"
        return f"{symbol}{value:g}"

    return text
