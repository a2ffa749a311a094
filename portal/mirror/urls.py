"""The mirror's URLs: AutoSync's webhooks, and a shop's sync progress."""

from django.urls import path

from . import views

app_name = "mirror"

urlpatterns = [
    path("webhooks/autosync/", views.autosync_webhook, name="autosync-webhook"),
    path("shops/<int:shop_id>/sync/", views.shop_sync, name="shop-sync"),
]
