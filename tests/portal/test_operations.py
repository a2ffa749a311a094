"""What operations rely on: /healthz and /readyz, log lines that follow a request into its
tasks (readable in development, JSON in production) and Sentry only when configured."""

from __future__ import annotations

import json
import logging

import pytest
from celery.app.trace import build_tracer
from celery.signals import before_task_publish
from django.urls import reverse
from django.utils import timezone
from django_guid import clear_guid, set_guid

from portal.booking.services import book
from portal.booking.tasks import confirm_booking
from portal.mirror.models import SyncRun, WebhookEvent
from tests.portal.booking.conftest import CUSTOMER, VEHICLE
from tests.portal.test_safe_by_default import run_python
from tests.support.booking import at, bookable_day

pytestmark = pytest.mark.django_db

REQUEST_ID = "0f5c0bb4b5a54b6f8f7e3f6a1c2d3e4f"


# --- /healthz and /readyz -------------------------------------------------------------------


def test_healthz_answers_200_when_database_cache_broker_and_static_files_are_there(client):
    response = client.get(reverse("healthz"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert set(response.json()) == {
        "Database(alias='default')",
        "Cache(alias='default')",
        "Broker()",
        "StaticFiles()",
    }
    assert set(response.json().values()) == {"OK"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_reports_static_files_that_were_not_collected_instead_of_failing_every_page(
    client, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.STATIC_ROOT = tmp_path  # nothing collected here
    response = client.get(reverse("healthz"), HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert response.json()["StaticFiles()"] == (
        "Unavailable: Static files are not collected: run collectstatic."
    )


def test_healthz_says_when_the_broker_does_not_answer(client, monkeypatch):
    from kombu import Connection

    from portal.celery import app

    # A broker where nothing listens (port 1), whichever broker this run uses.
    monkeypatch.setattr(app, "connection_for_write", lambda: Connection("redis://127.0.0.1:1/0"))
    response = client.get(reverse("healthz"), HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert response.json()["Broker()"] == "Unavailable: The broker does not answer."


def test_readyz_reports_webhook_age_and_failed_syncs_without_personal_data(client, cast):
    now = timezone.now()
    WebhookEvent.objects.create(
        key="a",
        name="customer.created",
        body={"email": "pat@example.com"},
        processed_at=now - timezone.timedelta(seconds=42),
    )
    WebhookEvent.objects.create(key="b", name="customer.updated", body={})
    SyncRun.objects.create(
        shop=cast.shop, mode=SyncRun.Mode.FULL, status=SyncRun.Status.FAILED, finished_at=now
    )
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    report = response.json()
    assert report["ready"] is True and report["failing"] == []
    assert 42 <= report["newest_webhook_processed_seconds_ago"] <= 60
    assert report["webhooks_waiting"] == 1
    assert report["failed_syncs_24h"] == 1
    assert "example.com" not in response.content.decode()
    assert cast.shop.name not in response.content.decode()


def test_readyz_answers_503_when_a_check_fails(client, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.STATIC_ROOT = tmp_path
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["failing"] == ["StaticFiles"]


def test_a_load_balancer_probing_over_http_is_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("readyz")).status_code == 200


# --- A request id from the web request into its tasks ---------------------------------------


def test_every_response_carries_its_request_id_and_takes_a_valid_one_from_the_proxy(client):
    response = client.get("/", HTTP_X_REQUEST_ID=REQUEST_ID)
    assert response["X-Request-ID"] == REQUEST_ID
    forged = client.get("/", HTTP_X_REQUEST_ID="not-an-id\nINFO fake line")
    assert forged["X-Request-ID"] != "not-an-id\nINFO fake line"
    assert len(forged["X-Request-ID"]) == 32


@pytest.fixture
def shop(cast):
    from portal.booking.models import BookingSettings

    BookingSettings.for_shop(cast.shop)
    from portal.mirror import books

    books.complete(cast.shop, "appointments")
    return cast.shop


def test_a_booking_can_be_followed_from_its_request_into_the_task_that_confirms_it(
    shop, caplog, django_capture_on_commit_callbacks, monkeypatch
):
    published = []

    def keep(headers, **kwargs):
        published.append(headers.get("X-Request-ID"))

    before_task_publish.connect(keep)
    set_guid(REQUEST_ID)
    try:
        with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
            booked = book(shop, at(shop, bookable_day(shop), "10:00"), [], CUSTOMER, VEHICLE)
    finally:
        before_task_publish.disconnect(keep)
        clear_guid()
    assert published == [REQUEST_ID]  # the task's message carries the request's id
    received = [r for r in caplog.records if r.getMessage().startswith("Booking ")]
    assert received[0].request_id == REQUEST_ID
    assert "olive@example.com" not in caplog.text

    # In the worker (which merges a message's headers into the task's request, as here), the
    # task's log lines carry the same request id and the task's own id.
    from portal.booking import confirming

    monkeypatch.setattr(confirming, "confirm", lambda booking: True)
    monkeypatch.setattr("portal.booking.tasks.send_email.delay", lambda *args: None)
    caplog.clear()
    run = build_tracer(confirm_booking.name, confirm_booking, eager=True, app=confirm_booking.app)
    request = {"id": "t-1", "X-Request-ID": REQUEST_ID, "is_eager": True, "delivery_info": {}}
    with caplog.at_level(logging.INFO):
        assert run("t-1", (booked.booking.pk,), {}, request).retval == "confirmed"
    confirmed = [r for r in caplog.records if "confirmed at AutoSync" in r.getMessage()]
    assert (confirmed[0].request_id, confirmed[0].task_id) == (REQUEST_ID, "t-1")


# --- Log format and Sentry --------------------------------------------------------------------

PRODUCTION = {
    "DEBUG": None,
    "SECRET_KEY": "x" * 60,
    "PORTAL_ENCRYPTION_KEYS": "6x2yKXK0o5o8y4B1z4KuE8oG5n0OEm9vYlz7oE2JcBw=",
    "AUTOSYNC_API_URL": "https://api.autosync.example/v1",
    "AUTOSYNC_AUTHORIZE_URL": "https://app.autosync.example/oauth/authorize",
}

LOG_A_LINE = (
    "import django, logging, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; "
    "django.setup(); from django_guid import set_guid; set_guid('" + REQUEST_ID + "'); "
    "logging.getLogger('portal.test').info('Booking %s received', 7)"
)


def test_production_logs_one_json_object_per_line_with_the_request_id(tmp_path):
    result = run_python(LOG_A_LINE, tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["message"] == "Booking 7 received"
    assert (line["level"], line["logger"], line["request_id"]) == (
        "INFO",
        "portal.test",
        REQUEST_ID,
    )


def test_development_logs_readable_lines(tmp_path):
    result = run_python(LOG_A_LINE, tmp_path, DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().endswith(
        f"INFO portal.test [request={REQUEST_ID}]: Booking 7 received"
    )


def test_nothing_goes_to_sentry_without_a_dsn(tmp_path):
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; "
        "django.setup(); import sentry_sdk; print(sentry_sdk.get_client().is_active())"
    )
    result = run_python(code, tmp_path, DEBUG="1", SENTRY_DSN=None)
    assert result.stdout.strip() == "False", result.stderr


def test_sentry_gets_errors_without_personal_data_when_a_dsn_is_set(tmp_path):
    code = """
import django, os, json
os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'
django.setup()
import sentry_sdk
sent = []
client = sentry_sdk.get_client()
client.transport.capture_envelope = lambda envelope: sent.extend(
    item.payload.json for item in envelope.items if item.payload.json)
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
from django.urls import path
from portal import urls
def boom(request):
    secret_email = request.POST["email"]
    raise RuntimeError("boom")
urls.urlpatterns.append(path("boom/", boom))
Client(raise_request_exception=False).post(
    "/boom/?token=l1nk", {"email": "pat@example.com"}, HTTP_COOKIE="sessionid=s3cret",
    HTTP_AUTHORIZATION="Bearer t0ken")
sentry_sdk.flush()
print(json.dumps(sent))
"""
    result = run_python(
        code,
        tmp_path,
        DEBUG="1",
        SENTRY_DSN="https://public@sentry.example/1",
        ALLOWED_HOSTS="testserver",
    )
    assert result.returncode == 0, result.stderr
    events = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(events) == 1
    text = json.dumps(events)
    assert "RuntimeError" in text
    for secret in ("pat@example.com", "s3cret", "t0ken", "l1nk"):
        assert secret not in text
