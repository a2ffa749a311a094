"""The portal's URLs: each app brings its own."""

from django.contrib import admin
from django.urls import include, path

from portal.shops.views import home

admin.site.site_header = "AutoSync customer portal"

urlpatterns = [
    path("", home, name="home"),
    path("", include("portal.accounts.urls")),
    path("", include("portal.shops.urls")),
    path("", include("portal.mirror.urls")),  # webhooks/autosync/, shops/<id>/sync/
    path("admin/", admin.site.urls),
]
