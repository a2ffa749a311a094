"""`python manage.py sync_status [--json]`: the mirror's books per shop and resource."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.core.management.base import BaseCommand

from portal.mirror.books import status_of
from portal.shops.models import Shop


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


class Command(BaseCommand):
    help = (
        "Per shop and resource: mirrored count, AutoSync's total at the last look, last "
        "success, last error and requests spent in the last hour."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print JSON.")

    def handle(self, *args, as_json: bool, **options):
        shops = []
        for shop in Shop.objects.order_by("remote_id"):
            resources = status_of(shop)
            for book in resources.values():
                book["last_success"] = iso(book["last_success"])
            shops.append({"autosync_id": shop.remote_id, "name": shop.name, "resources": resources})
        if as_json:
            self.stdout.write(json.dumps({"shops": shops}))
            return
        if not shops:
            self.stdout.write("No shops.")
        for shop in shops:
            self.stdout.write(f"{shop['name']} (AutoSync shop {shop['autosync_id']})")
            self.stdout.write(
                f"  {'resource':<13}{'mirrored':>9}{'remote':>9}  {'last success':<21}"
                f"{'req/h':>6}{'skipped':>8}  last error"
            )
            for name, book in shop["resources"].items():
                remote = "-" if book["remote_total"] is None else book["remote_total"]
                self.stdout.write(
                    f"  {name:<13}{book['mirrored']:>9}{remote:>9}  "
                    f"{book['last_success'] or '-':<21}{book['requests_last_hour']:>6}"
                    f"{book['skipped']:>8}  {book['last_error'] or book['last_skipped'] or ''}"
                )
