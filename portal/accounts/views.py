"""Sign-up, email verification, the account page and the development mailbox; sign-in,
sign-out and resets are Django's own views (throttled in urls.py)."""

import io
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import make_password
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from portal.accounts import devmail, verification
from portal.accounts.forms import AccountForm, SignupForm
from portal.accounts.throttle import throttled


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@sensitive_post_parameters("password1", "password2")
@throttled("signup", per_ip="10/h", per_email="3/h")
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Whether the address has an account or not, the visitor sees the same answer ("check
    your email"): a new account gets a verification link, an existing one a note."""
    if request.user.is_authenticated:
        return redirect(_safe_next(request) or settings.LOGIN_REDIRECT_URL)
    form = SignupForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST" and form.is_valid():
        existing = form.existing_user()
        if existing is None:
            user = form.save()
            verification.send_link(user, _safe_next(request))
        else:
            # Hash anyway: the time taken must not tell the two cases apart.
            make_password(form.cleaned_data["password1"])
            verification.send_already_registered(existing)
        request.session["signup_email"] = form.cleaned_data["email"]
        return redirect("accounts:signup-done")
    return render(request, "accounts/signup.html", {"form": form, "next": _safe_next(request)})


@require_GET
def signup_done(request: HttpRequest) -> HttpResponse:
    email = request.session.get("signup_email", "")
    return render(request, "accounts/signup_done.html", {"email": email})


@require_http_methods(["GET", "POST"])
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST confirms: mail scanners that open every link in an email
    must not confirm an address for whoever typed it."""
    try:
        if request.method == "GET":
            user, new_email = verification.check(token)
            context = {"email": new_email or user.email, "next": _safe_next(request)}
            return render(request, "accounts/verify.html", context)
        user = verification.verify(token)
    except verification.LinkUnusable as exc:
        return render(request, "accounts/verify_failed.html", {"problem": str(exc)}, status=410)
    messages.success(request, f"Thank you: {user.email} is confirmed.")
    next_url = _safe_next(request)
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect(next_url or "accounts:account")
    login_url = reverse("accounts:login")
    if next_url:
        login_url += "?" + urlencode({"next": next_url})
    return redirect(login_url)


@login_required
@ratelimit(group="verify-email", key="user", rate="5/h", method="POST")
@require_POST
def resend_verification(request: HttpRequest) -> HttpResponse:
    if request.user.email_verified:
        messages.info(request, "Your email address is already confirmed.")
    else:
        verification.send_link(request.user, _safe_next(request))
        messages.success(request, f"We sent a new link to {request.user.email}.")
    return redirect(_safe_next(request) or "accounts:account")


@sensitive_post_parameters("current_password")
@login_required
@ratelimit(group="account", key="user", rate="10/h", method="POST")
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    form = AccountForm(request.POST or None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            new_email = form.new_email
            form.save()
            if new_email:
                verification.send_change_link(request.user, new_email)
                messages.success(
                    request,
                    f"Saved. We sent a link to {new_email}: your email changes when you open it.",
                )
            else:
                messages.success(request, "Saved.")
            return redirect("accounts:account")
        return render(request, "accounts/account.html", {"form": form}, status=422)
    return render(request, "accounts/account.html", {"form": form})


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    """settings.RATELIMIT_VIEW: a throttled sign-up, reset or verification request."""
    return render(request, "accounts/rate_limited.html", status=429)


# --- The development mailbox ------------------------------------------------------------------


def _mail_dir(request: HttpRequest) -> Path:
    if not devmail.mailbox_allowed(request):
        raise Http404  # the page does not exist for anyone else
    return Path(settings.EMAIL_FILE_PATH)


@require_GET
def dev_mailbox(request: HttpRequest) -> HttpResponse:
    messages_kept = devmail.kept_messages(_mail_dir(request))
    return render(request, "accounts/dev_mailbox.html", {"kept": messages_kept})


@require_GET
def dev_mail(request: HttpRequest, file: str, index: int) -> HttpResponse:
    message = devmail.kept_message(_mail_dir(request), file, index)
    if message is None:
        raise Http404
    return render(request, "accounts/dev_mail.html", {"kept": message})


@require_GET
def dev_mail_attachment(request: HttpRequest, file: str, index: int, position: int) -> HttpResponse:
    """An attachment of a kept message, as a download (never shown inline: it is not ours)."""
    message = devmail.kept_message(_mail_dir(request), file, index)
    attachments = message.attachments if message else []
    if not 0 <= position < len(attachments):
        raise Http404
    attachment = attachments[position]
    return FileResponse(
        io.BytesIO(attachment.content),
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type,
    )
