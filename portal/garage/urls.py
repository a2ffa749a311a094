"""The vehicle owner's side, mounted under `garage/`."""

from django.urls import path  # noqa: F401

app_name = "garage"

urlpatterns: list = []
