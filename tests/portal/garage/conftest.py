"""The garage's scene: the cast's vehicle owners with records at both shops, both connected."""

from __future__ import annotations

import pytest

from tests.support.garage import Scene, build_scene


@pytest.fixture
def scene(cast, owners) -> Scene:
    return build_scene(cast, owners)
