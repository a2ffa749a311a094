"""The booking flow's forms, one a step, in the owner's words; and the change request.

Each step's form knows how to store what it cleaned in the session (`stored`, JSON) and
takes it back as `initial`, so a step shows what was entered when the owner returns to it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateformat import format as date_format

from portal.mirror.models import Vehicle
from portal.shops.models import Shop

from .models import BookingSettings, ChangeRequest, Service
from .slots import free_times
from .validation import clean_phone, clean_vin

DAY_FORMAT = "l j F"  # "Monday 15 June"


class WhatForm(forms.Form):
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Services",
        error_messages={"invalid_choice": "This service is not offered any more."},
    )
    notes = forms.CharField(
        label="Anything else? Tell us in your own words",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you noticed, and when: a noise, a warning light, a smell.",
    )

    def __init__(self, *args, shop: Shop, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = Service.objects.filter(shop=shop, offered=True)

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("services") and not cleaned.get("notes") and not self.errors:
            self.add_error(
                "services", "Choose a service, or tell us in your own words what needs doing."
            )
        return cleaned

    def stored(self) -> dict:
        data = self.cleaned_data
        return {"services": [service.pk for service in data["services"]], "notes": data["notes"]}


def vehicle_label(vehicle: Vehicle) -> str:
    """ "2016 Honda Civic, plate ABC123": a mirrored vehicle as its owner knows it."""
    name = f"{vehicle.year} {vehicle.make} {vehicle.model}"
    return f"{name}, plate {vehicle.license_plate}" if vehicle.license_plate else name


class VehicleForm(forms.Form):
    """Step 2: the vehicle's details; or, for an owner signed in with vehicles at this shop
    (`vehicles`), one of those, or another vehicle's details. Only `vehicles` can be
    chosen: an id posted by hand that is not among them is refused."""

    OTHER = "other"
    #: The details of a vehicle typed in (ignored when one of the owner's is chosen).
    DETAILS = ("year", "make", "model", "vin", "license_plate")

    choice = forms.ChoiceField(
        label="Which vehicle?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose one of your vehicles, or another vehicle.",
            "invalid_choice": "Choose one of your vehicles, or another vehicle.",
        },
    )
    year = forms.IntegerField(
        label="Year",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": "Enter the year your vehicle was made.",
            "invalid": "Enter the year as a number, such as 2019.",
        },
    )
    make = forms.CharField(
        label="Make",
        max_length=64,
        help_text="Such as Honda or Ford.",
        error_messages={"required": "Enter the make of your vehicle."},
    )
    model = forms.CharField(
        label="Model",
        max_length=64,
        help_text="Such as Civic or F-150.",
        error_messages={"required": "Enter the model of your vehicle."},
    )
    vin = forms.CharField(
        label="VIN (optional)",
        required=False,
        max_length=40,
        help_text="17 letters and digits, on the dashboard by the windscreen or on your papers.",
    )
    license_plate = forms.CharField(label="License plate (optional)", required=False, max_length=16)

    def __init__(self, *args, vehicles: Sequence[Vehicle] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.vehicles = {str(vehicle.remote_id): vehicle for vehicle in vehicles}
        if not self.vehicles:
            del self.fields["choice"]
            return
        self.fields["choice"].choices = [
            *((key, vehicle_label(vehicle)) for key, vehicle in self.vehicles.items()),
            (self.OTHER, "Another vehicle"),
        ]
        self.initial = dict(self.initial)  # a copy: it may be the visit's own data
        if self.initial:  # the step done before: the vehicle chosen then, or the one typed in
            picked = self.initial.get("remote_id")
            self.initial["choice"] = str(picked) if picked else self.OTHER
        if self.picked() is not None:
            # One of theirs: what is typed in for another vehicle is ignored (Django cleans a
            # disabled field from its initial value, here nothing), and not validated.
            for name in self.DETAILS:
                self.fields[name].disabled, self.fields[name].required = True, False
                self.initial[name] = None

    def picked(self) -> Vehicle | None:
        """The owner's vehicle posted as the choice, if it is one of theirs."""
        return self.vehicles.get(self.data.get("choice")) if self.is_bound else None

    def clean_year(self) -> int | None:
        year, latest = self.cleaned_data["year"], timezone.now().year + 1
        if year is not None and not 1900 <= year <= latest:
            raise ValidationError(f"Enter a year between 1900 and {latest}.")
        return year

    def clean_vin(self) -> str:
        return clean_vin(self.cleaned_data["vin"]) if self.cleaned_data["vin"] else ""

    def clean_license_plate(self) -> str:
        return (self.cleaned_data["license_plate"] or "").upper()

    def stored(self) -> dict:
        """The vehicle's details (`services.VehicleDetails`); a vehicle of the owner's comes
        with its ids at AutoSync, and with what the booking can hold of its VIN and plate."""
        vehicle = self.picked()
        if vehicle is None:
            return {name: self.cleaned_data[name] for name in self.DETAILS}
        return {
            "year": vehicle.year,
            "make": vehicle.make,
            "model": vehicle.model,
            "vin": _fitting(vehicle.vin, 17),
            "license_plate": _fitting(vehicle.license_plate, 16),
            "remote_id": vehicle.remote_id,
            "owner_remote_id": vehicle.customer_remote_id,
        }


