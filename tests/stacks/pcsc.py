"""pcscd with the vsmartcard virtual reader, and our scripted card in it.

pcscd is started if it is not running (no systemd in CI) and stopped at the end only if this
fixture started it. vpcd makes pcscd listen on all addresses: fine in CI, never on the kiosk image.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


def _reader_listed() -> bool:
    """pcscd answers its client socket and lists our reader: what "ready" means to a test.

    Not vpcd's port alone: vpcd listens on it before pcscd opens its client socket."""
    from smartcard import scard

    rc, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if rc != scard.SCARD_S_SUCCESS:
        return False
    try:
        rc, readers = scard.SCardListReaders(ctx, [])
        return rc == scard.SCARD_S_SUCCESS and READER in readers
    finally:
        scard.SCardReleaseContext(ctx)


def _diagnosis(proc: subprocess.Popen[bytes] | None, log: Path) -> str:
    """What a test failing on a lost reader needs to know: which pcscd runs, and what ours said."""
    running = subprocess.run(["pgrep", "-a", "pcscd"], capture_output=True, text=True).stdout
    if proc is None:
        ours = "someone else's pcscd was used"
    else:
        ours = f"our pcscd (pid {proc.pid}) exit status: {proc.poll()}"
    tail = log.read_text(errors="replace").splitlines()[-20:] if log.exists() else []
    return "\n".join(
        [
            f"pcscd no longer lists {READER!r}; {ours}",
            f"pcscd processes: {running.strip() or 'none'}",
            f"vpcd port {VPCD_PORT} listening: {_listening(VPCD_PORT)}",
            f"{log}:",
            *tail,
        ]
    )


@dataclass
class Pcscd:
    proc: subprocess.Popen[bytes] | None
    log: Path

    def check(self) -> None:
        if not _reader_listed():
            pytest.fail(_diagnosis(self.proc, self.log), pytrace=False)


@pytest.fixture(scope="session")
def pcscd_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pcscd]:
    """A running pcscd with the vpcd reader (ours, or someone else's that already has it)."""
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
        while not _reader_listed() and time.monotonic() < deadline:
            time.sleep(0.1)
        if not _reader_listed():
            missing_stack(f"a pcscd runs, but it does not list {READER!r}")
    log = tmp_path_factory.mktemp("pcscd") / "pcscd.log"
    # -f keeps pcscd in the foreground as our child, so we stop exactly the one we started.
    with daemon(["pcscd", "--foreground", "--info"], _reader_listed, log=log) as proc:
        yield Pcscd(proc, log)


@pytest.fixture
def pcscd(pcscd_daemon: Pcscd) -> str:
    """The reader name, "Virtual PCD 00 00"; fails with pcscd's own story if it was lost."""
    pcscd_daemon.check()
    return READER


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
