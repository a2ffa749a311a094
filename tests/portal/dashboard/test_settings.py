"""A shop's settings: booking rules, opening hours, closed dates and the service menu, changed
by owners and managers only, with clear messages that keep what was entered."""

# The fixtures come from manage_support (imported, so tests name them as parameters).
# ruff: noqa: F811

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from portal.booking.models import BookingSettings, ClosedDate, OpeningHours, Service
from portal.dashboard.models import DEFAULT_HOURS, StuckThreshold, thresholds_for
from tests.support.factories import portal_booking

from .manage_support import a_weekday_at, manager, shop  # noqa: F401

pytestmark = pytest.mark.django_db


def url(shop, section: str = "") -> str:
    return f"/shops/{shop.pk}/settings/{section}"


BOOKING = {
    "enabled": "on",
    "mode": "request",
    "slot_minutes": "15",
    "capacity": "3",
    "notice_minutes": "60",
    "horizon_days": "14",
    "public_text": "Park behind the building.",
}


def hours_data(shop, rows: list[tuple], existing=None) -> dict:
    """The opening hours formset posted with `rows` of (weekday, opens, closes[, delete])
    after the shop's existing periods (each kept as it is unless given in `existing`)."""
    periods = list(OpeningHours.objects.filter(shop=shop).order_by("weekday", "opens"))
    existing = existing or {}
    data = {
        "hours-TOTAL_FORMS": str(len(periods) + len(rows)),
        "hours-INITIAL_FORMS": str(len(periods)),
    }
    for n, period in enumerate(periods):
        weekday, opens, closes, *delete = existing.get(
            n, (period.weekday, f"{period.opens:%H:%M}", f"{period.closes:%H:%M}")
        )
        data |= {
            f"hours-{n}-id": str(period.pk),
            f"hours-{n}-weekday": str(weekday),
            f"hours-{n}-opens": opens,
            f"hours-{n}-closes": closes,
        }
        if delete:
            data[f"hours-{n}-DELETE"] = "on"
    for m, (weekday, opens, closes) in enumerate(rows, start=len(periods)):
        data |= {
            f"hours-{m}-weekday": str(weekday),
            f"hours-{m}-opens": opens,
            f"hours-{m}-closes": closes,
        }
    return data


def services_data(shop, changes=None, new=None) -> dict:
    menu = list(Service.objects.filter(shop=shop))
    changes = changes or {}
    data = {
        "services-TOTAL_FORMS": str(len(menu) + 1),
        "services-INITIAL_FORMS": str(len(menu)),
    }
    for n, service in enumerate(menu):
        row = {
            "id": str(service.pk),
            "name": service.name,
            "description": service.description,
            "minutes": str(service.minutes),
            "ORDER": str(n + 1),
            "offered": "on" if service.offered else "",
            **changes.get(n, {}),
        }
        data |= {f"services-{n}-{key}": value for key, value in row.items() if value != ""}
    for key, value in (new or {}).items():
        data[f"services-{len(menu)}-{key}"] = value
    return data


# --- Booking settings ---------------------------------------------------------------------


def test_the_settings_page_shows_every_section_to_an_owner(client, cast, shop):
    client.force_login(cast.owner)
    page = client.get(url(shop)).content.decode()
    titles = ("Online booking", "Opening hours", "Closed dates", "Services", "Stuck work orders")
    for title in (*titles, "Team"):
        assert f">{title}</h2>" in page
    assert f'href="/shops/{shop.pk}/#team"' in page  # the team is the shop page's


def test_an_owner_changes_how_the_shop_takes_bookings(client, cast, shop):
    client.force_login(cast.owner)
    response = client.post(url(shop, "booking/"), BOOKING)
    assert response.status_code == 302
    settings = BookingSettings.objects.get(shop=shop)
    assert (settings.mode, settings.slot_minutes, settings.capacity) == ("request", 15, 3)
    assert (settings.notice_minutes, settings.horizon_days) == (60, 14)
    assert settings.public_text == "Park behind the building."


def test_the_public_booking_page_shows_the_shops_text(client, cast, shop):
    client.force_login(cast.owner)
    client.post(url(shop, "booking/"), BOOKING)
    assert "Park behind the building." in client.get(f"/book/{shop.slug}/").content.decode()


def test_a_manager_may_change_the_settings_too(client, cast, shop, manager):
    client.force_login(manager)
    assert client.get(url(shop)).status_code == 200
    assert client.post(url(shop, "booking/"), BOOKING).status_code == 302


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("slot_minutes", "4", "A slot must be at least 5 minutes."),
        ("slot_minutes", "600", "A slot can be at most 8 hours"),
        ("capacity", "0", "at least one bay"),
        ("horizon_days", "0", "at least one day ahead"),
        ("horizon_days", "500", "at most a year"),
        ("notice_minutes", "-5", "greater than or equal to 0"),
        ("mode", "sometimes", "Select a valid choice"),
    ],
)
def test_bad_booking_settings_are_refused_with_a_message_and_kept(
    client, cast, shop, field, value, message
):
    client.force_login(cast.owner)
    response = client.post(url(shop, "booking/"), {**BOOKING, field: value})
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page
    assert "Park behind the building." in page  # what was entered stays
    assert BookingSettings.objects.get(shop=shop).slot_minutes == 30


