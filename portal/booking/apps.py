from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "portal.booking"
    label = "booking"
    verbose_name = "Online booking"

    def ready(self) -> None:
        from portal.accounts.owners import owner_changed

        owner_changed.connect(forget_the_visit, dispatch_uid="booking.forget_the_visit")


def forget_the_visit(request, **kwargs) -> None:
    """A visit half-booked by the owner before (their vehicle, name and phone filled in) is not
    the next person's: it ends when an owner signs in or out."""
    from .visit import BOOKED_KEY, SESSION_KEY

    for key in (SESSION_KEY, BOOKED_KEY):
        request.session.pop(key, None)
