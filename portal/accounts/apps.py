"""The staff accounts app."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = "Staff accounts"

    def ready(self) -> None:
        from portal import checks  # noqa: F401 (registers the portal's system checks)
        from portal.accounts import signals  # noqa: F401