# --- Opening hours ------------------------------------------------------------------------


def test_an_owner_adds_a_saturday_morning_and_splits_monday_for_lunch(client, cast, shop):
    client.force_login(cast.owner)
    monday = {0: (0, "08:00", "12:00")}
    data = hours_data(shop, [(5, "09:00", "13:00"), (0, "13:00", "17:00")], existing=monday)
    assert client.post(url(shop, "hours/"), data).status_code == 302
    assert [
        (p.weekday, p.opens, p.closes) for p in OpeningHours.objects.filter(shop=shop, weekday=0)
    ] == [(0, time(8), time(12)), (0, time(13), time(17))]
    assert OpeningHours.objects.filter(shop=shop, weekday=5, opens=time(9)).exists()


def test_an_owner_closes_fridays_by_removing_their_period(client, cast, shop):
    client.force_login(cast.owner)
    data = hours_data(shop, [], existing={4: (4, "08:00", "17:00", "delete")})
    assert client.post(url(shop, "hours/"), data).status_code == 302
    assert not OpeningHours.objects.filter(shop=shop, weekday=4).exists()


def test_closing_before_opening_is_refused_with_a_message_and_kept(client, cast, shop):
    client.force_login(cast.owner)
    data = hours_data(shop, [(5, "14:00", "09:30")])
    response = client.post(url(shop, "hours/"), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Closing must be after opening." in page and 'value="09:30"' in page
    assert not OpeningHours.objects.filter(shop=shop, weekday=5).exists()


def test_overlapping_hours_of_one_day_are_refused(client, cast, shop):
    client.force_login(cast.owner)
    response = client.post(url(shop, "hours/"), hours_data(shop, [(0, "16:00", "19:00")]))
    assert response.status_code == 422
    assert "overlaps another period of the day, open until 17:00" in response.content.decode()
    assert OpeningHours.objects.filter(shop=shop, weekday=0).count() == 1


def test_a_period_of_another_shop_cannot_be_edited_through_the_form(client, cast, shop):
    other = cast.stranger.memberships.get().shop
    theirs = OpeningHours.objects.create(shop=other, weekday=6, opens=time(9), closes=time(10))
    client.force_login(cast.owner)
    data = hours_data(shop, [])
    data |= {"hours-0-id": str(theirs.pk)}
    client.post(url(shop, "hours/"), data)
    theirs.refresh_from_db()
    assert theirs.shop == other and theirs.weekday == 6


# --- Closed dates -------------------------------------------------------------------------


def test_an_owner_adds_and_removes_a_closed_date(client, cast, shop):
    client.force_login(cast.owner)
    day = timezone.now().date() + timedelta(days=10)
    response = client.post(url(shop, "closed/"), {"date": day.isoformat(), "reason": "Holiday"})
    assert response.status_code == 302
    closed = ClosedDate.objects.get(shop=shop)
    assert closed.date == day and closed.reason == "Holiday"
    assert "Holiday" in client.get(url(shop)).content.decode()
    client.post(url(shop, f"closed/{closed.pk}/remove/"))
    assert not ClosedDate.objects.filter(shop=shop).exists()


def test_a_closed_date_in_the_past_or_twice_is_refused(client, cast, shop):
    client.force_login(cast.owner)
    past = timezone.now().date() - timedelta(days=3)
    response = client.post(url(shop, "closed/"), {"date": past.isoformat(), "reason": "Oops"})
    assert response.status_code == 422 and "That day has passed" in response.content.decode()
    assert 'value="Oops"' in response.content.decode()
    day = timezone.now().date() + timedelta(days=10)
    ClosedDate.objects.create(shop=shop, date=day)
    response = client.post(url(shop, "closed/"), {"date": day.isoformat()})
    assert "already closed that day" in response.content.decode()


# --- Services -----------------------------------------------------------------------------


def test_an_owner_adds_renames_and_reorders_services(client, cast, shop):
    client.force_login(cast.owner)
    data = services_data(
        shop,
        changes={0: {"name": "Oil change", "ORDER": "9"}},
        new={"name": "Wheel alignment", "minutes": "45", "offered": "on", "ORDER": "1"},
    )
    assert client.post(url(shop, "services/"), data).status_code == 302
    names = list(Service.objects.filter(shop=shop).values_list("name", flat=True))
    assert names[:2] == ["Wheel alignment", "Tire rotation"] and names[-1] == "Oil change"


def test_removing_a_service_deletes_it_unless_a_booking_names_it(client, cast, shop):
    menu = list(Service.objects.filter(shop=shop))
    booking = portal_booking(shop, a_weekday_at(shop, 10), state="confirmed")
    booking.services.set([menu[1]])
    client.force_login(cast.owner)
    data = services_data(shop, changes={0: {"DELETE": "on"}, 1: {"DELETE": "on"}})
    assert client.post(url(shop, "services/"), data).status_code == 302
    assert not Service.objects.filter(pk=menu[0].pk).exists()
    menu[1].refresh_from_db()
    assert menu[1].offered is False  # retired: the booking still names it


def test_a_service_without_a_name_or_minutes_is_refused_and_kept(client, cast, shop):
    client.force_login(cast.owner)
    data = services_data(shop, changes={2: {"name": "", "minutes": "0", "description": "Kept"}})
    response = client.post(url(shop, "services/"), data)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Give the service a name." in page and "A service takes at least one minute." in page
    assert ">Kept<" in page or 'value="Kept"' in page


# --- Stuck thresholds of the board ---------------------------------------------------------


def test_an_owner_sets_a_stuck_threshold_and_empties_another_back_to_its_default(
    client, cast, shop
):
    StuckThreshold.objects.create(shop=shop, status="draft", hours=3)
    client.force_login(cast.owner)
    page = client.get(url(shop)).content.decode()
    assert "Stuck work orders" in page and "Empty: 48 hours." in page
    response = client.post(url(shop, "stuck/"), {"waiting_parts": "24", "draft": ""})
    assert response.status_code == 302
    assert thresholds_for(shop)["waiting_parts"] == timedelta(hours=24)
    assert thresholds_for(shop)["draft"] == timedelta(hours=DEFAULT_HOURS["draft"])


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "At least one hour."), ("99999", "At most"), ("two", "A whole number of hours.")],
)
def test_a_bad_stuck_threshold_is_refused_with_a_message_and_kept(
    client, cast, shop, value, message
):
    client.force_login(cast.owner)
    response = client.post(url(shop, "stuck/"), {"waiting_parts": value, "draft": "5"})
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page and 'value="5"' in page
    assert not StuckThreshold.objects.filter(shop=shop).exists()


