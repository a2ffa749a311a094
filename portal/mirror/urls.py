"""The mirror's URLs: AutoSync's webhooks (a path AutoSync knows: it stays), and a shop's
sync progress among the shop's staff pages."""

from django.urls import path

from . import views

app_name = "mirror"

urlpatterns = [
    path("webhooks/autosync/", views.autosync_webhook, name="autosync-webhook"),
    path("shops/<int:shop_id>/sync/", views.shop_sync, name="shop-sync"),
]
