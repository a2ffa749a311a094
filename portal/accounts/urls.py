"""URLs of sign-up, Django's sign-in/out/reset views, and the development mailbox."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal.accounts import views
from portal.accounts.forms import LoginForm

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", auth_views.LoginView.as_view(form_class=LoginForm), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("dev/mail/", views.dev_mailbox, name="dev-mailbox"),
    path("dev/mail/<str:file>/<int:index>/", views.dev_mail, name="dev-mail"),
]
