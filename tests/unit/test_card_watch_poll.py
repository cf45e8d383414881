"""Test kiosks' card watches poll briefly (tests/card_watch_poll.py), and still follow a card."""

from __future__ import annotations

from drivers.card.fake import FakeCardReader
from kiosk.services import card_watch
from kiosk.services.card_watch import CardWatch
from tests.card_watch_poll import TEST_POLL_S


def test_the_card_watch_polls_briefly_in_tests_and_still_follows_a_card() -> None:
    assert card_watch.POLL_S == TEST_POLL_S
    reader, removed = FakeCardReader(), []
    watch = CardWatch(reader, removed.append)
    watch.start()
    try:
        reader.insert("04A1B2C3")
        assert watch.wait_for(present=True, timeout_s=5)
        reader.remove()
        assert watch.wait_for(present=False, timeout_s=5)
    finally:
        watch.stop()
    assert removed == ["04A1B2C3"]
