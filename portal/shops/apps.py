"""The shops app."""

from django.apps import AppConfig


class ShopsConfig(AppConfig):
    name = "portal.shops"
    label = "shops"
    verbose_name = "Shops and connections"
