"""The fake card reader for demo and training: a trainer "taps" an enrolled card on screen
(``insert``, the ``SimulatedCardReader`` verbs).

It fakes the reader, not the rules: the kiosk's card watch waits on it exactly as on pcscd, and
sees the same Card values (upper-case hex UID and ATR) and the same errors.
"""

from __future__ import annotations

import threading

from drivers.card import Card
from drivers.errors import CardError, CardReaderUnavailable, CardRemoved

# The ATR of a typical contactless card seen through a PC/SC reader (storage card, ISO 14443 A).
DEFAULT_ATR = "3B8F8001804F0CA000000306030001000000006A"


def _hex(text: str) -> str:
    """``"04 a1:b2"`` -> ``"04A1B2"``; ValueError for anything that is not whole bytes of hex."""
    return bytes.fromhex(text.replace(":", " ")).hex().upper()


class FakeCardReader:
    """Holds at most one card. The waits block on a condition with their timeout, never poll."""

    name = "Pembaca kartu simulasi"

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._card: Card | None = None
        self._unavailable = False
        self._fail_next: CardError | None = None

    # Trainer verbs -----------------------------------------------------------------------------
    def insert(self, uid: str, atr: str = DEFAULT_ATR) -> None:
        """Put a card on the reader (replacing any card there); it stays until ``remove()``."""
        card = Card(_hex(uid), _hex(atr))
        with self._cond:
            self._card = card
            self._cond.notify_all()

    def remove(self) -> None:
        with self._cond:
            self._card = None
            self._cond.notify_all()

    def fail_next(self, error: CardError) -> None:
        """Make the next read of a card raise ``error``.

        A CardRemoved also takes the card off the reader, as pulling it out mid-read would.
        """
        with self._cond:
            self._fail_next = error

    def clear_fault(self) -> None:
        """Forget a failure set with ``fail_next`` that no read has met yet."""
        with self._cond:
            self._fail_next = None

    @property
    def pending_fault(self) -> CardError | None:
        """The failure the next read will meet, if any (for the trainer's panel)."""
        with self._cond:
            return self._fail_next

    def set_unavailable(self, unavailable: bool) -> None:
        """Simulate an unplugged reader (True) or plug it back in (False)."""
        with self._cond:
            self._unavailable = unavailable
            self._cond.notify_all()

    # Protocol ----------------------------------------------------------------------------------
    def _check(self) -> None:
        if self._unavailable:
            raise CardReaderUnavailable("fake reader unplugged")

    def describe(self) -> str:
        with self._cond:
            self._check()
            return self.name

    def wait_for_card(self, timeout_s: float) -> Card | None:
        """The card on the reader (at once if one is there), or None after ``timeout_s`` s."""
        with self._cond:
            self._cond.wait_for(lambda: self._card is not None or self._unavailable, timeout_s)
            self._check()
            if self._card is not None and self._fail_next is not None:
                error, self._fail_next = self._fail_next, None
                if isinstance(error, CardRemoved):
                    self._card = None
                    self._cond.notify_all()
                raise error
            return self._card

    def wait_for_removal(self, timeout_s: float) -> bool:
        """True once no card is on the reader (at once if none is), False after ``timeout_s`` s."""
        with self._cond:
            self._cond.wait_for(lambda: self._card is None or self._unavailable, timeout_s)
            self._check()
            return self._card is None
