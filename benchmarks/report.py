"""`make bench`: every benchmark in benchmarks/ in turn, then one table of their figures,
docs/benchmarks.md.

Each script prints its own report and, given `--json PATH`, also writes its figures there as
rows (`row`): the figure, the baseline measured beside it in the same run, its target, and
whether it met it. This module runs the scripts one after the other (each one's output kept
in var/bench/<script>.log, its rows in var/bench/<script>.json), describes the machine, and
writes the table with the figures that missed listed under it.

Run from the repository root: `.venv/bin/python -m benchmarks.report [--long]
[--only staff_pages,booking_pages]`. `--long` gives the soak its full ten minutes. Scripts
left out by `--only` show their last run's figures (kept in var/bench/, with the time each
started); a script that is not there, or never ran, is in the table as "not run".
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "benchmarks.md"
LOGS = ROOT / "var" / "bench"

#: How the page benchmarks serve and load the portal (issue 14: gunicorn, 2 workers, 16
#: concurrent connections).
PAGES = ("--workers", "2", "--concurrency", "16")


def row(
    group: str,
    figure: str,
    value: str,
    baseline: str = "",
    target: str = "",
    met: bool | None = None,
) -> dict:
    """One line of the table: strings as they are shown; `met` is None for a figure
    reported without a target."""
    return {
        "group": group,
        "figure": figure,
        "value": value,
        "baseline": baseline,
        "target": target,
        "met": met,
    }


def page_row(
    group: str,
    page: str,
    mine: dict,
    bare: dict,
    *,
    share: float = 0.5,
    p95_ms: float = 50,
    cpu_ms: tuple[float, float] | None = None,
) -> dict:
    """A page measured against the bare page in the same run (both as
    `benchmarks.sandbox_lists.measure` returns them): at least `share` of the bare page's
    requests per second, and a p95 under `p95_ms`. `cpu_ms`: the page's and the bare page's
    processor time per request in process, which a busy machine does not change much."""
    ratio = mine["rps"] / bare["rps"]
    cpu = (f"; {cpu_ms[0]:.1f} ms CPU", f"; {cpu_ms[1]:.1f} ms CPU") if cpu_ms else ("", "")
    return row(
        group,
        page,
        f"{mine['rps']:.0f} req/s ({ratio:.2f}x), p50 {mine['p50']:.1f} ms, "
        f"p95 {mine['p95']:.1f} ms{cpu[0]}",
        f"bare page {bare['rps']:.0f} req/s, p50 {bare['p50']:.1f} ms, "
        f"p95 {bare['p95']:.1f} ms{cpu[1]}",
        f"≥ {share:.2g}x bare req/s, p95 < {p95_ms:.0f} ms",
        ratio >= share and mine["p95"] < p95_ms,
    )


def write_rows(path: str | None, rows: list[dict]) -> None:
    """The rows as `--json PATH` asks for them (nothing without a path)."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(rows, indent=2, ensure_ascii=False))


# --- the run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Script:
    name: str  # benchmarks/<name>.py
    group: str  # what the table calls its figures when it did not run
    args: tuple[str, ...] = ()
    long_args: tuple[str, ...] | None = None  # with --long, instead of `args`
    env: dict = field(default_factory=dict)


SCRIPTS = (
    Script("sandbox_lists", "Sandbox lists"),
    # The portal's settings default to production; this one runs on development defaults.
    Script("portal_sync", "First sync", env={"DEBUG": "1"}),
    Script("broker_stress", "Embedded broker"),
    Script(
        "soak",
        "Soak",
        args=("--duration", "120", "--settle", "120"),
        long_args=(),  # its own defaults: ten minutes, three to settle
    ),
    Script("scale_out", "Scale-out"),
    Script("staff_pages", "Staff pages", PAGES),
    Script("booking_pages", "Booking pages", PAGES),
    Script("garage_pages", "Garage pages", PAGES),
    Script("dashboard_pages", "Dashboard", PAGES),
)


