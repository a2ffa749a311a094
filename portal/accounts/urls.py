"""URLs of sign-up, verification, the account page, Django's sign-in/out/reset views (with
throttles), and the development mailbox."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal.accounts import views
from portal.accounts.forms import LoginForm, ResetPasswordForm
from portal.accounts.throttle import throttled

# Sign-in is throttled by django-axes (its backend and middleware); the reset form here.
password_reset = throttled("password-reset", per_ip="10/h", per_email="3/h")(
    auth_views.PasswordResetView.as_view()
)

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/signup/done/", views.signup_done, name="signup-done"),
    path("accounts/verify/<str:token>/", views.verify_email, name="verify-email"),
    path("accounts/verify-again/", views.resend_verification, name="verify-again"),
    path("account/", views.account, name="account"),
    path("accounts/login/", auth_views.LoginView.as_view(form_class=LoginForm), name="login"),
    path("accounts/password_reset/", password_reset, name="password_reset"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=ResetPasswordForm),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("dev/mail/", views.dev_mailbox, name="dev-mailbox"),
    path("dev/mail/<str:file>/<int:index>/", views.dev_mail, name="dev-mail"),
]
