"""`python -m sandbox prune [--json]`: delete old webhook events, attempts and rate counters."""

import json
from dataclasses import asdict

from django.conf import settings
from django.core.management.base import BaseCommand

from sandbox.webhooks.retention import prune


class Command(BaseCommand):
    help = (
        "Delete webhook events and attempts older than SANDBOX_WEBHOOK_RETENTION_DAYS (events "
        "with a pending delivery stay), finished rate-limit windows, and spent refresh grace "
        "data. The webhook sender also does this every SANDBOX_PRUNE_INTERVAL seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print JSON.")

    def handle(self, *args, as_json: bool, **options):
        pruned = prune()
        if as_json:
            self.stdout.write(json.dumps(asdict(pruned)))
            return
        self.stdout.write(
            f"Deleted {pruned.events} events older than "
            f"{settings.SANDBOX_WEBHOOK_RETENTION_DAYS} days, {pruned.attempts} older attempts, "
            f"{pruned.rate_counters} rate counters; cleared {pruned.sealed_pairs} grace pairs."
        )
