"""What happens on sign-in: the session remembers when it began (for its absolute lifetime)."""

import time

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from portal.accounts import middleware


@receiver(user_logged_in)
def stamp_session(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[middleware.SIGNED_IN_AT] = now
        request.session[middleware.LAST_SEEN_AT] = now
