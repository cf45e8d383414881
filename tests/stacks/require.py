"""Decide what a test does when a real software stack (SANE, CUPS, pcscd, Chromium) is missing.

scripts/test installs and starts every stack and sets KIOSK_STACKS_REQUIRED=1: there a missing
stack fails the test. A developer running pytest without them gets a skip with the reason.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def stacks_required() -> bool:
    return os.environ.get("KIOSK_STACKS_REQUIRED") == "1"


def missing_stack(reason: str) -> None:
    """Fail (under scripts/test) or skip (elsewhere) because a real stack is not available."""
    if stacks_required():
        pytest.fail(f"required stack missing: {reason}", pytrace=False)
    pytest.skip(reason)


@contextmanager
def daemon(
    command: list[str],
    ready: Callable[[], bool],
    timeout_s: float = 15,
    log: Path | None = None,
) -> Iterator[subprocess.Popen[bytes] | None]:
    """Run ``command`` (a daemon in the foreground) unless ``ready()`` says one already runs.

    Without systemd nothing starts pcscd or cupsd; a daemon we start is our child, so exactly
    that one is stopped afterwards and one started by someone else is left alone. Yields our
    process (None when someone else's daemon is used); its output goes to ``log`` if given.
    """
    proc = None
    if not ready():
        # --pdeathsig: a pytest run that is killed does not leave the daemon behind.
        with open(log or os.devnull, "ab") as output:
            proc = subprocess.Popen(
                ["setpriv", "--pdeathsig", "TERM", *command],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout_s
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.1)
        if not ready():
            proc.terminate()
            missing_stack(f"{command[0]} did not become ready in {timeout_s:.0f} s")
    try:
        yield proc
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
