"""The fake scanner's realistic pages, rendered once per test process (a pytest plugin).

``drivers.scanner.realistic.render_realistic`` gives the same bytes for the same arguments (one
seeded ``random.Random``), and every test kiosk's fake scanner numbers its sheets from 0, so
the suite asks for the same few pages (a ballot's sheet at 300 dpi, seeds 0, 1, 2 ...) again in
test after test, at 0.3-0.8 s a page. Here the fake scanner's ``render_realistic`` remembers
the pages it rendered, the first ones of the run up to ``KEPT_BYTES`` (a kiosk's later sheets
recur less, and a least-recently-used cache thrashes: a test scanning 25 sheets in order
evicted each before the next test asked for it again), and hands each caller its own copy of
the image: what a test scans is byte for byte what it scanned before, only not drawn again.
The renderer's own tests (tests/scanner) and the corpus call ``drivers.scanner.realistic``
itself: not remembered.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest

from drivers.scanner import fake, realistic
from drivers.scanner.realistic import RealisticPage
from drivers.scanner.sample_pages import SampleSheet

KEPT_BYTES = 512 * 2**20  # of pixels: a page is 8.7 MB at 300 dpi in grey, 26 MB in colour

_pages: dict[str, RealisticPage] = {}
_lock = threading.Lock()  # a kiosk scans in a request thread, the test in its own
_count = {"rendered": 0, "remembered": 0, "bytes": 0}  # for the run's summary


def remembered(sheet: SampleSheet, dpi: int, **options: Any) -> RealisticPage:
    """``render_realistic(sheet, dpi, **options)``, from the cache when it was asked before
    (the key is every argument's repr: the sheet's dicts are not hashable)."""
    key = repr((sheet, dpi, sorted(options.items())))
    with _lock:
        page = _pages.get(key)
        _count["rendered" if page is None else "remembered"] += 1
    if page is None:
        page = realistic.render_realistic(sheet, dpi, **options)
        size = page.image.width * page.image.height * len(page.image.getbands())
        with _lock:
            if key not in _pages and _count["bytes"] + size <= KEPT_BYTES:
                _pages[key] = page
                _count["bytes"] += size
    return dataclasses.replace(page, image=page.image.copy())


def pytest_configure(config: pytest.Config) -> None:
    fake.render_realistic = remembered  # type: ignore[assignment]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _count["rendered"]:
        terminalreporter.write_line(
            f"fake scanner's realistic pages: {_count['rendered']} rendered, "
            f"{_count['remembered']} taken again from tests/rendered_pages.py"
        )
