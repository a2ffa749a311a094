"""The forms of a shop's settings: how it takes bookings, its weekly hours, closed dates and
service menu. Each says what is wrong in plain words, under the field it concerns."""

from __future__ import annotations

from django import forms
from django.forms import BaseModelFormSet, modelformset_factory
from django.utils import timezone

from portal.booking.models import BookingSettings, ClosedDate, OpeningHours, Service
from portal.shops.models import Shop
from portal.ui.statuses import badge

from .models import DEFAULT_HOURS, MAX_HOURS, STUCK_STATUSES, StuckThreshold


class BookingSettingsForm(forms.ModelForm):
    class Meta:
        model = BookingSettings
        fields = (
            "enabled",
            "mode",
            "slot_minutes",
            "capacity",
            "notice_minutes",
            "horizon_days",
            "public_text",
        )
        labels = {
            "enabled": "Take bookings online",
            "mode": "When a customer books",
            "slot_minutes": "Slot length (minutes)",
            "capacity": "Bays",
            "notice_minutes": "Notice (minutes)",
            "horizon_days": "Days ahead",
        }
        widgets = {"mode": forms.RadioSelect, "public_text": forms.Textarea(attrs={"rows": 4})}
        error_messages = {
            "slot_minutes": {"min_value": "A slot must be at least 5 minutes."},
            "capacity": {"min_value": "The shop needs at least one bay to take bookings."},
            "horizon_days": {"min_value": "Allow bookings at least one day ahead."},
        }

    def clean_slot_minutes(self) -> int:
        minutes = self.cleaned_data["slot_minutes"]
        if minutes > 8 * 60:
            raise forms.ValidationError("A slot can be at most 8 hours (480 minutes).")
        return minutes

    def clean_notice_minutes(self) -> int:
        minutes = self.cleaned_data["notice_minutes"]
        if minutes > 14 * 24 * 60:
            raise forms.ValidationError("Notice can be at most two weeks (20160 minutes).")
        return minutes

    def clean_horizon_days(self) -> int:
        days = self.cleaned_data["horizon_days"]
        if days > 365:
            raise forms.ValidationError("Bookings can be taken at most a year (365 days) ahead.")
        return days


class OpeningHoursForm(forms.ModelForm):
    """One opening period: a weekday, opening and closing (the shop's local time)."""

    class Meta:
        model = OpeningHours
        fields = ("weekday", "opens", "closes")
        labels = {"weekday": "Day", "opens": "Opens", "closes": "Closes"}
        widgets = {
            "opens": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "closes": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def clean(self) -> dict:
        data = super().clean()
        opens, closes = data.get("opens"), data.get("closes")
        if opens and closes and closes <= opens:
            self.add_error("closes", "Closing must be after opening.")
        return data


class BaseOpeningHoursSet(BaseModelFormSet):
    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        form.fields["DELETE"].label = "Remove this period"

    def clean(self) -> None:
        """Two periods of one day may not overlap (or the same hours would count twice)."""
        super().clean()
        if any(form.errors for form in self.forms):
            return
        periods: dict[int, list[tuple]] = {}
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):  # a blank extra row, or one being removed
                continue
            periods.setdefault(data["weekday"], []).append((data["opens"], data["closes"], form))
        for day in periods.values():
            day.sort(key=lambda period: period[0])
            latest = None  # the latest closing among the day's earlier periods
            for opens, closes, form in day:
                if latest is not None and opens < latest:
                    form.add_error(
                        "opens",
                        f"This overlaps another period of the day, open until {latest:%H:%M}.",
                    )
                latest = max(latest or closes, closes)


OpeningHoursSet = modelformset_factory(
    OpeningHours, form=OpeningHoursForm, formset=BaseOpeningHoursSet, extra=2, can_delete=True
)


def opening_hours_set(shop: Shop, data=None) -> BaseOpeningHoursSet:
    return OpeningHoursSet(
        data,
        queryset=OpeningHours.objects.filter(shop=shop).order_by("weekday", "opens"),
        prefix="hours",
    )


class ClosedDateForm(forms.ModelForm):
    class Meta:
        model = ClosedDate
        fields = ("date", "reason")
        labels = {"reason": "Reason (optional)"}
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, shop: Shop, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.shop = shop

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day < timezone.now().astimezone(self.shop.zone).date():
            raise forms.ValidationError("That day has passed: choose today or a later day.")
        if ClosedDate.objects.filter(shop=self.shop, date=day).exists():
            raise forms.ValidationError("The shop is already closed that day.")
        return day


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = ("name", "description", "minutes", "offered")
        labels = {"minutes": "Minutes", "offered": "Offered"}
        help_texts = {"minutes": ""}  # a row of the menu: the column says it
        error_messages = {
            "name": {"required": "Give the service a name."},
            "minutes": {"min_value": "A service takes at least one minute."},
        }

    def has_changed(self) -> bool:
        """The empty row for a new service counts as filled in once it has a name (its
        "offered" box and minutes come filled in already)."""
        if self.instance.pk is None:
            return bool(self.data.get(self.add_prefix("name"), "").strip())
        return super().has_changed()


class BaseServiceSet(BaseModelFormSet):
    def add_fields(self, form, index) -> None:
        super().add_fields(form, index)
        form.fields["DELETE"].label = "Remove"
        form.fields["ORDER"].label = "Position"


ServiceSet = modelformset_factory(
    Service, form=ServiceForm, formset=BaseServiceSet, extra=1, can_delete=True, can_order=True
)


def services_set(shop: Shop, data=None):
    return ServiceSet(data, queryset=Service.objects.filter(shop=shop), prefix="services")


class StuckThresholdsForm(forms.Form):
    """How many hours a work order may sit in each status before the board flags it as
    stuck; a field left empty uses the default (`models.DEFAULT_HOURS`)."""

    def __init__(self, *args, shop: Shop, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.shop = shop
        own = dict(StuckThreshold.objects.filter(shop=shop).values_list("status", "hours"))
        for status in STUCK_STATUSES:
            default = DEFAULT_HOURS.get(status)
            self.fields[status] = forms.IntegerField(
                label=f"{badge(status).label} (hours)",
                required=False,
                min_value=1,
                max_value=MAX_HOURS,
                initial=own.get(status),
                help_text=f"Empty: {default} hours." if default else "Empty: never flagged.",
                error_messages={
                    "min_value": "At least one hour.",
                    "max_value": f"At most {MAX_HOURS} hours (a year).",
                    "invalid": "A whole number of hours.",
                },
                widget=forms.NumberInput(attrs={"placeholder": default or ""}),
            )

    def save(self) -> None:
        """One row per status given, none for a status left empty (its default applies)."""
        for status in STUCK_STATUSES:
            hours = self.cleaned_data.get(status)
            if hours is None:
                StuckThreshold.objects.filter(shop=self.shop, status=status).delete()
            else:
                StuckThreshold.objects.update_or_create(
                    shop=self.shop, status=status, defaults={"hours": hours}
                )
