"""Smart card reader protocol.

Adapters: ``pcsc_adapter.PcscCardReader`` (pyscard over pcscd) and ``fake.FakeCardReader``
(a trainer "taps" an enrolled card on the screen: the ``SimulatedCardReader`` verbs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from drivers.errors import CardError


@dataclass(frozen=True)
class Card:
    """A card on the reader: its UID (from PC/SC ``FF CA 00 00 00``) and ATR, as upper-case hex."""

    uid: str
    atr: str


class CardReader(Protocol):
    def describe(self) -> str:
        """Return the reader name; raise CardReaderUnavailable if there is none."""
        ...

    def wait_for_card(self, timeout_s: float) -> Card | None:
        """Return the card on the reader (at once if one is there), or None after ``timeout_s``.

        Raises CardRemoved when the card goes away while it is read, CardUnreadable,
        CardReaderUnavailable.
        """
        ...

    def wait_for_removal(self, timeout_s: float) -> bool:
        """Return True once no card is on the reader (at once if none is), False on timeout."""
        ...


@runtime_checkable
class SimulatedCardReader(Protocol):
    """The trainer's verbs on a fake card reader (demo and training only)."""

    def wait_for_card(self, timeout_s: float) -> Card | None: ...

    def insert(self, uid: str) -> None:
        """Put the card ``uid`` (hex) on the reader; it stays until ``remove()``."""
        ...

    def remove(self) -> None: ...

    def fail_next(self, error: CardError) -> None:
        """Make the next read of a card raise ``error``."""
        ...

    def clear_fault(self) -> None:
        """Forget a failure set with ``fail_next`` that no read has met yet."""
        ...

    @property
    def pending_fault(self) -> CardError | None:
        """The failure the next read will meet, if any."""
        ...
