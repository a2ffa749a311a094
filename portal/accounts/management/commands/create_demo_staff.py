"""Create the demo staff login of a development machine (refused when DEBUG is off)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.accounts.models import User


class Command(BaseCommand):
    help = (
        "Create the staff login of the local demo; an existing one keeps its password (and "
        "its sessions) unless --reset. Development only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", default="demo@example.com")
        parser.add_argument("--password", default="demo-portal-password")
        parser.add_argument(
            "--reset", action="store_true", help="set the password even if the user exists"
        )

    def handle(self, *args, email: str, password: str, reset: bool, **options):
        if not settings.DEBUG:
            raise CommandError("create_demo_staff is for development machines (DEBUG on) only")
        user = User.objects.filter(email__iexact=email).first()
        if user is not None:
            user.mark_email_verified()  # the demo's address is not a real mailbox to confirm
        if user and not reset:
            # `make run` calls this at every start: changing the password would sign the demo
            # user out everywhere, and undo a password they chose.
            shown = password if user.check_password(password) else "(the password you set)"
            self.stdout.write(f"Demo staff login: {user.email} / {shown}")
            return
        user = user or User(email=email.lower(), name="Demo staff")
        user.set_password(password)
        user.save()
        user.mark_email_verified()
        self.stdout.write(f"Demo staff login: {user.email} / {password}")
