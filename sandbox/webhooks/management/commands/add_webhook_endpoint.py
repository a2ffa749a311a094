"""`python -m sandbox add_webhook_endpoint --account ID --url URL [--json]`."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator

from sandbox.core.models import Account
from sandbox.webhooks.destinations import ForbiddenDestination, check_url
from sandbox.webhooks.models import Endpoint


class Command(BaseCommand):
    help = "Add a webhook endpoint to an account (Settings → Webhooks); prints its id and secret."

    def add_arguments(self, parser):
        parser.add_argument("--account", type=int, required=True, help="The account's id.")
        parser.add_argument("--url", required=True, help="Where to POST the events.")
        parser.add_argument("--json", action="store_true", dest="as_json", help="Print JSON.")

    def handle(self, *args, account: int, url: str, as_json: bool, **options):
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise CommandError(f"Not an http(s) URL: {url}") from None
        try:
            check_url(url)
        except ForbiddenDestination as error:
            raise CommandError(str(error)) from None
        owner = Account.objects.filter(pk=account).first()
        if owner is None:
            raise CommandError(f"No account with id {account}.")
        endpoint = Endpoint.objects.create(account=owner, url=url)
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "id": endpoint.id,
                        "account_id": owner.id,
                        "url": url,
                        "secret": endpoint.secret,
                    }
                )
            )
        else:
            self.stdout.write(f"Endpoint {endpoint.id} of {owner.name}: {url}")
            self.stdout.write(f"Signing secret: {endpoint.secret}")
