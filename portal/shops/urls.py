"""URLs of shops (`shops/`, a shop's staff pages under `shops/<id>/`), invites, and the
AutoSync consent."""

from django.urls import include, path
from django.views.generic import RedirectView

from portal.shops import views

app_name = "shops"

# A shop's staff pages: every view here takes the membership from `shop_member`.
shop_patterns = [
    path("", views.shop_detail, name="detail"),
    path("invite/", views.shop_invite, name="invite-create"),
    path("invites/<int:invite_id>/resend/", views.invite_resend, name="invite-resend"),
    path("invites/<int:invite_id>/cancel/", views.invite_cancel, name="invite-cancel"),
    path("members/<int:member_id>/role/", views.member_role, name="member-role"),
    path("members/<int:member_id>/remove/", views.member_remove, name="member-remove"),
    path("disconnect/", views.shop_disconnect, name="disconnect"),
]

urlpatterns = [
    path("shops/", views.shop_list, name="list"),
    path("shops/<int:shop_id>/", include(shop_patterns)),
    path("shops/invites/<str:token>/", views.invite, name="invite"),
    # Links emailed before invites moved under shops/ still work.
    path("invites/<str:token>/", RedirectView.as_view(pattern_name="shops:invite", permanent=True)),
    # AutoSync knows these paths (the callback is the registered redirect URI): they stay.
    path("connect/autosync/", views.connect, name="connect"),
    path("connect/autosync/callback/", views.connect_callback, name="connect-callback"),
]
