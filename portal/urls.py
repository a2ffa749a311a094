"""The portal's URLs: the front door, then each app under its prefix (docs/architecture.md)."""

from django.contrib import admin
from django.urls import include, path

from portal import health, views

admin.site.site_header = "AutoSync customer portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.Healthz.as_view(), name="healthz"),
    path("readyz", health.Readyz.as_view(), name="readyz"),
    path("accounts/", include("portal.accounts.urls")),
    path("", include("portal.shops.urls")),  # shops/…, and AutoSync's consent at connect/
    path("", include("portal.mirror.urls")),  # webhooks/autosync/, shops/<id>/sync/
    path("book/", include("portal.booking.urls")),  # the public booking pages
    path("garage/", include("portal.garage.urls")),  # the vehicle owner's side
    path("", include("portal.dashboard.urls")),  # shops/<id>/…: the staff dashboard
    # The designed error pages, previewed with DEBUG on (a 404 otherwise).
    path("dev/errors/", include("portal.devpages")),
    path("admin/", admin.site.urls),
]
