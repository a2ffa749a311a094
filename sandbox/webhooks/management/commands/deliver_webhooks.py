"""`python -m sandbox deliver_webhooks [--once] [--poll SECONDS]`: the webhook sender."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sandbox.webhooks.sender import Sender


class Command(BaseCommand):
    help = "Deliver pending webhooks, signed, with retries. Several senders may run at once."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Deliver what is due now, then exit."
        )
        parser.add_argument(
            "--poll", type=float, default=0.25, help="Seconds between looks for due deliveries."
        )
        parser.add_argument(
            "--workers", type=int, default=8, help="Deliveries attempted at the same time."
        )

    def handle(self, *args, once: bool, poll: float, workers: int, **options):
        if poll <= 0 or workers < 1:
            raise CommandError("--poll must be positive and --workers at least 1.")
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        if not once:
            self.stdout.write(
                f"Delivering webhooks (retries after {settings.SANDBOX_WEBHOOK_RETRY_SCHEDULE} s); "
                "Ctrl-C stops."
            )
        Sender(workers=workers).run(poll=poll, stop=stop, once=once)
        if not once:
            self.stdout.write("Stopped.")
