"""The shared page pieces: no models, only template tags and includes."""

from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "portal.ui"
    label = "ui"
    verbose_name = "Shared page pieces"
