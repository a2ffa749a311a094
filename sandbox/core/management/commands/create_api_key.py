"""`python -m sandbox create_api_key --account ID [--name NAME] [--count N] [--json]`."""

import json

from django.core.management.base import BaseCommand, CommandError

from sandbox.core.keys import new_api_key
from sandbox.core.models import Account


class Command(BaseCommand):
    help = "Create API keys for an account and print them (they are shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("--account", type=int, required=True, help="The account's id.")
        parser.add_argument("--name", default="Created from the command line")
        parser.add_argument("--count", type=int, default=1)
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help='Print {"keys": [...]}.'
        )

    def handle(self, *args, account: int, name: str, count: int, as_json: bool, **options):
        owner = Account.objects.filter(pk=account).first()
        if owner is None:
            raise CommandError(f"There is no account {account}.")
        keys = [new_api_key(owner, name)[1] for _ in range(count)]
        self.stdout.write(json.dumps({"keys": keys}) if as_json else "\n".join(keys))
