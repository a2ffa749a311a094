"""The staff pages say what is true, in plain words, once."""

from datetime import timedelta

import pytest
from django.urls import set_script_prefix
from django.utils import timezone

from portal.mirror.models import RunProgress, SyncRun
from portal.shops.models import Connection

pytestmark = pytest.mark.django_db


def test_the_flash_after_inviting_without_javascript_shows_once(client, cast):
    client.force_login(cast.owner)
    response = client.post(
        f"/shops/{cast.shop.pk}/invite/", {"email": "new@example.com", "role": "staff"}, follow=True
    )
    assert response.content.decode().count("Invite sent to new@example.com") == 1


def test_the_flash_after_inviting_with_htmx_shows_in_the_team(client, cast):
    client.force_login(cast.owner)
    response = client.post(
        f"/shops/{cast.shop.pk}/invite/",
        {"email": "new@example.com", "role": "staff"},
        headers={"HX-Request": "true"},
    )
    assert response.content.decode().count("Invite sent to new@example.com") == 1


def test_the_shop_list_says_when_a_shop_was_disconnected_or_paused(client, cast):
    client.force_login(cast.owner)
    cast.connection.status = Connection.Status.DISCONNECTED
    cast.connection.status_changed_at = timezone.now() - timedelta(minutes=5)
    cast.connection.save()
    page = client.get("/shops/").content.decode()
    assert "Disconnected <time" in page and "5\xa0minutes ago" in page
    assert "Connected <time" not in page and "Token refreshed" not in page

    cast.connection.status = Connection.Status.NEEDS_RECONNECTING
    cast.connection.save()
    page = client.get("/shops/").content.decode()
    assert "Paused <time" in page and "Token refreshed" not in page


def test_the_disconnect_page_says_every_mirrored_record_goes_and_parts_stay(client, cast):
    client.force_login(cast.owner)
    page = client.get(f"/shops/{cast.shop.pk}/disconnect/").content.decode()
    for words in ("work orders", "appointments", "payments", "employees", "parts catalogue"):
        assert words in page


def test_the_shop_page_calls_the_data_by_its_plain_name_and_links_to_the_sync(client, cast):
    client.force_login(cast.teammate)
    page = client.get(f"/shops/{cast.shop.pk}/").content.decode()
    assert "Your AutoSync data" in page and ">Mirror<" not in page
    assert f'href="/shops/{cast.shop.pk}/sync/"' in page


def running_run(shop):
    SyncRun.objects.filter(shop=shop).delete()  # the first sync queued on connecting
    run = SyncRun.objects.create(shop=shop, mode=SyncRun.Mode.FULL, status=SyncRun.Status.RUNNING)
    RunProgress.objects.create(run=run, resource="customers", done=100, total=100, finished=True)
    return run


def test_the_polled_progress_carries_the_records_table_so_both_refresh_together(client, cast):
    running_run(cast.shop)
    client.force_login(cast.owner)
    part = client.get(f"/shops/{cast.shop.pk}/sync/", headers={"HX-Request": "true"})
    html = part.content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert "Read by the last full sync" in html  # the table is inside the swapped part


def test_the_shop_page_panel_polls_the_bars_only(client, cast):
    running_run(cast.shop)
    client.force_login(cast.owner)
    html = client.get(
        f"/shops/{cast.shop.pk}/sync/?panel=1", headers={"HX-Request": "true"}
    ).content.decode()
    assert "?panel=1" in html and "Read by the last full sync" not in html


def test_after_a_disconnect_the_sync_page_shows_the_disconnected_state(client, cast):
    run = running_run(cast.shop)
    run.status = SyncRun.Status.DONE
    run.save()
    cast.connection.status = Connection.Status.DISCONNECTED
    cast.connection.save()
    client.force_login(cast.owner)
    html = client.get(f"/shops/{cast.shop.pk}/sync/").content.decode()
    assert "Not connected" in html and "Last full sync: done" not in html
    assert "<progress" not in html


def test_a_finished_sync_is_announced_to_screen_readers(client, cast):
    run = running_run(cast.shop)
    run.status = SyncRun.Status.DONE
    run.finished_at = timezone.now()
    run.save()
    client.force_login(cast.owner)
    html = client.get(f"/shops/{cast.shop.pk}/sync/", headers={"HX-Request": "true"}).content
    assert b'aria-live="polite">Sync done.</p>' in html


def test_the_sync_bars_and_the_records_table_list_resources_in_one_order(client, cast):
    running_run(cast.shop)
    client.force_login(cast.owner)
    html = client.get(f"/shops/{cast.shop.pk}/sync/").content.decode()
    bars_at = html.index('for="bar-employees"'), html.index('for="bar-customers"')
    table = html[html.index("Read by the last full sync") :]
    rows = [table.index(f">{label}</th>") for label in ("Employees", "Customers", "Vehicles")]
    assert bars_at[0] < bars_at[1] and rows == sorted(rows)


@pytest.mark.parametrize(
    ("name", "status", "words"),
    [
        ("404", 404, "This page does not exist"),
        ("403_csrf", 403, "This form expired"),
        ("500", 500, "Something went wrong"),
        ("403", 403, ""),
        ("rate_limited", 429, "Too many attempts"),
        ("locked_out", 429, "Sign-in paused"),
    ],
)
def test_with_debug_on_the_designed_error_pages_can_be_previewed(
    client, settings, name, status, words
):
    settings.DEBUG = True
    response = client.get(f"/dev/errors/{name}/")
    assert response.status_code == status
    assert words in response.content.decode()
    assert "Django" not in response.content.decode()  # not the technical page


def test_with_debug_off_there_is_no_error_preview(client, settings):
    settings.DEBUG = False
    assert client.get("/dev/errors/").status_code == 404
    assert client.get("/dev/errors/500/").status_code == 404


def test_the_flash_after_accepting_an_invite_shows_once(client, cast, django_user_model):
    from portal.shops.invites import link_for
    from portal.shops.models import Invite

    invite = Invite.objects.create(shop=cast.shop, email="dana@example.com", role="staff")
    dana = django_user_model.objects.create_user("dana@example.com", "pw-long-1x")
    dana.mark_email_verified()
    client.force_login(dana)
    page = client.post(link_for(invite).split("testserver", 1)[-1], follow=True)
    assert page.content.decode().count("You joined Main Street Garage") == 1


def test_a_sync_waiting_for_the_request_limit_says_so_in_plain_words(client, cast):
    from datetime import timedelta

    from django.utils import timezone

    run = running_run(cast.shop)
    run.status = SyncRun.Status.PENDING
    run.wait_reason = SyncRun.WaitReason.BUDGET
    run.not_before = timezone.now() + timedelta(seconds=40)
    run.save()
    client.force_login(cast.owner)
    for url in (f"/shops/{cast.shop.pk}/sync/", f"/shops/{cast.shop.pk}/sync/?panel=1"):
        html = client.get(url, headers={"HX-Request": "true"}).content.decode()
        assert "Waiting for AutoSync&#x27;s request limit, about 4" in html, url


def test_the_shop_list_links_follow_the_prefix_the_portal_is_served_under(client, cast):
    client.force_login(cast.owner)
    set_script_prefix("/portal/")  # as a WSGI server mounting the portal under /portal sets it
    try:
        under = client.get("/shops/").content.decode()
    finally:
        set_script_prefix("/")
    assert f'href="/portal/shops/{cast.shop.pk}/"' in under
    plain = client.get("/shops/").content.decode()  # the remembered links are the prefix's own
    assert f'href="/shops/{cast.shop.pk}/"' in plain and "/portal/shops/" not in plain
