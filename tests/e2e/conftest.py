"""Browser tests: Debian's Chromium driven by Playwright, against the kiosk served by waitress."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import waitress

from kiosk import create_app
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE
from tests.e2e.touch import contact_sheet
from tests.stacks.require import missing_stack

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling Google on a closed network.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, object]) -> dict[str, object]:
    if not shutil.which(CHROMIUM):
        missing_stack("Debian's chromium is not installed")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ARGS}


@pytest.fixture
def demo_url(tmp_path: Path) -> Iterator[str]:
    """The kiosk in demo mode (fake devices, SIMULASI) on a free loopback port."""
    settings = Settings.from_values(data_dir=tmp_path / "data", hardware="fake", training=True)
    app = create_app(settings, provision_from=SAMPLE_PROFILE)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    server.close()
    app.extensions["kiosk"].close()


@pytest.fixture(scope="session", autouse=True)
def screen_contact_sheets() -> Iterator[None]:
    """After the browser tests: one contact sheet per language of every screen at 800×480
    (artifacts/screenshots/contact-screens-{id,en}.png), from the screen-budget pictures."""
    yield
    for lang in ("id", "en"):
        shots = sorted(ARTIFACTS.glob(f"screen-{lang}-*-800x480.png"))
        named = [
            (p, p.name.removeprefix(f"screen-{lang}-").removesuffix("-800x480.png")) for p in shots
        ]
        if named:
            contact_sheet(named, ARTIFACTS / f"contact-screens-{lang}.png")


@pytest.fixture
def shot() -> Iterator[object]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page: object, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path

    yield take
