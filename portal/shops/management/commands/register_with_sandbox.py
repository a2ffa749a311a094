"""Register the portal as an OAuth client of a local sandbox and keep the credentials in var/."""

import json
import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Register this portal as a client application of a local AutoSync sandbox (same "
        "SANDBOX_DATABASE_URL) and store its credentials where the settings read them."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sandbox-url", default="http://127.0.0.1:8001")
        parser.add_argument(
            "--force", action="store_true", help="Register again even if a registration exists."
        )

    def handle(self, *args, sandbox_url: str, force: bool, **options):
        path = settings.AUTOSYNC_CLIENT_FILE
        if path.exists() and not force:
            self.stdout.write(f"Already registered ({path}); use --force to register again.")
            return
        base = settings.PORTAL_BASE_URL
        result = subprocess.run(
            [
                sys.executable, "-m", "sandbox", "create_oauth_client",
                "--name", "AutoSync customer portal",
                "--redirect-uri", f"{base}/connect/autosync/callback/",
                "--webhook-url", f"{base}/webhooks/autosync/",
                "--json",
            ],
            cwd=settings.BASE_DIR,
            # manage.py exported the portal's settings module; the sandbox needs its own.
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "sandbox.settings"},
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
        if result.returncode != 0:
            raise CommandError(f"create_oauth_client failed:\n{result.stderr.strip()}")
        try:
            client = json.loads(result.stdout)
        except ValueError:
            raise CommandError("create_oauth_client did not print JSON") from None
        sandbox_url = sandbox_url.rstrip("/")
        registration = {
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "webhook_secret": client["webhook_secret"],
            "api_url": f"{sandbox_url}/v1",
            "authorize_url": f"{sandbox_url}/oauth/authorize",
        }
        # Written owner-only and in one step: the file holds the client secret.
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(registration, f, indent=2)
        os.replace(tmp, path)
        self.stdout.write(
            self.style.SUCCESS(f"Registered with the sandbox as {client['client_id']} ({path}).")
        )
        self.stdout.write("Restart the portal so that its settings read the new registration.")
