"""`python -m sandbox simulate [--speed N] [--seed N] [--once]`: make the seeded shops busy."""

import random
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from sandbox.simulator.day import BusyDay

# At speed 1 a shop changes every few seconds: about what a busy multi-shop account sees.
SECONDS_PER_STEP = 4.0


class Command(BaseCommand):
    help = (
        "Simulate a busy day in the seeded shops: customers, appointments, work orders, "
        "payments, inspections and stock, all through the service layer (so webhooks fire)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--speed",
            type=float,
            default=1.0,
            help="Pace: 1 (the default) is a step every 4 s on average, 10 is ten times faster.",
        )
        parser.add_argument("--seed", type=int, help="Make the choices repeatable.")
        parser.add_argument("--once", action="store_true", help="Make one step, then exit.")

    def handle(self, *args, speed: float, seed: int | None, once: bool, **options):
        if speed <= 0:
            raise CommandError("--speed must be positive.")
        day = BusyDay(random.Random(seed))
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        interval = SECONDS_PER_STEP / speed
        while not stop.is_set():
            close_old_connections()
            for change in day.step():
                self.stdout.write(change)
            self.stdout.flush()
            if once:
                return
            # ±50% around the pace, so changes do not arrive like a metronome.
            stop.wait(interval * day.rng.uniform(0.5, 1.5))
