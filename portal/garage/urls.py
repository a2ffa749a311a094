"""The vehicle owner's side, mounted under `garage/`."""

from django.urls import path

from portal.garage import notify_views, signin_views

app_name = "garage"

# --- Sign-in, sign-out and email preferences (branch garage-signin) ---------------------------
urlpatterns = [
    path("sign-in/", signin_views.sign_in, name="sign-in"),
    path("sign-in/code/", signin_views.enter_code, name="sign-in-code"),
    path("sign-in/link/<str:token>/", signin_views.open_link, name="sign-in-link"),
    path("sign-out/", signin_views.sign_out, name="sign-out"),
    path("preferences/", notify_views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", notify_views.unsubscribe, name="unsubscribe"),
]

# --- The garage's pages (branch garage-pages) --------------------------------------------------

# --- Placeholder (garage-signin): "garage:home" until garage-pages brings the real one, which
# makes this block a no-op; delete it then. -------------------------------------------------------
if not any(getattr(pattern, "name", None) == "home" for pattern in urlpatterns):
    urlpatterns.append(path("", signin_views.placeholder_home, name="home"))
