"""The proof: 50 owners book the same time at once through the real `book`; a shop with two
bays gets exactly two bookings, and everyone else is offered the nearest free times. Runs on
the suite's database: a SQLite file, or PostgreSQL when DATABASE_URL names one."""

import threading

import pytest
from django.db import connection

from portal.booking.models import Booking
from portal.booking.services import SlotTaken, book

from .conftest import CUSTOMER, NOW, VEHICLE, clock, local

OWNERS = 50


@pytest.mark.django_db(transaction=True)
def test_fifty_owners_booking_one_time_of_two_bays_get_exactly_two_bookings(shop):
    start = local(shop, "2026-06-15 10:00")
    ready = threading.Barrier(OWNERS)
    answers: list = []

    def owner() -> None:
        ready.wait()
        try:
            answers.append(book(shop, start, [], CUSTOMER, VEHICLE, now=NOW))
        except SlotTaken as taken:
            answers.append(taken)
        except Exception as error:  # reported below: any other outcome fails the proof
            answers.append(error)
        finally:
            connection.close()

    owners = [threading.Thread(target=owner) for _ in range(OWNERS)]
    for thread in owners:
        thread.start()
    for thread in owners:
        thread.join()

    refused = [a for a in answers if isinstance(a, SlotTaken)]
    assert [a for a in answers if isinstance(a, Exception) and a not in refused] == []
    assert len(answers) - len(refused) == 2
    assert Booking.objects.filter(shop=shop, starts_at=start).count() == 2
    assert len(refused) == OWNERS - 2
    for taken in refused:
        assert clock(shop, taken.nearest) == ["09:30", "10:30", "09:00"]
