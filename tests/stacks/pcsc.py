"""pcscd with the vsmartcard virtual reader, and our scripted card in it.

pcscd is started if it is not running (no systemd in CI) and stopped at the end only if this
fixture started it. vpcd makes pcscd listen on all addresses: fine in CI, never on the kiosk image.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.stacks.require import missing_stack
from tests.stacks.vcard import VirtualCard

VPCD_PORT = 35963
READER = "Virtual PCD 00 00"


def _listening(port: int) -> bool:
    out = subprocess.run(["ss", "-ltn"], capture_output=True, text=True, check=False).stdout
    return f":{port} " in out


def _running() -> bool:
    return (
        subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True, check=False).returncode == 0
    )


@pytest.fixture(scope="session")
def pcscd() -> Iterator[str]:
    """A running pcscd with the vpcd reader; yields the reader name."""
    try:
        import smartcard  # noqa: F401
    except ImportError:
        missing_stack("pyscard is not installed")
    if not shutil.which("pcscd") or not Path("/etc/reader.conf.d/vpcd").exists():
        missing_stack("pcscd or vsmartcard-vpcd is not installed")
    daemon = None
    if not _running():
        # In the foreground (-f) as our child, so we stop exactly the pcscd we started.
        daemon = subprocess.Popen(
            ["pcscd", "-f"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    deadline = time.monotonic() + 10
    while not _listening(VPCD_PORT) and time.monotonic() < deadline:
        time.sleep(0.1)
    if not _listening(VPCD_PORT):
        missing_stack("vpcd did not start listening on 35963")
    yield READER
    if daemon is not None:
        daemon.terminate()
        daemon.wait(timeout=10)


@pytest.fixture
def virtual_card(pcscd: str) -> Iterator[Callable[..., VirtualCard]]:
    """Make virtual cards (``make(uid, vanish_on_uid=False)``); all are removed at teardown."""
    cards: list[VirtualCard] = []

    def make(uid: str, vanish_on_uid: bool = False) -> VirtualCard:
        card = VirtualCard(VPCD_PORT, uid, vanish_on_uid)
        cards.append(card)
        return card

    yield make
    for card in cards:
        card.remove()
    if cards:
        # Let pcscd see the reader empty before the next test inserts its card.
        from drivers.card.pcsc_adapter import PcscCardReader

        PcscCardReader(pcscd).wait_for_removal(5)
