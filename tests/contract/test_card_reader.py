"""One contract for every card reader adapter: pcscd + virtual card, and the fake."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest

from drivers.card.fake import DEFAULT_ATR, FakeCardReader
from drivers.errors import CardReaderUnavailable, CardRemoved
from tests.stacks.vcard import ATR

UID = "04A1B2C3D4E5F6"


@dataclass
class Harness:
    reader: Any
    atr: str
    insert: Any  # (uid, vanish_on_uid=False) -> None
    remove: Any
    unknown_reader: Any


@pytest.fixture(params=["pcsc", "fake"])
def harness(request):
    if request.param == "pcsc":
        from drivers.card.pcsc_adapter import PcscCardReader

        reader_name = request.getfixturevalue("pcscd")
        make = request.getfixturevalue("virtual_card")
        inserted = []

        def insert(uid, vanish_on_uid=False):
            card = make(uid, vanish_on_uid)
            card.insert()
            inserted.append(card)

        def remove():
            inserted.pop().remove()

        return Harness(
            PcscCardReader(reader_name),
            ATR.hex().upper(),
            insert,
            remove,
            lambda: PcscCardReader("No Such Reader"),
        )
    fake = FakeCardReader()

    def fake_insert(uid, vanish_on_uid=False):
        if vanish_on_uid:
            fake.fail_next(CardRemoved("pulled mid-read"))
        fake.insert(uid)

    unplugged = FakeCardReader()
    unplugged.set_unavailable(True)
    return Harness(fake, DEFAULT_ATR, fake_insert, fake.remove, lambda: unplugged)


def test_no_card_times_out_with_none(harness):
    started = time.monotonic()
    assert harness.reader.wait_for_card(0.5) is None
    assert time.monotonic() - started >= 0.45


def test_inserted_card_gives_exact_uid_and_atr(harness):
    assert harness.reader.describe()
    harness.insert(UID)
    card = harness.reader.wait_for_card(5)
    assert card is not None
    assert card.uid == UID
    assert card.atr == harness.atr


def test_removal_is_seen(harness):
    harness.insert(UID)
    assert harness.reader.wait_for_card(5) is not None
    assert harness.reader.wait_for_removal(0.3) is False
    harness.remove()
    assert harness.reader.wait_for_removal(5) is True


def test_card_removed_mid_read(harness):
    harness.insert(UID, vanish_on_uid=True)
    with pytest.raises(CardRemoved):
        harness.reader.wait_for_card(5)


def test_unknown_reader_is_unavailable(harness):
    with pytest.raises(CardReaderUnavailable):
        harness.unknown_reader().describe()
