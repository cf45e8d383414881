"""pcscd with the vsmartcard virtual reader, and our scripted card in it.

pcscd is started if it is not running (no systemd in CI) and stopped at the end only if this
fixture started it. vpcd makes pcscd listen on all addresses: fine in CI, never on the kiosk image.
"""

from __future__ import annotations

import shutil
import subprocess
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
    # -f: in the foreground, as our child. Ready once vpcd (loaded by pcscd) listens.
    with daemon(["pcscd", "-f"], lambda: _running() and _listening(VPCD_PORT)):
        yield READER


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
