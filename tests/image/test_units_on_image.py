"""The kiosk's units checked against the root file system they were built into: every program,
user, group, mount and unit they name must be there (``systemd-analyze verify --root``), and the
web app and upload worker must stay at exposure 3.0 or below (``security --offline=true``)."""

from __future__ import annotations

import pytest

from tests.stacks.image import BuiltImage
from tests.systemd.units import exposure, verify_units

pytestmark = [pytest.mark.stack, pytest.mark.slow, pytest.mark.timeout(1800)]

GOAL = 3.0


def test_every_unit_verifies_against_the_built_root(built_image: BuiltImage) -> None:
    problems = verify_units(built_image.rootfs)
    assert problems == []


@pytest.mark.parametrize("unit", ["tps-kiosk-web.service", "tps-kiosk-worker.service"])
def test_exposure_of_the_app_units_in_the_image(
    built_image: BuiltImage, unit: str, record_property: pytest.RecordProperty
) -> None:
    level = exposure(unit, built_image.rootfs)
    record_property("exposure", level)
    assert level <= GOAL
