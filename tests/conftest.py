"""Shared fixtures. Real-stack fixtures live in tests/stacks/ and are loaded as plugins."""

from __future__ import annotations

pytest_plugins = [
    "tests.stacks.sane",
    "tests.stacks.printers",
    "tests.stacks.pcsc",
    "tests.stacks.disk",
    "tests.stacks.collector",
    "tests.stacks.tus_servers",
    "tests.stacks.image",
]
