"""One contract for every card reader adapter: pcscd + vpcd + our scripted card, and the fake.

pcscd notices a vpcd card some 0.5–2 s after it connects, so waits for a card are generous (5 s);
they return as soon as the card is seen, so the suite stays fast.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from drivers.card import Card, CardReader
from drivers.card.fake import DEFAULT_ATR, FakeCardReader
from drivers.errors import CardReaderUnavailable, CardRemoved, CardUnreadable
from tests.stacks.require import missing_stack
from tests.stacks.vcard import ATR, GET_UID, VirtualCard

ROOT = Path(__file__).resolve().parents[2]
UID = "04A1B2C3D4E5F6"
OTHER_UID = "04C0FFEE000001"


@dataclass
class Harness:
    reader: CardReader
    atr: str  # the ATR the inserted cards have, upper-case hex
    insert: Callable[[str], None]
    insert_vanishing: Callable[[str], None]  # a card pulled out when it is asked for its UID
    insert_unreadable: Callable[[str], None]  # a card that answers GET UID with 6A 81
    remove: Callable[[], None]
    unknown_reader: Callable[[], CardReader]


def _pcsc_harness(request: pytest.FixtureRequest) -> Harness:
    from drivers.card.pcsc_adapter import PcscCardReader

    reader_name: str = request.getfixturevalue("pcscd")
    make: Callable[..., VirtualCard] = request.getfixturevalue("virtual_card")
    inserted: list[VirtualCard] = []

    def insert(uid: str, vanish_on_uid: bool = False, uid_status: str = "9000") -> None:
        card = make(uid, vanish_on_uid)
        card.uid_status = bytes.fromhex(uid_status)
        card.insert()
        inserted.append(card)

    return Harness(
        reader=PcscCardReader(reader_name),
        atr=ATR.hex().upper(),
        insert=insert,
        insert_vanishing=lambda uid: insert(uid, vanish_on_uid=True),
        insert_unreadable=lambda uid: insert(uid, uid_status="6A81"),
        remove=lambda: inserted.pop().remove(),
        unknown_reader=lambda: PcscCardReader("No Such Reader"),
    )


def _fake_harness() -> Harness:
    fake = FakeCardReader()

    def insert_vanishing(uid: str) -> None:
        fake.fail_next(CardRemoved("pulled out mid-read"))
        fake.insert(uid)

    def insert_unreadable(uid: str) -> None:
        fake.fail_next(CardUnreadable("GET UID answered 6A81"))
        fake.insert(uid)

    unplugged = FakeCardReader()
    unplugged.set_unavailable(True)
    return Harness(
        reader=fake,
        atr=DEFAULT_ATR,
        insert=fake.insert,
        insert_vanishing=insert_vanishing,
        insert_unreadable=insert_unreadable,
        remove=fake.remove,
        unknown_reader=lambda: unplugged,
    )


@pytest.fixture(params=["pcsc", "fake"])
def harness(request: pytest.FixtureRequest) -> Harness:
    return _pcsc_harness(request) if request.param == "pcsc" else _fake_harness()


def _timed(call: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_no_card_times_out_with_none(harness: Harness) -> None:
    card, took = _timed(lambda: harness.reader.wait_for_card(0.5))
    assert card is None
    assert 0.45 <= took < 2


def test_inserted_card_gives_exact_uid_and_atr(harness: Harness) -> None:
    assert harness.reader.describe()
    harness.insert(UID)
    assert harness.reader.wait_for_card(5) == Card(uid=UID, atr=harness.atr)


def test_card_on_the_reader_is_returned_at_once(harness: Harness) -> None:
    harness.insert(UID)
    first = harness.reader.wait_for_card(5)
    again, took = _timed(lambda: harness.reader.wait_for_card(5))
    assert again == first
    assert took < 1


def test_removal_is_seen(harness: Harness) -> None:
    harness.insert(UID)
    assert harness.reader.wait_for_card(5) is not None
    still_there, took = _timed(lambda: harness.reader.wait_for_removal(0.3))
    assert still_there is False
    assert took >= 0.25
    harness.remove()
    assert harness.reader.wait_for_removal(5) is True


def test_empty_reader_reports_removal_at_once(harness: Harness) -> None:
    gone, took = _timed(lambda: harness.reader.wait_for_removal(5))
    assert gone is True
    assert took < 1


def test_next_card_is_read_fresh(harness: Harness) -> None:
    harness.insert(UID)
    assert harness.reader.wait_for_card(5) == Card(UID, harness.atr)
    harness.remove()
    assert harness.reader.wait_for_removal(5)
    harness.insert(OTHER_UID)
    assert harness.reader.wait_for_card(5) == Card(OTHER_UID, harness.atr)


def test_card_removed_mid_read(harness: Harness) -> None:
    harness.insert_vanishing(UID)
    with pytest.raises(CardRemoved):
        harness.reader.wait_for_card(5)
    assert harness.reader.wait_for_removal(5) is True


def test_card_refusing_its_uid_is_unreadable_and_stays(harness: Harness) -> None:
    harness.insert_unreadable(UID)
    with pytest.raises(CardUnreadable):
        harness.reader.wait_for_card(5)
    assert harness.reader.wait_for_removal(0.3) is False  # the officer has to take it out
    harness.remove()
    assert harness.reader.wait_for_removal(5) is True


def test_unknown_reader_is_unavailable(harness: Harness) -> None:
    reader = harness.unknown_reader()
    with pytest.raises(CardReaderUnavailable):
        reader.describe()
    with pytest.raises(CardReaderUnavailable):
        reader.wait_for_card(0.5)
    with pytest.raises(CardReaderUnavailable):
        reader.wait_for_removal(0.5)


def test_two_threads_share_the_reader(harness: Harness) -> None:
    """The card-watch thread waits while a self-test asks for the reader and reads the card."""
    seen: list[Card | None] = []
    waiters = [
        threading.Thread(target=lambda: seen.append(harness.reader.wait_for_card(5)))
        for _ in range(2)
    ]
    for waiter in waiters:
        waiter.start()
    name, took = _timed(harness.reader.describe)
    assert name
    assert took < 0.5, "describe() waited for another thread's wait_for_card"
    harness.insert(UID)
    for waiter in waiters:
        waiter.join(timeout=10)
    assert seen == [Card(UID, harness.atr)] * 2


# The PC/SC adapter only ------------------------------------------------------------------------
def test_pcsc_asks_the_card_only_for_its_uid(
    pcscd: str, virtual_card: Callable[..., VirtualCard]
) -> None:
    from drivers.card.pcsc_adapter import PcscCardReader

    card = virtual_card(UID)
    card.insert()
    assert PcscCardReader(pcscd).wait_for_card(5) is not None
    assert card.apdus == [GET_UID]


def test_pcscd_not_running_is_unavailable() -> None:
    """Pointing libpcsclite at a socket nobody listens on is pcscd not running, for that process
    only; the path is read once per process, hence the subprocess."""
    try:
        import smartcard  # noqa: F401
    except ImportError:
        missing_stack("pyscard is not installed")
    code = textwrap.dedent(
        """
        from drivers.card.pcsc_adapter import PcscCardReader
        from drivers.errors import CardReaderUnavailable
        reader = PcscCardReader("")
        for call in (reader.describe, lambda: reader.wait_for_card(1)):
            try:
                call()
            except CardReaderUnavailable as exc:
                print("unavailable:", exc)
        """
    )
    env = {**os.environ, "PCSCLITE_CSOCK_NAME": "/nonexistent/pcscd.comm"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["unavailable: pcscd unreachable: Service not available."] * 2


def test_pcsc_without_pyscard_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    from drivers.card.pcsc_adapter import PcscCardReader

    monkeypatch.setitem(sys.modules, "smartcard", None)  # makes `import smartcard` fail
    with pytest.raises(CardReaderUnavailable) as caught:
        PcscCardReader("").describe()
    assert isinstance(caught.value.__cause__, ImportError)


# The fake's trainer verbs ----------------------------------------------------------------------
@pytest.fixture
def fake() -> FakeCardReader:
    return FakeCardReader()


def test_fake_insert_puts_the_card_until_removed(fake: FakeCardReader) -> None:
    fake.insert("04 a1 b2 c3 d4 e5 f6")
    assert fake.wait_for_card(0) == Card(UID, DEFAULT_ATR)
    assert fake.wait_for_removal(0) is False
    fake.remove()
    assert fake.wait_for_card(0) is None


def test_fake_rejects_a_uid_that_is_not_hex(fake: FakeCardReader) -> None:
    with pytest.raises(ValueError):
        fake.insert("Siti")


def test_fake_unplug_wakes_a_waiter_and_plugs_back(fake: FakeCardReader) -> None:
    errors: list[Exception] = []

    def wait() -> None:
        try:
            fake.wait_for_card(5)
        except CardReaderUnavailable as exc:
            errors.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    fake.set_unavailable(True)
    waiter.join(timeout=2)
    assert len(errors) == 1
    fake.set_unavailable(False)
    assert fake.describe() == FakeCardReader.name
