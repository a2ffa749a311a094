"""Sign-up and the development mailbox; sign-in, sign-out and resets are Django's own views."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from portal.accounts import devmail
from portal.accounts.forms import SignupForm


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request) or settings.LOGIN_REDIRECT_URL)
    form = SignupForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(_safe_next(request) or settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/signup.html", {"form": form, "next": _safe_next(request)})


def _mail_dir() -> Path:
    if not settings.DEBUG:
        # The mailbox exists for the demo machine only; production has no such page.
        raise Http404
    return Path(settings.EMAIL_FILE_PATH)


@require_GET
def dev_mailbox(request: HttpRequest) -> HttpResponse:
    messages = devmail.kept_messages(_mail_dir())
    return render(request, "accounts/dev_mailbox.html", {"kept": messages})


@require_GET
def dev_mail(request: HttpRequest, file: str, index: int) -> HttpResponse:
    message = devmail.kept_message(_mail_dir(), file, index)
    if message is None:
        raise Http404
    return render(request, "accounts/dev_mail.html", {"kept": message})