# --- Who may change them ------------------------------------------------------------------

POSTS = ["booking/", "hours/", "closed/", "services/", "stuck/"]


def test_staff_get_403_on_every_settings_page_and_change(client, cast, shop):
    closed = ClosedDate.objects.create(shop=shop, date=timezone.now().date() + timedelta(days=5))
    client.force_login(cast.teammate)
    assert client.get(url(shop)).status_code == 403
    for section in [*POSTS, f"closed/{closed.pk}/remove/"]:
        assert client.post(url(shop, section), BOOKING).status_code == 403
    assert BookingSettings.objects.get(shop=shop).mode == "instant"
    assert ClosedDate.objects.filter(pk=closed.pk).exists()


def test_staff_do_not_see_the_settings_link(client, cast, shop):
    client.force_login(cast.teammate)
    assert (
        f"/shops/{shop.pk}/settings/" not in client.get(f"/shops/{shop.pk}/inbox/").content.decode()
    )


def test_a_stranger_gets_404_on_every_settings_page_and_change(client, cast, shop):
    closed = ClosedDate.objects.create(shop=shop, date=timezone.now().date() + timedelta(days=5))
    client.force_login(cast.stranger)
    assert client.get(url(shop)).status_code == 404
    for section in [*POSTS, f"closed/{closed.pk}/remove/"]:
        assert client.post(url(shop, section), BOOKING).status_code == 404
    assert ClosedDate.objects.filter(pk=closed.pk).exists()


def test_an_owner_of_another_shop_cannot_remove_this_shops_closed_date(client, cast, shop):
    closed = ClosedDate.objects.create(shop=shop, date=timezone.now().date() + timedelta(days=5))
    own = cast.stranger.memberships.get().shop
    client.force_login(cast.stranger)
    assert client.post(url(own, f"closed/{closed.pk}/remove/")).status_code == 404
    assert ClosedDate.objects.filter(pk=closed.pk).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, shop):
    for response in (client.get(url(shop)), client.post(url(shop, "booking/"), BOOKING)):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Cost ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 10])
def test_the_settings_page_costs_the_same_queries_with_one_row_or_many(
    client, cast, shop, rows, django_assert_num_queries
):
    OpeningHours.objects.filter(shop=shop).delete()
    Service.objects.filter(shop=shop).delete()
    # Never today: a shop open right now costs its alerts one query more (the newest webhook).
    today = timezone.now().astimezone(shop.zone).weekday()
    for n in range(rows):
        weekday = (today + 1 + n % 6) % 7
        OpeningHours.objects.create(shop=shop, weekday=weekday, opens=time(n), closes=time(n, 30))
        Service.objects.create(shop=shop, name=f"Service {n}", position=n)
        ClosedDate.objects.create(shop=shop, date=timezone.now().date() + timedelta(days=n + 1))
    client.force_login(cast.owner)
    client.get(url(shop))
    with django_assert_num_queries(11):
        response = client.get(url(shop))
    assert response.content.decode().count('class="period"') == rows + 2
