"""`python -m sandbox seed`: fill an empty sandbox database with realistic shops."""

import json
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sandbox.core.seeding.builder import SCALES, is_empty, seed_database


class Command(BaseCommand):
    help = (
        "Fill an EMPTY database with accounts, shops and months of history, deterministically. "
        "With --json, print the accounts with their users, passwords and API keys."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--scale",
            choices=sorted(SCALES),
            default="small",
            help="small: tests; demo: `make run`; large: benchmarks.",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print one JSON object: accounts, users, API keys, shops.",
        )

    def handle(self, *args, **options) -> None:
        scale = options["scale"]
        if not is_empty():
            raise CommandError(
                "The database already has shop records; seed only fills an empty one. "
                "Use a new database, or empty this one with `python -m sandbox flush`."
            )
        started = time.monotonic()
        summary = seed_database(options["seed"], scale)
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(f"Seeded at scale {scale} in {time.monotonic() - started:.1f} s.")
        for account in summary["accounts"]:
            self.stdout.write(f"\n{account['name']}  API key: {account['api_key']}")
            for user in account["users"]:
                self.stdout.write(f"  user {user['username']}  password {user['password']}")
            for shop in account["shops"]:
                self.stdout.write(f"  shop {shop['id']}: {shop['name']}")
