"""Shared fixtures. Real-stack fixtures live in tests/stacks/ and are loaded as plugins."""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.stacks.sane",
    "tests.stacks.printers",
    "tests.stacks.pcsc",
    "tests.stacks.disk",
    "tests.stacks.collector",
    "tests.stacks.tus_servers",
    "tests.stacks.image",
    "tests.rendered_pages",  # the fake scanner's realistic pages, rendered once per run
    "tests.card_watch_poll",  # a test kiosk's card watch stops in 0.05 s, not 0.5
]

# Figures the issues ask to be reported (e.g. systemd-analyze security exposure): a test
# records them with record_property("exposure", ...); they end up in artifacts/junit.xml and
# in the terminal summary.
_FIGURES: list[tuple[str, str, object]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _FIGURES.extend((report.nodeid, name, value) for name, value in report.user_properties)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("reported figures")
        for nodeid, name, value in _FIGURES:
            terminalreporter.write_line(f"{name} {value}: {nodeid}")
