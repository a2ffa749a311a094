"""Sign-up and sign-in forms for the email-only user model."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from portal.accounts.models import User


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)


class SignupForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "name")
        labels = {"name": "Your name (optional)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email already exists. Sign in.")
        return email
