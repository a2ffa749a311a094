"""The sync progress page: bars per resource, htmx polling while a sync runs, a real page."""

from __future__ import annotations

from portal.mirror.models import RunProgress, SyncRun


def test_a_running_sync_shows_a_bar_per_resource_and_polls_every_two_seconds(client, cast):
    run = SyncRun.objects.create(shop=cast.shop, mode="full", status="running")
    RunProgress.objects.create(run=run, resource="customers", done=100, total=250, next_page=2)
    RunProgress.objects.create(run=run, resource="employees", done=7, total=7, finished=True)
    client.force_login(cast.teammate)
    page = client.get(f"/shops/{cast.shop.pk}/sync/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<progress id="bar-customers" max="250" value="100">' in html
    assert '<progress id="bar-employees" max="7" value="7">' in html
    assert 'hx-trigger="every 2s"' in html
    assert "<html" in html  # the whole page, for browsers without JS

    partial = client.get(f"/shops/{cast.shop.pk}/sync/", headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()
    assert 'id="sync-progress"' in partial.content.decode()


def test_a_finished_sync_stops_polling(client, cast):
    # Connecting the shop queued its first sync (on commit, which a test never reaches).
    assert SyncRun.objects.get(shop=cast.shop).status == "pending"
    SyncRun.objects.filter(shop=cast.shop).update(status="done")
    client.force_login(cast.owner)
    html = client.get(f"/shops/{cast.shop.pk}/sync/").content.decode()
    assert "every 2s" not in html
    assert "Last full sync: done" in html


def test_a_stranger_cannot_see_a_shops_sync(client, cast):
    client.force_login(cast.stranger)
    assert client.get(f"/shops/{cast.shop.pk}/sync/").status_code == 404


def test_the_records_table_shows_what_the_last_finished_full_sync_read_while_another_runs(
    client, cast
):
    SyncRun.objects.filter(shop=cast.shop).delete()
    done = SyncRun.objects.create(shop=cast.shop, mode="full", status="done")
    RunProgress.objects.create(run=done, resource="customers", done=40, total=40, finished=True)
    running = SyncRun.objects.create(shop=cast.shop, mode="full", status="running")
    RunProgress.objects.create(run=running, resource="customers", done=5, total=41)
    client.force_login(cast.owner)
    html = client.get(f"/shops/{cast.shop.pk}/sync/").content.decode()
    assert '<progress id="bar-customers" max="41" value="5">' in html  # the running sync
    row = html[html.index(">Customers</th>") :]
    assert row.startswith(
        '>Customers</th>\n          <td data-label="Read by the last full sync">40<'
    )


def test_before_any_full_sync_finished_the_records_table_says_nothing_was_read(client, cast):
    client.force_login(cast.owner)  # the first sync is only queued
    html = client.get(f"/shops/{cast.shop.pk}/sync/").content.decode()
    row = html[html.index(">Customers</th>") :]
    assert row.startswith(
        '>Customers</th>\n          <td data-label="Read by the last full sync">—<'
    )