@dataclass
class Run:
    script: Script
    rows: list[dict]
    seconds: float | None = None  # None: not run
    load: str = ""  # the load average when it started
    args: tuple[str, ...] = ()
    started: str = ""  # when, "HH:MM UTC"

    def save(self) -> None:
        """Kept in var/bench/<script>.run.json, for a later `--only` run to show again."""
        record = {k: getattr(self, k) for k in ("rows", "seconds", "load", "args", "started")}
        (LOGS / f"{self.script.name}.run.json").write_text(json.dumps(record, indent=2))

    @classmethod
    def last(cls, script: Script) -> Run:
        """The script's last run, as `save` kept it ("not run" when there is none)."""
        path = LOGS / f"{script.name}.run.json"
        if not path.exists():
            return cls(script, [row(script.group, f"{script.name}.py", "not run")])
        record = json.loads(path.read_text())
        return cls(script, **{**record, "args": tuple(record["args"])})


def load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def run_script(script: Script, long: bool) -> Run:
    """The script, its output in var/bench/<name>.log; its rows (a row saying it failed when
    it exited with an error)."""
    path = ROOT / "benchmarks" / f"{script.name}.py"
    if not path.exists():
        return Run(script, [row(script.group, path.name, "not run (no such script)")])
    LOGS.mkdir(parents=True, exist_ok=True)
    rows_path, log_path = LOGS / f"{script.name}.json", LOGS / f"{script.name}.log"
    rows_path.unlink(missing_ok=True)
    args = script.long_args if long and script.long_args is not None else script.args
    command = [
        str(path.relative_to(ROOT)),
        *args,
        "--json",
        str(rows_path.relative_to(ROOT)),
    ]
    load, started = load_average(), time.monotonic()
    clock = datetime.now(UTC).strftime("%H:%M UTC")
    print(f"==> {' '.join(command)} (log: {log_path.relative_to(ROOT)})", flush=True)
    with log_path.open("w") as log:
        status = subprocess.run(
            [sys.executable, *command],
            cwd=ROOT,
            env={**os.environ, **script.env},
            stdout=log,
            stderr=log,
        ).returncode
    seconds = time.monotonic() - started
    rows = json.loads(rows_path.read_text()) if rows_path.exists() else []
    if status != 0:
        rows.append(
            row(
                script.group,
                f"{path.name} run",
                f"exited with status {status} (see var/bench/{log_path.name})",
                met=False,
            )
        )
    missed = sum(r["met"] is False for r in rows)
    print(f"    {seconds / 60:.1f} min: {len(rows)} figures, {missed} missed", flush=True)
    run = Run(script, rows, seconds, load, args, clock)
    run.save()
    return run


# --- the document --------------------------------------------------------------------------


def database(url: str | None) -> str:
    """What a DATABASE_URL names, with PostgreSQL's version; SQLite when it is not set."""
    if not url or url.startswith("sqlite"):
        return "SQLite (a new file per run)"
    try:
        import psycopg

        with psycopg.connect(
            url.replace("postgresql+psycopg", "postgresql"), connect_timeout=5
        ) as c:
            version = c.execute("SHOW server_version").fetchone()[0]
        return f"PostgreSQL {version} (a new database per run)"
    except Exception as error:  # described, not fatal: each script says more
        return f"{url.split('://')[0]} (not reachable from here: {error})"


def machine() -> dict[str, str]:
    """The machine and software the figures were measured on."""
    meminfo = Path("/proc/meminfo")
    memory = next(
        (
            f"{int(line.split()[1]) / 2**20:.1f} GiB"
            for line in (meminfo.read_text().splitlines() if meminfo.exists() else [])
            if line.startswith("MemTotal:")
        ),
        "unknown",
    )
    cpuinfo = Path("/proc/cpuinfo")
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in (cpuinfo.read_text().splitlines() if cpuinfo.exists() else [])
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    import django
    import gunicorn

    return {
        "processor": f"{os.cpu_count()} cores ({model})",
        "memory": memory,
        "system": platform.platform(),
        "Python": platform.python_version(),
        "software": f"Django {django.get_version()}, gunicorn {gunicorn.__version__}",
        "portal database (the page benchmarks)": database(os.environ.get("DATABASE_URL")),
        "sandbox database (sandbox_lists, portal_sync)": database(
            os.environ.get("SANDBOX_DATABASE_URL")
        ),
        "always the same": "portal_sync's portal on SQLite and the filesystem broker; the soak "
        "on `make run`'s embedded defaults; scale_out on PostgreSQL and Redis of its own",
        "commit": commit or "unknown",
    }


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def verdict(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "—"}[met]


