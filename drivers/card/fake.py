"""The fake card reader for demo and training: a trainer "taps" an enrolled card on screen."""

from __future__ import annotations

import threading

from drivers.card import Card
from drivers.errors import CardError, CardReaderUnavailable

# The ATR of a typical contactless card seen through a PC/SC reader (storage card, ISO 14443 A).
DEFAULT_ATR = "3B8F8001804F0CA000000306030001000000006A"


class FakeCardReader:
    """Holds at most one card; wait_* block on a condition, never busy-poll."""

    name = "Pembaca kartu simulasi"

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._card: Card | None = None
        self._unavailable = False
        self._fail_next: CardError | None = None

    # Trainer verbs -----------------------------------------------------------------------------
    def insert(self, uid: str, atr: str = DEFAULT_ATR) -> None:
        with self._cond:
            self._card = Card(uid.upper(), atr.upper())
            self._cond.notify_all()

    def tap(self, uid: str) -> None:
        """Put a card on the reader; it stays until ``remove()`` (a tap is a short insert)."""
        self.insert(uid)

    def remove(self) -> None:
        with self._cond:
            self._card = None
            self._cond.notify_all()

    def fail_next(self, error: CardError) -> None:
        """Make the next read raise ``error`` (e.g. CardRemoved: the card pulled mid-read)."""
        with self._cond:
            self._fail_next = error
            self._cond.notify_all()

    def set_unavailable(self, unavailable: bool) -> None:
        """Simulate an unplugged reader."""
        with self._cond:
            self._unavailable = unavailable
            self._cond.notify_all()

    # Protocol ----------------------------------------------------------------------------------
    def describe(self) -> str:
        if self._unavailable:
            raise CardReaderUnavailable("fake reader unplugged")
        return self.name

    def wait_for_card(self, timeout_s: float) -> Card | None:
        with self._cond:
            self._cond.wait_for(
                lambda: self._card is not None or self._unavailable or self._fail_next is not None,
                timeout_s,
            )
            if self._unavailable:
                raise CardReaderUnavailable("fake reader unplugged")
            if self._fail_next is not None:
                error, self._fail_next = self._fail_next, None
                raise error
            return self._card

    def wait_for_removal(self, timeout_s: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._card is None, timeout_s)
