"""Tokens are encrypted at rest, rotate to new keys, and never show in the admin or in logs."""

import io
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection as db

from portal import crypto
from portal.shops.models import Connection
from tests.support.portal import connection_with

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.django_db


def raw_columns(pk: int) -> tuple[str, str]:
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT access_token_encrypted, refresh_token_encrypted FROM shops_connection "
            "WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


def test_the_database_holds_ciphertext_not_the_tokens(db):
    connection = connection_with(access="at-plain-secret", refresh="rt-plain-secret")
    raw_access, raw_refresh = raw_columns(connection.pk)
    assert "at-plain-secret" not in raw_access and "rt-plain-secret" not in raw_refresh
    fresh = Connection.objects.get(pk=connection.pk)
    assert (fresh.access_token, fresh.refresh_token) == ("at-plain-secret", "rt-plain-secret")


def test_rotation_reencrypts_under_the_new_key_and_the_old_key_can_go(settings, db):
    old_key = settings.PORTAL_ENCRYPTION_KEYS[0]
    connection = connection_with(access="at-rotating", refresh="rt-rotating")
    before = raw_columns(connection.pk)

    new_key = Fernet.generate_key().decode()
    settings.PORTAL_ENCRYPTION_KEYS = [new_key, old_key]
    assert Connection.objects.get(pk=connection.pk).access_token == "at-rotating"
    call_command("rotate_encryption_keys", stdout=io.StringIO())
    after = raw_columns(connection.pk)
    assert after != before

    settings.PORTAL_ENCRYPTION_KEYS = [new_key]
    fresh = Connection.objects.get(pk=connection.pk)
    assert (fresh.access_token, fresh.refresh_token) == ("at-rotating", "rt-rotating")


def test_a_ciphertext_under_an_unknown_key_does_not_decrypt(settings):
    ciphertext = crypto.encrypt("secret")
    settings.PORTAL_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.InvalidToken):
        crypto.decrypt(ciphertext)


def test_the_admin_never_shows_tokens(admin_client, cast):
    pages = [
        "/admin/shops/connection/",
        f"/admin/shops/connection/{cast.connection.pk}/change/",
        f"/admin/shops/shop/{cast.shop.pk}/change/",
        "/admin/shops/shop/",
    ]
    raw_access, raw_refresh = raw_columns(cast.connection.pk)
    for url in pages:
        page = admin_client.get(url)
        assert page.status_code == 200, url
        for secret in ("at-cast", "rt-cast", raw_access, raw_refresh):
            assert secret.encode() not in page.content, url


def test_the_admin_lists_staff_users(admin_client, cast):
    page = admin_client.get("/admin/accounts/user/?q=alice")
    assert page.status_code == 200 and b"alice@example.com" in page.content


def test_production_settings_pass_the_deployment_checks(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "PORTAL_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "portal.example.com",
        "PORTAL_BASE_URL": "https://portal.example.com",
        # Only named: the checks connect to none of these.
        "DATABASE_URL": "postgresql://portal@db.internal:5432/portal",
        "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
        "EMAIL_HOST": "smtp.internal",
        "VAR_DIR": str(tmp_path),
        "AUTOSYNC_CLIENT_ID": "ci_deploy",
        "AUTOSYNC_CLIENT_SECRET": secrets.token_urlsafe(32),
        "AUTOSYNC_WEBHOOK_SECRET": secrets.token_urlsafe(32),
        "AUTOSYNC_API_URL": "https://api.autosync.example/v1",
        "AUTOSYNC_AUTHORIZE_URL": "https://autosync.example/oauth/authorize",
        "CACHE_URL": "redis://redis.internal:6379/1",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_encryption_keys(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "VAR_DIR": str(tmp_path),
    }
    env.pop("PORTAL_ENCRYPTION_KEYS", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "PORTAL_ENCRYPTION_KEYS must be set" in result.stderr
