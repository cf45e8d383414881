"""Real, small filesystems (tmpfs) for disk-full and USB-drive tests: no monkeypatched os calls."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.stacks.require import missing_stack


@contextmanager
def tmpfs(mount_point: Path, size: str) -> Iterator[Path]:
    """Mount a tmpfs of ``size`` (e.g. ``256k``, ``8m``) at ``mount_point`` (needs root)."""
    mount_point.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        missing_stack("mounting a tmpfs needs root")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        missing_stack(f"cannot mount tmpfs: {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs mounted for one test."""
    with tmpfs(tmp_path / "tiny", "256k") as mount_point:
        yield mount_point


@pytest.fixture
def mount_tmpfs() -> Iterator[Callable[[Path, str], Path]]:
    """``mount_tmpfs(path, size)``: as many tmpfs mounts as a test needs, unmounted after it."""
    with ExitStack() as stack:
        yield lambda path, size: stack.enter_context(tmpfs(path, size))
