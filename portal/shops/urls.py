"""URLs of shops, the AutoSync consent and invites."""

from django.urls import include, path

from portal.shops import views

app_name = "shops"

urlpatterns = [
    path("shops/", views.shop_list, name="list"),
    path("shops/<int:shop_id>/", views.shop_detail, name="detail"),
    path("shops/<int:shop_id>/invite/", views.shop_invite, name="invite-create"),
    path("shops/<int:shop_id>/disconnect/", views.shop_disconnect, name="disconnect"),
    path("connect/autosync/", views.connect, name="connect"),
    path("connect/autosync/callback/", views.connect_callback, name="connect-callback"),
    path("invites/<str:token>/", views.invite, name="invite"),
    # The designed error pages, previewed with DEBUG on (a 404 otherwise).
    path("dev/errors/", include("portal.devpages")),
]
