"""Bar charts laid out on the server: from zero to a round top, every bar inside the view box."""

from decimal import Decimal

from portal.dashboard import charts


def bars(*values):
    return [
        charts.Bar(f"Day {n}", str(n), value, f"{value} things") for n, value in enumerate(values)
    ]


def test_the_top_of_the_scale_is_a_round_number_at_or_above_the_highest_bar():
    assert [charts.nice_ceiling(v) for v in (0, 0.7, 1, 3, 7, 12, 240, 2600)] == [
        1, 1, 1, 5, 10, 20, 250, 5000,
    ]  # fmt: skip


def test_bars_scale_from_the_baseline_and_stay_inside_the_view_box():
    chart = charts.bar_chart("T", bars(0, 5, 10), summary="S", column="V", category="C")
    heights = [float(drawn.height) for drawn in chart.drawn]
    assert heights[0] == 0 and heights[2] == 2 * heights[1]
    for drawn in chart.drawn:
        assert float(drawn.y) + float(drawn.height) == chart.base
        assert float(drawn.x) >= charts.LEFT
        assert float(drawn.x) + float(drawn.width) <= charts.WIDTH
    assert [tick.text for tick in chart.ticks] == ["0", "5", "10"]


def test_a_chart_of_nothing_but_zeros_still_draws_its_axis():
    chart = charts.bar_chart("T", bars(0, 0), summary="S", column="V", category="C")
    assert all(drawn.height == "0" for drawn in chart.drawn)
    assert [tick.text for tick in chart.ticks] == ["0", "0.5", "1"]


def test_money_on_the_axis_reads_short():
    text = charts.compact_money("$")
    assert [text(v) for v in (0, 750.0, 2500.0)] == ["$0", "$750", "$2.5k"]
    chart = charts.bar_chart(
        "T", bars(Decimal("1234.50")), summary="S", column="V", category="C", tick_text=text
    )
    assert [tick.text for tick in chart.ticks] == ["$0", "$1k", "$2k"]
