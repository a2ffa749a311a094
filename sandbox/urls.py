from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "AutoSync back office (sandbox)"
admin.site.site_title = "AutoSync sandbox"
admin.site.index_title = "Shop records"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("sandbox.oauth.urls")),
    path("v1/", include("sandbox.api.urls")),
]
