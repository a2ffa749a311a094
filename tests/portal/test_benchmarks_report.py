"""`make bench`'s table (benchmarks/report.py): the rows the benchmark scripts write become one
markdown table in docs/benchmarks.md, each figure beside its baseline, target and verdict."""

from __future__ import annotations

from benchmarks.report import Run, Script, page_row, render, row, run_script

MACHINE = {"processor": "2 cores (a test)", "Python": "3.11.2"}


def table_lines(document: str) -> list[str]:
    return [line for line in document.splitlines() if line.startswith("| ")]


def test_each_figure_stands_beside_its_baseline_and_target_with_its_verdict():
    runs = [
        Run(
            Script("booking_pages", "Booking pages"),
            [
                row(
                    "Booking pages", "shop page", "300 req/s", "bare page 400 req/s", "≥ 0.5x", True
                ),
                row(
                    "Booking pages",
                    "free times",
                    "100 req/s",
                    "bare page 400 req/s",
                    "≥ 0.5x",
                    False,
                ),
            ],
            seconds=90,
            load="1.00 / 0.50 / 0.20",
            started="10:00 UTC",
        ),
        Run(
            Script("sandbox_lists", "Sandbox lists"),
            [row("Sandbox lists", "customers", "200 req/s")],
        ),
    ]

    document = render(runs, MACHINE, "2026-11-29 10:00 UTC", "0.10 / 0.10 / 0.10")

    header, _, *rows = table_lines(document)
    assert header == "| | figure | value | baseline (same run) | target | |"
    assert rows == [
        "| **Booking pages** | shop page | 300 req/s | bare page 400 req/s | ≥ 0.5x | met |",
        "|  | free times | 100 req/s | bare page 400 req/s | ≥ 0.5x | **missed** |",
        "| **Sandbox lists** | customers | 200 req/s |  |  | — |",
    ]
    assert "- processor: 2 cores (a test)" in document
    assert "when the run began 0.10 / 0.10 / 0.10" in document
    assert (
        "- `booking_pages.py`: started 10:00 UTC, 1.5 min, load average then 1.00 / 0.50 / 0.20"
        in document
    )
    assert "- `sandbox_lists.py`: not run" in document


def test_what_missed_is_listed_with_a_place_for_why():
    missed = row("Dashboard", "board", "40 req/s (0.20x)", "bare 200 req/s", "≥ 0.33x", False)
    document = render([Run(Script("dashboard_pages", "Dashboard"), [missed])], MACHINE, "", "")

    misses = document.split("## What misses, and why", 1)[1]
    assert "- Dashboard, board: 40 req/s (0.20x) (target ≥ 0.33x)" in misses
    assert "**Why:**" in misses


def test_a_run_where_everything_met_its_target_says_so():
    met = row("Garage pages", "work order page", "300 req/s", "bare 400 req/s", "≥ 0.5x", True)
    document = render([Run(Script("garage_pages", "Garage pages"), [met])], MACHINE, "", "")

    assert "Every figure with a target met it." in document
    assert "**Why:**" not in document


def test_a_pipe_inside_a_figure_does_not_split_its_cell():
    document = render([Run(Script("soak", "Soak"), [row("Soak", "a | b", "1")])], MACHINE, "", "")

    assert "| **Soak** | a \\| b | 1 |  |  | — |" in table_lines(document)


def test_a_page_meets_its_target_at_half_the_bare_pages_rate_with_p95_under_50_ms():
    bare = {"rps": 400.0, "p50": 5.0, "p95": 9.0}

    at_half = page_row("Staff pages", "shop page", {"rps": 200.0, "p50": 20, "p95": 49.9}, bare)
    too_slow = page_row("Staff pages", "shop page", {"rps": 199.0, "p50": 20, "p95": 30}, bare)
    too_late = page_row("Staff pages", "shop page", {"rps": 300.0, "p50": 20, "p95": 50}, bare)

    assert at_half["met"] is True
    assert at_half["value"] == "200 req/s (0.50x), p50 20.0 ms, p95 49.9 ms"
    assert at_half["baseline"] == "bare page 400 req/s, p50 5.0 ms, p95 9.0 ms"
    assert at_half["target"] == "≥ 0.5x bare req/s, p95 < 50 ms"
    assert too_slow["met"] is False
    assert too_late["met"] is False


def test_a_benchmark_that_is_not_there_is_in_the_table_as_not_run():
    run = run_script(Script("no_such_benchmark", "Scale-out"), long=False)

    assert run.rows == [row("Scale-out", "no_such_benchmark.py", "not run (no such script)")]
    assert run.seconds is None


def test_a_benchmark_left_out_of_a_run_shows_its_last_figures(tmp_path, monkeypatch):
    monkeypatch.setattr("benchmarks.report.LOGS", tmp_path)
    soak = Script("soak", "Soak")
    figure = row("Soak", "webhooks processed", "33 of 33 received", target="all", met=True)
    Run(
        soak, [figure], seconds=60, load="1.00", args=("--duration", "20"), started="09:00 UTC"
    ).save()

    assert Run.last(soak) == Run(soak, [figure], 60, "1.00", ("--duration", "20"), "09:00 UTC")
    assert Run.last(Script("staff_pages", "Staff pages")).rows == [
        row("Staff pages", "staff_pages.py", "not run")
    ]


def test_a_page_shows_its_processor_time_beside_the_bare_pages():
    bare = {"rps": 400.0, "p50": 5.0, "p95": 9.0}
    mine = {"rps": 100.0, "p50": 20.0, "p95": 40.0}

    shown = page_row("Garage pages", "work order page", mine, bare, cpu_ms=(7.04, 0.81))

    assert shown["value"].endswith("; 7.0 ms CPU")
    assert shown["baseline"].endswith("; 0.8 ms CPU")
