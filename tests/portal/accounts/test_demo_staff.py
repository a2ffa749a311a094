"""`manage.py create_demo_staff`, which `make run` calls at every start."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def demo_staff(*args: str) -> str:
    out = StringIO()
    call_command("create_demo_staff", *args, stdout=out)
    return out.getvalue().strip()


def test_running_it_again_keeps_the_password_the_demo_user_chose(settings, django_user_model):
    settings.DEBUG = True
    assert demo_staff() == "Demo staff login: demo@example.com / demo-portal-password"
    user = django_user_model.objects.get(email="demo@example.com")
    user.set_password("my own choice")
    user.save()

    assert demo_staff() == "Demo staff login: demo@example.com / (the password you set)"
    user.refresh_from_db()
    assert user.check_password("my own choice")


def test_running_it_again_with_the_default_password_names_it(settings):
    settings.DEBUG = True
    demo_staff()

    assert demo_staff() == "Demo staff login: demo@example.com / demo-portal-password"


def test_reset_sets_the_password_again(settings, django_user_model):
    settings.DEBUG = True
    demo_staff("--password", "first")

    assert demo_staff("--reset", "--password", "second").endswith("/ second")
    assert django_user_model.objects.get(email="demo@example.com").check_password("second")
