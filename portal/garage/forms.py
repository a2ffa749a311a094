"""The forms of the owner's sign-in and email preferences."""

from __future__ import annotations

import re

from django import forms

from .models import Notification

REMEMBER_HELP = "Leave this off on a shared or public computer."


class SignInForm(forms.Form):
    """The address to send a link and a code to. Never says whether a shop knows it."""

    email = forms.EmailField(
        label="Your email",
        max_length=254,
        help_text="The address your shop has for you.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class RememberForm(forms.Form):
    """Signing in: whether the session outlives the browser is the owner's explicit choice."""

    remember = forms.BooleanField(
        label="Keep me signed in on this device", required=False, help_text=REMEMBER_HELP
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)


class CodeForm(RememberForm):
    code = forms.CharField(
        label="6-digit code",
        max_length=16,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"}
        ),
    )

    field_order = ["code", "remember"]

    def clean_code(self) -> str:
        """Six digits; spaces and dashes (as in "123 456") are left out."""
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"])
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError("Enter the 6 digits from the email.")
        return code


class PreferencesForm(forms.Form):
    """Which emails the owner gets: one box per kind, ticked when on."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        for kind, label in WORDING.items():
            self.fields[kind] = forms.BooleanField(label=label, required=False)

    def wanted(self) -> set[str]:
        return {kind for kind in WORDING if self.cleaned_data.get(kind)}


#: What each kind of email is, in the owner's words.
WORDING = {
    Notification.Kind.READY.value: "When my car is ready for pickup",
    Notification.Kind.INSPECTION.value: "When the shop sends me an inspection report",
    Notification.Kind.PAYMENT.value: "When the shop receives a payment of mine",
}
