"""The vehicle owner's side, mounted under `garage/`."""

from django.urls import path

from . import notify_views, signin_views

app_name = "garage"

urlpatterns: list = []

# --- Sign-in, sign-out and email preferences (branch garage-signin). The links' secrets are
# in the query (`?token=`), which the access logs redact (portal.logfilters), not the path. --
urlpatterns += [
    path("sign-in/", signin_views.sign_in, name="sign-in"),
    path("sign-in/code/", signin_views.enter_code, name="sign-in-code"),
    path("sign-in/link/", signin_views.open_link, name="sign-in-link"),
    path("sign-out/", signin_views.sign_out, name="sign-out"),
    path("preferences/", notify_views.preferences, name="preferences"),
    path("unsubscribe/", notify_views.unsubscribe, name="unsubscribe"),
]

# --- Placeholders (garage-signin) for the pages' names the sign-in and the emails link to,
# until garage-pages brings the real ones (each then is skipped); delete this block then. ------
_named = {getattr(pattern, "name", None) for pattern in urlpatterns}
urlpatterns += [
    placeholder
    for placeholder in (
        path("", signin_views.placeholder_home, name="home"),
        path("payments/", signin_views.placeholder_home, name="payments"),
        path(
            "work-orders/<int:shop_id>/<int:remote_id>/",
            signin_views.placeholder_home,
            name="work-order",
        ),
    )
    if placeholder.name not in _named
]
