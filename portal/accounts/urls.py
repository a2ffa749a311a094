"""URLs of sign-up, verification, the account page, Django's sign-in/out/reset views (with
throttles), and the development mailbox; mounted under `accounts/`.

Django's auth views name their next page without a namespace, so each is given it here."""

from django.contrib.auth import views as auth
from django.urls import path, reverse_lazy

from portal.accounts import views
from portal.accounts.forms import LoginForm, ResetPasswordForm
from portal.accounts.throttle import throttled

app_name = "accounts"

# Sign-in is throttled by django-axes (its backend and middleware); the reset form here.
password_reset = throttled("password-reset", per_ip="10/h", per_email="3/h")(
    auth.PasswordResetView.as_view(success_url=reverse_lazy("accounts:password_reset_done"))
)

urlpatterns = [
    path("", views.account, name="account"),
    path("signup/", views.signup, name="signup"),
    path("signup/done/", views.signup_done, name="signup-done"),
    path("verify/<str:token>/", views.verify_email, name="verify-email"),
    path("verify-again/", views.resend_verification, name="verify-again"),
    path("login/", auth.LoginView.as_view(form_class=LoginForm), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path(
        "password_change/",
        auth.PasswordChangeView.as_view(success_url=reverse_lazy("accounts:password_change_done")),
        name="password_change",
    ),
    path(
        "password_change/done/",
        auth.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password_reset/", password_reset, name="password_reset"),
    path("password_reset/done/", auth.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(
            form_class=ResetPasswordForm,
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("dev/mail/", views.dev_mailbox, name="dev-mailbox"),
    path("dev/mail/<str:file>/<int:index>/", views.dev_mail, name="dev-mail"),
    path(
        "dev/mail/<str:file>/<int:index>/<int:position>/",
        views.dev_mail_attachment,
        name="dev-mail-attachment",
    ),
]
