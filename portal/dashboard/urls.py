"""The staff dashboard, mounted under `shops/<id>/` beside the shops app's pages."""

from django.urls import path  # noqa: F401

app_name = "dashboard"

urlpatterns: list = []
