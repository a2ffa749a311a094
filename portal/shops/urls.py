"""URLs of shops, the AutoSync consent and invites."""

from django.urls import include, path

from portal.shops import views

app_name = "shops"

urlpatterns = [
    path("shops/", views.shop_list, name="list"),
    path("shops/<int:shop_id>/", views.shop_detail, name="detail"),
    path("shops/<int:shop_id>/invite/", views.shop_invite, name="invite-create"),
    path(
        "shops/<int:shop_id>/invites/<int:invite_id>/resend/",
        views.invite_resend,
        name="invite-resend",
    ),
    path(
        "shops/<int:shop_id>/invites/<int:invite_id>/cancel/",
        views.invite_cancel,
        name="invite-cancel",
    ),
    path(
        "shops/<int:shop_id>/members/<int:member_id>/role/", views.member_role, name="member-role"
    ),
    path(
        "shops/<int:shop_id>/members/<int:member_id>/remove/",
        views.member_remove,
        name="member-remove",
    ),
    path("shops/<int:shop_id>/disconnect/", views.shop_disconnect, name="disconnect"),
    path("connect/autosync/", views.connect, name="connect"),
    path("connect/autosync/callback/", views.connect_callback, name="connect-callback"),
    path("invites/<str:token>/", views.invite, name="invite"),
    # The designed error pages, previewed with DEBUG on (a 404 otherwise).
    path("dev/errors/", include("portal.devpages")),
]
