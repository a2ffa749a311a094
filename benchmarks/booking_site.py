"""The portal's settings as the booking benchmark serves them: its pages plus the yardstick
(benchmarks/booking_urls.py)."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.booking_urls"
