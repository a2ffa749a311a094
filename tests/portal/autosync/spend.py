"""A separate process spending a shared budget: `python -m tests.portal.autosync.spend ...`.

Without --api it only takes room from the budget (timeout 0) and prints how many it got; with
--api it makes --count GETs through a client and prints every status it received, as JSON.
"""

import argparse
import json

from portal.autosync.budget import budget_from_url
from portal.autosync.client import AutoSyncClient
from portal.autosync.errors import AutoSyncError, BudgetExhausted
from portal.autosync.tokens import StaticToken


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--priority", default="background")
    parser.add_argument("--api")
    parser.add_argument("--token")
    parser.add_argument("--shop", type=int)
    args = parser.parse_args()
    budget = budget_from_url(args.budget)

    if not args.api:
        admitted = 0
        for _ in range(args.count):
            try:
                budget.acquire(args.key, args.priority, timeout=0)
                admitted += 1
            except BudgetExhausted:
                pass
        print(json.dumps({"admitted": admitted}))
        return

    statuses: list = []
    client = AutoSyncClient(
        args.api,
        StaticToken(args.token),
        budget=budget,
        budget_key=args.key,
        priority=args.priority,
        timeout=30,
        retries=0,  # any failure must show, not be retried away
        on_request=lambda method, path, status, seconds: statuses.append(status),
    )
    failures = []
    for _ in range(args.count):
        try:
            client.get_shop(args.shop)
        except AutoSyncError as error:
            failures.append(repr(error))
    print(json.dumps({"statuses": statuses, "failures": failures}))


if __name__ == "__main__":
    main()