def render(runs: list[Run], described: dict[str, str], started: str, load: str) -> str:
    """docs/benchmarks.md: the machine, one table of every figure, and what missed."""
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`benchmarks/report.py`), which runs every script in",
        "`benchmarks/` and collects the figures each writes with `--json`. Each figure stands",
        "beside its baseline, measured in the same run on the same machine. Pages are served by",
        "gunicorn (2 workers, 8 threads each, DEBUG off) and loaded over 16 concurrent",
        "connections; the bare page is a Django view rendering the portal's own `base.html`",
        "through the same middleware (`/bare/`, benchmarks/booking_urls.py). On PostgreSQL:",
        "`DATABASE_URL=postgresql://… SANDBOX_DATABASE_URL=postgresql://… make bench` (each",
        "script makes a new database beside the one named, and drops it). A page's figures",
        "end with the processor time of one request measured in process: its own cost, which",
        "a busy machine changes little, unlike requests per second and latency.",
        "",
        "## The machine",
        "",
        f"- written: {started}; load average (1 / 5 / 15 min) when the run began {load}, "
        f"at its end {load_average()}",
    ]
    lines += [f"- {name}: {value}" for name, value in described.items()]
    lines += ["", "## The figures", ""]
    lines += [
        "| | figure | value | baseline (same run) | target | |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    previous = None
    rows = [r for run in runs for r in run.rows]
    for r in rows:
        group = r["group"] if r["group"] != previous else ""
        previous = r["group"]
        lines.append(
            "| "
            + " | ".join(
                cell(text)
                for text in (
                    f"**{group}**" if group else "",
                    r["figure"],
                    r["value"],
                    r["baseline"],
                    r["target"],
                    verdict(r["met"]),
                )
            )
            + " |"
        )
    lines += ["", "Each script's run (its whole output is in var/bench/<script>.log):", ""]
    for run in runs:
        if run.seconds is None:
            lines.append(f"- `{run.script.name}.py`: not run")
        else:
            command = " ".join((f"{run.script.name}.py", *run.args))
            lines.append(
                f"- `{command}`: started {run.started}, {run.seconds / 60:.1f} min, "
                f"load average then {run.load}"
            )
    lines += [
        "",
        f"The runs add up to {sum(run.seconds or 0 for run in runs) / 60:.0f} min.",
        "",
        "## What misses, and why",
        "",
    ]
    missed = [r for r in rows if r["met"] is False]
    if not missed:
        lines.append("Every figure with a target met it.")
    else:
        lines += [
            f"- {r['group']}, {r['figure']}: {r['value']} (target {r['target'] or '—'})"
            for r in missed
        ]
        lines += [
            "",
            "<!-- The explanation below is written by hand after the run. -->",
            "**Why:** _not written yet — whoever commits this table explains each miss here._",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", action="store_true", help="the soak's full ten minutes")
    parser.add_argument(
        "--only",
        default="",
        help="scripts to run, e.g. staff_pages,soak (the others: their last run's figures)",
    )
    parser.add_argument("--output", default=str(OUTPUT))
    args = parser.parse_args()
    chosen = set(filter(None, args.only.split(",")))
    unknown = chosen - {script.name for script in SCRIPTS}
    if unknown:
        parser.error(f"no such benchmark: {', '.join(sorted(unknown))}")

    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = load_average()
    described = machine()
    runs = []
    for script in SCRIPTS:
        if chosen and script.name not in chosen:
            runs.append(Run.last(script))
        else:
            runs.append(run_script(script, args.long))
    Path(args.output).write_text(render(runs, described, started, load))
    print(f"==> {args.output}")


if __name__ == "__main__":
    main()
