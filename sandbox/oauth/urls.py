"""Routes of the authorization server, with full paths (included at the root, before `v1/`)."""

from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from sandbox.oauth import views

app_name = "oauth"

urlpatterns = [
    path("oauth/authorize", views.authorize, name="authorize"),
    path("v1/oauth/token", views.token, name="token"),
    path("v1/oauth/revoke", views.revoke, name="revoke"),
    path(".well-known/oauth-authorization-server", views.metadata, name="metadata"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(next_page="oauth:applications"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="oauth:login"), name="logout"),
    path("account/applications/", views.applications, name="applications"),
    # At most 18 digits: a longer number is no grant id (and overflows PostgreSQL's bigint).
    re_path(
        r"^account/applications/(?P<grant_id>[0-9]{1,18})/revoke$",
        views.revoke_application,
        name="revoke-application",
    ),
]
