"""The owner's sign-in pages: ask for an email, type its code or open its link, sign out
(the rules are in `portal.garage.signin`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from portal.accounts import owners
from portal.accounts.throttle import throttled
from portal.http import VehicleOwnerRequest

from . import signin
from .forms import CodeForm, RememberForm, SignInForm
from .models import SignInRequest

#: This browser's request: {"id": the SignInRequest's pk, "email": the address typed}.
PENDING = "garage_sign_in"
#: Requests per hour: from one IP address, and for one address (its inbox is not flooded).
PER_IP, PER_EMAIL = "20/h", "5/h"
#: Codes typed per hour from one IP address (each request also allows only five wrong ones).
CODES_PER_IP = "30/h"


def _next(request: VehicleOwnerRequest) -> str:
    """The page to return to after signing in: a path of this site, else nothing."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts=None) else ""


@never_cache
@throttled("garage-sign-in", per_ip=PER_IP, per_email=PER_EMAIL)
@require_http_methods(["GET", "POST"])
def sign_in(request: VehicleOwnerRequest) -> HttpResponse:
    """The owner's email. Known to a shop or not, the next page is the same "check your
    email"; the link and the code go out from a worker."""
    if request.method == "GET" and request.owner.is_authenticated:
        return redirect(_next(request) or "garage:home")
    form = SignInForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST":
        if form.is_valid():
            email = form.cleaned_data["email"]
            sign_in_request = signin.start(email, _next(request))
            request.session[PENDING] = {"id": sign_in_request.pk, "email": email}
            return redirect("garage:sign-in-code")
        status = 422
    else:
        status = 200
    context = {"form": form, "next": _next(request)}
    return render(request, "garage/signin/sign_in.html", context, status=status)


@never_cache
@sensitive_post_parameters("code")
@ratelimit(group="garage-sign-in-code", key="ip", rate=CODES_PER_IP, method="POST")
@require_http_methods(["GET", "POST"])
def enter_code(request: VehicleOwnerRequest) -> HttpResponse:
    """ "Check your email", and the code's form. The code counts only for the request this
    browser made: someone else's code, typed here, is just a wrong code."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("id"), int):
        return redirect("garage:sign-in")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                sign_in_request = signin.use_code(pending["id"], form.cleaned_data["code"])
            except signin.WrongCode as wrong:
                tries = "1 more try" if wrong.tries_left == 1 else f"{wrong.tries_left} more tries"
                form.add_error("code", f"This is not the code we sent. You have {tries}.")
            except signin.Unusable as unusable:
                return _unusable(request, unusable, "code", pending.get("email", ""))
            else:
                return _signed_in(request, sign_in_request, form.cleaned_data["remember"])
    context = {"form": form, "email": pending.get("email", "")}
    return render(request, "garage/signin/code.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def open_link(request: VehicleOwnerRequest) -> HttpResponse:
    """A GET shows a "Sign in" button and changes nothing (mail scanners open every link);
    only its POST spends the link and signs in, in whichever browser opened it. The token
    is in the query, for both (the form posts back to the same address)."""
    token = request.GET.get("token", "")
    try:
        if request.method == "GET":
            sign_in_request = signin.find_link(token)
            context = {"form": RememberForm(), "email": sign_in_request.email}
            return render(request, "garage/signin/link.html", context)
        form = RememberForm(request.POST)
        sign_in_request = signin.use_link(token)
    except signin.Unusable as unusable:
        return _unusable(request, unusable, "link")
    return _signed_in(request, sign_in_request, form.is_valid() and form.cleaned_data["remember"])


@require_POST
def sign_out(request: VehicleOwnerRequest) -> HttpResponse:
    owners.sign_out(request)
    messages.success(request, "You are signed out.")
    return redirect("home")


def _signed_in(
    request: VehicleOwnerRequest, sign_in_request: SignInRequest, remember: bool
) -> HttpResponse:
    request.session.pop(PENDING, None)
    owner = owners.sign_in(request, sign_in_request.email, remember=remember)
    messages.success(request, f"You are signed in as {owner.email}.")
    return redirect(sign_in_request.next_url or "garage:home")


def _unusable(
    request: VehicleOwnerRequest, unusable: signin.Unusable, what: str, email: str = ""
) -> HttpResponse:
    """Why the link or code cannot sign in, and the form for a new one."""
    known = unusable.sign_in_request
    if known is not None:
        email = known.email
    context = {
        "reason": unusable.reason,
        "what": what,
        "form": SignInForm(initial={"email": email}),
        "next": known.next_url if known is not None else "",
    }
    return render(request, "garage/signin/unusable.html", context, status=410)
