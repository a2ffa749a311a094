"""The layering of docs/architecture.md, read from the code's imports (no Django needed)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE_APPS = {"booking", "garage", "dashboard"}
#: Bookings are the one domain two page apps share: the garage shows an owner's bookings and
#: their change requests, the dashboard's inbox answers them through booking's services.
BOOKING_USERS = {"garage", "dashboard"}
#: Leaf apps that import no other portal app, and that every app may import.
LEAVES = {"ui"}
#: What each app may import of the portal's other apps (portal-level modules such as
#: portal.crypto and portal.celery are open to every app).
ALLOWED = {
    "ui": set(),
    "autosync": set(),  # it could be published as a library
    "accounts": LEAVES,
    "shops": {"autosync", "accounts", *LEAVES},
    "mirror": {"shops", "autosync", "accounts", *LEAVES},
    **{app: {"mirror", "shops", "autosync", "accounts", *LEAVES} for app in PAGE_APPS},
}
for _app in BOOKING_USERS:
    ALLOWED[_app] = ALLOWED[_app] | {"booking"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def sources(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def apps_of_portal() -> set[str]:
    return {p.name for p in (ROOT / "portal").iterdir() if (p / "__init__.py").exists()}


def test_every_portal_app_has_a_place_in_the_layering():
    assert apps_of_portal() <= set(ALLOWED), apps_of_portal() - set(ALLOWED)


@pytest.mark.parametrize("app", sorted(apps_of_portal()))
def test_each_app_imports_only_the_apps_below_it(app):
    forbidden = apps_of_portal() - {app} - ALLOWED.get(app, set())
    wrong = []
    for path in sources(f"portal/{app}"):
        for module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "portal" and len(parts) > 1 and parts[1] in forbidden:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_the_portal_and_the_sandbox_never_import_each_other():
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for package, forbidden in (("portal", "sandbox"), ("sandbox", "portal"))
        for path in sources(package)
        for module in imported_modules(path)
        if module.split(".")[0] == forbidden
    ]
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_the_check_sees_a_forbidden_import(tmp_path):
    """The reader above finds `from portal.mirror import x` inside a function too."""
    module = tmp_path / "views.py"
    module.write_text("def view():\n    from portal.mirror.models import WorkOrder\n")
    assert "portal.mirror.models" in imported_modules(module)
