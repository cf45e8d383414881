"""Decide what a test does when a real software stack (SANE, CUPS, pcscd, Chromium) is missing.

scripts/test installs and starts every stack and sets KIOSK_STACKS_REQUIRED=1: there a missing
stack fails the test. A developer running pytest without them gets a skip with the reason.
"""

from __future__ import annotations

import os

import pytest


def stacks_required() -> bool:
    return os.environ.get("KIOSK_STACKS_REQUIRED") == "1"


def missing_stack(reason: str) -> None:
    """Fail (under scripts/test) or skip (elsewhere) because a real stack is not available."""
    if stacks_required():
        pytest.fail(f"required stack missing: {reason}", pytrace=False)
    pytest.skip(reason)
