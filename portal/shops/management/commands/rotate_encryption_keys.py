"""Re-encrypt every stored token under the first key of PORTAL_ENCRYPTION_KEYS."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal import crypto
from portal.shops.models import Connection


class Command(BaseCommand):
    help = (
        "Re-encrypt the stored OAuth tokens under the first key of PORTAL_ENCRYPTION_KEYS. "
        "Rotation: put the new key first, keep the old ones after it, run this, then drop them."
    )

    def handle(self, *args, **options):
        count = 0
        for pk in Connection.objects.values_list("pk", flat=True):
            with transaction.atomic():
                # The row lock keeps a concurrent token refresh from being overwritten.
                connection = Connection.objects.select_for_update().get(pk=pk)
                fields = ["access_token_encrypted", "refresh_token_encrypted"]
                try:
                    for field in fields:
                        value = getattr(connection, field)
                        if value:
                            setattr(connection, field, crypto.reencrypt(value))
                except crypto.InvalidToken:
                    raise CommandError(
                        f"Connection {pk}: no configured key decrypts its tokens"
                    ) from None
                connection.save(update_fields=fields)
                count += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted the tokens of {count} connections."))
