"""The kiosk screen's launcher (systemd/bin/tps-kiosk-browser) and splash page.

The launcher runs for real (bash, its bounded wait, its /health probe) against a real kiosk
served by waitress; only cage is a stand-in that records the command it was given, since
a Wayland compositor needs a display. The splash page runs in Debian's Chromium.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import waitress

from kiosk import create_app
from kiosk.settings import Settings
from tests.stacks.require import missing_stack
from tests.systemd.units import SYSTEMD_DIR

LAUNCHER = SYSTEMD_DIR / "bin/tps-kiosk-browser"
SPLASH = SYSTEMD_DIR / "share/splash.html"
CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Kiosk:
    """The kiosk app (fake devices) on a loopback port, started when the test says so."""

    def __init__(self, data_dir: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.data_dir = data_dir
        self.server: object = None
        self.app = None

    def start(self) -> None:
        settings = Settings.from_values(data_dir=self.data_dir, hardware="fake")
        self.app = create_app(settings)
        self.server = waitress.create_server(self.app, host="127.0.0.1", port=self.port, threads=2)
        threading.Thread(target=self.server.run, daemon=True).start()  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()  # type: ignore[attr-defined]
            self.app.extensions["kiosk"].close()  # type: ignore[attr-defined]


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    k = Kiosk(tmp_path / "data")
    yield k
    k.stop()


def run_launcher(tmp_path: Path, url: str, wait_s: int) -> tuple[list[str], float]:
    """Run the launcher with cage replaced by a recorder; the command it exec'd, and when."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    record = tmp_path / "cage-argv"
    cage = bin_dir / "cage"
    cage.write_text(f'#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done > {record}\n')
    cage.chmod(0o755)
    runtime = tmp_path / "run"
    runtime.mkdir(exist_ok=True)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "TPS_KIOSK_URL": url,
        "TPS_KIOSK_WAIT_S": str(wait_s),
        "TPS_KIOSK_SPLASH": str(SPLASH),
        "RUNTIME_DIRECTORY": str(runtime),
    }
    started = time.monotonic()
    result = subprocess.run(
        [str(LAUNCHER)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    return record.read_text().splitlines(), took


def test_opens_the_app_as_soon_as_it_is_healthy(tmp_path, kiosk):
    kiosk.start()
    argv, took = run_launcher(tmp_path, kiosk.url, wait_s=20)
    assert took < 5
    assert argv[:3] == ["-d", "--", "chromium"]
    assert argv[-1] == kiosk.url
    for flag in (
        "--kiosk",
        "--noerrdialogs",
        "--disable-infobars",
        "--no-first-run",
        "--touch-events=enabled",
        "--disable-pinch",
        "--overscroll-history-navigation=0",
        "--disable-features=TranslateUI",
        "--disable-session-crashed-bubble",
        "--disable-component-update",
        "--check-for-update-interval=31536000",
        f"--user-data-dir={tmp_path / 'run' / 'chromium'}",
    ):
        assert flag in argv, flag
    assert (tmp_path / "run/chromium").is_dir()


def test_waits_for_an_app_that_comes_up_late(tmp_path, kiosk):
    threading.Timer(2.0, kiosk.start).start()
    argv, took = run_launcher(tmp_path, kiosk.url, wait_s=20)
    assert argv[-1] == kiosk.url
    assert 1.5 < took < 10


def test_shows_the_splash_page_when_the_app_is_not_up_in_time(tmp_path, kiosk):
    argv, took = run_launcher(tmp_path, kiosk.url, wait_s=3)
    assert argv[-1] == f"file://{SPLASH}?app={kiosk.url}"
    assert 2.5 < took < 8, "the wait is bounded"


def test_a_port_that_accepts_but_never_answers_does_not_stall_the_wait(tmp_path):
    with socket.socket() as wedged:
        wedged.bind(("127.0.0.1", 0))
        wedged.listen()
        url = f"http://127.0.0.1:{wedged.getsockname()[1]}/"
        argv, took = run_launcher(tmp_path, url, wait_s=3)
    assert argv[-1].startswith("file://")
    assert took < 8


def test_splash_page_polls_and_opens_the_app_when_it_answers(tmp_path, kiosk, playwright):
    """``playwright``: pytest-playwright's session instance (a second sync instance in the
    same run would fail: the first one's event loop is still running)."""
    if not shutil.which(CHROMIUM):
        missing_stack("Debian's chromium is not installed")
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    try:
        page = browser.new_page()
        page.goto(f"file://{SPLASH}?app={kiosk.url}")
        assert "Kios sedang dimulai" in page.inner_text("h1")
        assert page.evaluate("document.documentElement.lang") == "id"
        time.sleep(2.5)  # a poll or two find nothing
        assert page.url.startswith("file://")
        kiosk.start()
        page.wait_for_url(kiosk.url + "*", timeout=8000)
        assert page.url.startswith(kiosk.url)
    finally:
        browser.close()


def test_splash_page_has_no_external_assets():
    html = SPLASH.read_text(encoding="utf-8")
    for marker in ('src="http', "src='http", 'href="http', "@import", "url("):
        assert marker not in html, marker
    assert os.path.getsize(SPLASH) < 8000
