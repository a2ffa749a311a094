"""Create the demo staff login of a development machine (refused when DEBUG is off)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.accounts.models import User


class Command(BaseCommand):
    help = "Create (or reset) a staff login for the local demo. Development only."

    def add_arguments(self, parser):
        parser.add_argument("--email", default="demo@example.com")
        parser.add_argument("--password", default="demo-portal-password")

    def handle(self, *args, email: str, password: str, **options):
        if not settings.DEBUG:
            raise CommandError("create_demo_staff is for development machines (DEBUG on) only")
        user = User.objects.filter(email__iexact=email).first() or User(email=email.lower())
        user.name = user.name or "Demo staff"
        user.set_password(password)
        user.save()
        self.stdout.write(f"Demo staff login: {user.email} / {password}")
