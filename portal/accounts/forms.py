"""Sign-up, sign-in and account forms for the email-only user model."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from portal.accounts.models import User


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)


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
    """Name and email; changing the email needs the current password and a new verification."""

    current_password = forms.CharField(
        label="Current password (needed to change your email)",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    class Meta:
        model = User
        fields = ("name", "email")
        labels = {"name": "Your name", "email": "Email"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.original_email = self.instance.email

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        taken = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists()
        if taken and email != self.original_email.lower():
            # The person is signed in and proved their password below; still, say no more.
            raise forms.ValidationError("This email cannot be used. Choose another one.")
        return email

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("email")
        password = cleaned.get("current_password") or ""
        if (
            email
            and email != self.original_email.lower()
            and not self.instance.check_password(password)
        ):
            self.add_error("current_password", "Enter your current password to change it.")
        return cleaned

    @property
    def email_changed(self) -> bool:
        return self.cleaned_data.get("email", self.original_email) != self.original_email.lower()

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        if self.email_changed:
            user.email_verified_at = None
        if commit:
            user.save()
        return user
