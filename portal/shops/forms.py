"""The invite form."""

from django import forms

from portal.shops.models import Invite, Role


class InviteForm(forms.ModelForm):
    class Meta:
        model = Invite
        fields = ("email", "role")
        labels = {"email": "Teammate's email", "role": "Role"}

    def __init__(self, *args, shop=None, roles=None, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)
        self.shop = shop
        self.fields["role"].choices = roles if roles is not None else Role.choices

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if self.shop and self.shop.memberships.filter(user__email__iexact=email).exists():
            raise forms.ValidationError("This person is already in the team.")
        if self.shop and self.shop.invites.filter(email=email, accepted_at__isnull=True).exists():
            raise forms.ValidationError(
                "This address is already invited. Use “Resend” in the list to send the email again."
            )
        return email
