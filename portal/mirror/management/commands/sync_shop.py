"""`python manage.py sync_shop SHOP [--mode full|incremental|open]`: one sync, in the foreground."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from portal.mirror import books, lease, sync
from portal.mirror.models import SyncRun
from portal.shops.models import Shop


class Command(BaseCommand):
    help = "Run one sync of a shop now, in this process (SHOP: its AutoSync id or portal slug)."

    def add_arguments(self, parser):
        parser.add_argument("shop", help="The shop's AutoSync id or portal slug.")
        parser.add_argument(
            "--mode", choices=SyncRun.Mode.values, default=SyncRun.Mode.FULL, help="Default: full."
        )

    def handle(self, *args, shop: str, mode: str, **options):
        found = Shop.objects.filter(slug=shop).first()
        if found is None and shop.isdigit():
            found = Shop.objects.filter(remote_id=int(shop)).first()
        if found is None:
            raise CommandError(f"No shop with AutoSync id or slug {shop!r}.")
        if not found.is_syncable:
            raise CommandError(f"{found.name} is not syncable ({found.health_label().lower()}).")
        sync_run = SyncRun.objects.create(shop=found, mode=mode)
        try:
            # In the foreground: waiting for the request budget is fine here.
            sync_run = sync.run(sync_run.pk, budget_timeout=3600)
        except lease.LeaseBusy as busy:
            SyncRun.objects.filter(pk=sync_run.pk).update(
                status=SyncRun.Status.SKIPPED, error=str(busy)
            )
            raise CommandError(f"Another sync of {found.name} is running ({busy}).") from None
        except Exception as exc:
            SyncRun.objects.filter(pk=sync_run.pk).update(
                status=SyncRun.Status.FAILED, error=str(exc)[:2000]
            )
            raise CommandError(f"The sync failed: {exc}") from exc
        self.stdout.write(
            f"{sync_run.get_mode_display()} sync of {found.name}: {sync_run.get_status_display()}"
            f" after {sync_run.requests} requests"
            + (f" ({sync_run.error})" if sync_run.error else "")
        )
        for name, book in books.status_of(found).items():
            self.stdout.write(f"  {name}: {book['mirrored']} of {book['remote_total']}")
