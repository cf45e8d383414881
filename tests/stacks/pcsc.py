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

from tests.stacks.require import daemon, missing_stack
from tests.stacks.vcard import VirtualCard

VPCD_PORT = 35963
READER = "Virtual PCD 00 00"


def _listening(port: int) -> bool:
    out = subprocess.run(["ss", "-ltn"], capture_output=True, text=True, check=False).stdout
    return f":{port} " in out


def _running() -> bool:
    found = subprocess.run(["pgrep", "-x", "pcscd"], capture_output=True, check=False)
    return found.returncode == 0


def _pcscd_command() -> list[str]:
    # -f keeps pcscd in the foreground as our child, so we stop exactly the one we started, by
    # its PID, without reading /run/pcscd/pcscd.pid. setpriv --pdeathsig makes it exit with us
    # even when pytest is killed (e.g. by `timeout`) before its teardown runs; otherwise that
    # orphan would be taken for "someone else's pcscd" by every later session and never stopped.
    if shutil.which("setpriv"):
        return ["setpriv", "--pdeathsig", "TERM", "pcscd", "-f"]
    return ["pcscd", "-f"]


@pytest.fixture(scope="session")
def pcscd() -> Iterator[str]:
    """A running pcscd with the vpcd reader; yields the reader name, "Virtual PCD 00 00"."""
    try:
        import smartcard  # noqa: F401
    except ImportError:
        missing_stack("pyscard is not installed")
    if not shutil.which("pcscd") or not Path("/etc/reader.conf.d/vpcd").exists():
        missing_stack("pcscd or vsmartcard-vpcd is not installed")
    if _running():
        # Someone else's pcscd: use it, but only if it has loaded vpcd (it may have been
        # started before vsmartcard-vpcd was installed, or be starting right now).
        deadline = time.monotonic() + 5
        while not _listening(VPCD_PORT) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not _listening(VPCD_PORT):
            missing_stack(f"a pcscd runs, but nothing listens on vpcd's port {VPCD_PORT}")
    with daemon(_pcscd_command(), lambda: _running() and _listening(VPCD_PORT)):
        yield READER


@pytest.fixture
def virtual_card(pcscd: str) -> Iterator[Callable[..., VirtualCard]]:
    """Make virtual cards on vpcd port 35963: ``make(uid_hex, vanish_on_uid=False)``.

    A card is not inserted until its ``insert()``. All are removed at teardown, and the fixture
    waits until pcscd sees the reader empty, so the next test starts clean.
    """
    cards: list[VirtualCard] = []

    def make(uid: str, vanish_on_uid: bool = False) -> VirtualCard:
        card = VirtualCard(VPCD_PORT, uid, vanish_on_uid)
        cards.append(card)
        return card

    yield make
    for card in cards:
        card.remove()
    if cards:
        from drivers.card.pcsc_adapter import PcscCardReader

        assert PcscCardReader(pcscd).wait_for_removal(5), "pcscd still sees a card on the reader"
