"""`python -m sandbox create_oauth_client`: register a client application."""

import json

from django.core.management.base import BaseCommand, CommandError

from sandbox.oauth.services import InvalidClient, register_client


class Command(BaseCommand):
    help = (
        "Register an OAuth client application and print its client_id, client_secret and "
        "webhook_secret (the client secret is shown once: only its hash is stored)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Shown to users on the consent page.")
        parser.add_argument(
            "--redirect-uri",
            action="append",
            required=True,
            dest="redirect_uris",
            help="A callback URI, matched exactly; repeat for several.",
        )
        parser.add_argument("--webhook-url", default="", help="Where events are delivered.")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print one JSON object."
        )

    def handle(self, *args, name, redirect_uris, webhook_url, as_json, **options):
        try:
            registered = register_client(name, redirect_uris, webhook_url)
        except InvalidClient as error:
            raise CommandError(str(error)) from error
        values = {
            "client_id": registered.client_id,
            "client_secret": registered.client_secret,
            "webhook_secret": registered.webhook_secret,
            "name": registered.client.name,
            "redirect_uris": registered.client.redirect_uri_list,
            "webhook_url": registered.client.webhook_url,
        }
        if as_json:
            self.stdout.write(json.dumps(values))
            return
        self.stdout.write(f"Registered {values['name']}.")
        for key in ("client_id", "client_secret", "webhook_secret"):
            self.stdout.write(f"  {key}: {values[key]}")
        self.stdout.write("The client secret is shown only now; store it safely.")