def _fitting(text: str, length: int) -> str:
    """`text` if it fits the booking's column, else nothing (the remote id names the vehicle
    anyway): never a cut VIN or plate."""
    return text if len(text) <= length else ""


class DayForm(forms.Form):
    """The day whose free times to list: from today up to the shop's horizon."""

    day = forms.DateField(
        label="Day",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Choose a day.",
            "invalid": "Enter a date such as 2026-06-15.",
        },
    )

    def __init__(self, *args, shop: Shop, settings: BookingSettings, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.first = timezone.now().astimezone(shop.zone).date()
        self.last = self.first + timedelta(days=settings.horizon_days)
        self.fields["day"].widget.attrs.update(
            min=self.first.isoformat(), max=self.last.isoformat()
        )

    def clean_day(self) -> date:
        day = self.cleaned_data["day"]
        if not self.first <= day <= self.last:
            raise ValidationError(
                f"Choose a day from {date_format(self.first, DAY_FORMAT)} "
                f"to {date_format(self.last, DAY_FORMAT)}."
            )
        return day


class TimeForm(forms.Form):
    """The start chosen among the listed times, as the instant it is (UTC, ISO 8601): its
    day follows from it, and it is accepted only if `free_times` still lists it."""

    start = forms.CharField(
        label="Time", widget=forms.RadioSelect, error_messages={"required": "Choose a time."}
    )

    def __init__(self, *args, shop: Shop, settings: BookingSettings, minutes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.shop, self.settings, self.minutes = shop, settings, minutes

    def clean_start(self) -> datetime:
        try:
            start = datetime.fromisoformat(self.cleaned_data["start"])
        except ValueError:
            start = None
        if start is None or start.tzinfo is None:
            raise ValidationError("Choose one of the times listed.")
        day = start.astimezone(self.shop.zone).date()
        if start not in free_times(self.shop, day, self.minutes, settings=self.settings):
            raise ValidationError("This time is not free any more: please choose another.")
        return start

    def stored(self) -> dict:
        return {"start": self.cleaned_data["start"].isoformat()}


class WhoForm(forms.Form):
    name = forms.CharField(
        label="Your name",
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Enter your name."},
    )
    email = forms.EmailField(
        label="Email",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="We send the confirmation here.",
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter an email address such as name@example.com.",
        },
    )
    phone = forms.CharField(
        label="Phone",
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text="The shop calls you if something comes up.",
        error_messages={"required": "Enter a phone number the shop can call you on."},
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].lower()

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])

    def stored(self) -> dict:
        return dict(self.cleaned_data)


class ConfirmForm(forms.Form):
    """The last step's button, and a field people never see (a honeypot): programs that
    fill in every field fill it in, and their booking is refused."""

    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean(self) -> dict:
        if self.cleaned_data.get("website"):
            raise ValidationError(
                "We could not take this booking: the field “Leave this field empty” was filled "
                "in, which programs do and people do not. Please clear it and book again."
            )
        return self.cleaned_data


class ChangeRequestForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label="What would you like?",
        choices=ChangeRequest.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to change or cancel the visit."},
    )
    message = forms.CharField(
        label="Your message to the shop",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For a new time, say which days and times suit you.",
    )

    class Meta:
        model = ChangeRequest
        fields = ("kind", "message")
