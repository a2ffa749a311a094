"""The embedded broker under stress: kombu's stock filesystem transport beside portal.broker.

Run from the repository root: `.venv/bin/python benchmarks/broker_stress.py [--rounds 5]`.
Each round starts 3 producer and 3 consumer processes on a fresh folder; the producers put
300 messages of 2 KB each while the consumers take them as fast as they can. A consumer
error is what would have stopped a Celery worker ("Unrecoverable error: JSONDecodeError").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.report import row, write_rows  # noqa: E402
from tests.support.broker_stress import OURS, STOCK, run  # noqa: E402

COLUMNS = ("sent", "received", "lost", "duplicated", "corrupt", "consumer_errors", "seconds")
FAULTS = ("lost", "duplicated", "corrupt", "consumer_errors")


def faults(totals: dict) -> str:
    return ", ".join(f"{totals[c]} {c.replace('_', ' ')}" for c in FAULTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="also write the figures here, as rows of the table")
    args = parser.parse_args()
    tallies = {}
    print(f"{'transport':<26}" + "".join(f"{c:>16}" for c in COLUMNS))
    for label, transport in (("kombu filesystem (stock)", STOCK), ("portal.broker", OURS)):
        totals = dict.fromkeys(COLUMNS, 0)
        kinds: dict[str, int] = {}
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as folder:
                tally = run(transport, Path(folder))
            for column in COLUMNS:
                totals[column] += tally[column]
            for kind, n in tally["error_kinds"].items():
                kinds[kind] = kinds.get(kind, 0) + n
        totals["seconds"] = round(totals["seconds"], 1)
        tallies[transport] = totals
        print(f"{label:<26}" + "".join(f"{totals[c]:>16}" for c in COLUMNS))
        if kinds:
            print(f"{'':<26}errors: {kinds}")

    ours, stock = tallies[OURS], tallies[STOCK]
    write_rows(
        args.json,
        [
            row(
                "Embedded broker",
                f"portal.broker: {ours['sent']:,} messages, 3 producers, 3 consumers",
                f"{faults(ours)} in {ours['seconds']} s",
                f"kombu's stock filesystem transport: {faults(stock)} in {stock['seconds']} s",
                "none lost, duplicated, corrupt or failing",
                not any(ours[c] for c in FAULTS),
            )
        ],
    )


if __name__ == "__main__":
    main()
