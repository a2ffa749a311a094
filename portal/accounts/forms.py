"""Sign-up, sign-in and account forms for the email-only user model."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm, UserCreationForm
from django.utils import timezone

from portal.accounts.models import User


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)


class ResetPasswordForm(SetPasswordForm):
    """The last step of a password reset: the emailed link also proves the address."""

    def save(self, commit: bool = True) -> User:
        if self.user.email_verified_at is None:
            self.user.email_verified_at = timezone.now()
        return super().save(commit)


class SignupForm(UserCreationForm):
    """Never says whether the address has an account (the view emails its owner instead)."""

    class Meta:
        model = User
        fields = ("email", "name")
        labels = {"name": "Your name (optional)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def validate_unique(self) -> None:
        """Uniqueness is the view's business: an error here would reveal the account."""

    def _get_validation_exclusions(self):
        # ...and so is the model's case-insensitive unique constraint on the address.
        return {*super()._get_validation_exclusions(), "email"}

    def existing_user(self) -> User | None:
        return User.objects.filter(email__iexact=self.cleaned_data["email"]).first()


class AccountForm(forms.ModelForm):
    """Name and email. A new email needs the current password, and takes effect only when
    the link sent to it is opened (portal.accounts.verification); the account keeps its
    address until then."""

    email = forms.EmailField(label="Email", max_length=254)
    current_password = forms.CharField(
        label="Current password (needed to change your email)",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    class Meta:
        model = User
        fields = ("name",)  # the email is not written by this form
        labels = {"name": "Your name"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.fields["email"].initial = self.instance.email
        self.order_fields(["name", "email", "current_password"])

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("current_password") or ""
        if self.new_email and not self.instance.check_password(password):
            self.add_error("current_password", "Enter your current password to change your email.")
        return cleaned

    @property
    def new_email(self) -> str | None:
        email = self.cleaned_data.get("email")
        return email if email and email != self.instance.email.lower() else None
