"""`python -m sandbox <command>`: Django's manage.py for the sandbox project."""

import os
import sys


def main() -> None:
    # Always the sandbox: a caller may have exported the portal's settings (pytest-django does).
    os.environ["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
    from django.core.management import execute_from_command_line

    execute_from_command_line(["python -m sandbox", *sys.argv[1:]])


if __name__ == "__main__":
    main()
