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

from tests.support.broker_stress import OURS, STOCK, run  # noqa: E402

COLUMNS = ("sent", "received", "lost", "duplicated", "corrupt", "consumer_errors", "seconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
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
        print(f"{label:<26}" + "".join(f"{totals[c]:>16}" for c in COLUMNS))
        if kinds:
            print(f"{'':<26}errors: {kinds}")


if __name__ == "__main__":
    main()
