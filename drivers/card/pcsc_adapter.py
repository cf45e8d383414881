"""Smart card reader over PC/SC (pcscd) through pyscard: the only module that imports smartcard.

Uses pyscard's thin ``smartcard.scard`` layer: ``SCardGetStatusChange`` blocks inside pcscd until
a card arrives or leaves (no polling here), and the UID comes from the PC/SC pseudo-APDU
``FF CA 00 00 00`` (GET DATA, UID), which contactless readers answer for any ISO 14443 card.

Each call opens its own PC/SC context and releases it on return. That costs ~0.3 ms (a Unix
socket round trip to pcscd), and buys three things: a thread blocked in a wait never holds up
another thread (pcsc-lite serialises calls on one context), a restarted pcscd is picked up by the
next call without any reconnect logic, and no context leaks when a reader object is dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from drivers.card import Card
from drivers.errors import CardReaderUnavailable, CardRemoved, CardUnreadable

log = logging.getLogger(__name__)

GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
SW_OK = [0x90, 0x00]

# pcsc-lite return codes by what they mean for the officer holding the card. Any code not listed
# while talking to a card is taken as the card having gone: that is what a shaky hand causes.
_READER_GONE = (
    "SCARD_E_NO_SERVICE",
    "SCARD_E_SERVICE_STOPPED",
    "SCARD_E_NO_READERS_AVAILABLE",
    "SCARD_E_UNKNOWN_READER",
    "SCARD_E_READER_UNAVAILABLE",
)
_CARD_BAD = (
    "SCARD_W_UNRESPONSIVE_CARD",
    "SCARD_W_UNPOWERED_CARD",
    "SCARD_W_UNSUPPORTED_CARD",
    "SCARD_E_PROTO_MISMATCH",
    "SCARD_E_SHARING_VIOLATION",
)


def _scard() -> Any:
    try:
        from smartcard import scard
    except ImportError as exc:
        raise CardReaderUnavailable(f"pyscard cannot be loaded: {exc}") from exc
    return scard


def _codes(sc: Any, names: tuple[str, ...]) -> set[int]:
    # getattr: a pyscard built against an older pcsc-lite may lack a rarer code.
    return {int(getattr(sc, n)) for n in names if hasattr(sc, n)}


def _hex(data: list[int] | bytes) -> str:
    return bytes(data).hex().upper()


class PcscCardReader:
    """The first PC/SC reader whose name contains ``reader_name`` ("" = the first reader).

    Thread-safe: the card-watch thread and a self-test may call it at the same time. Waits run
    on per-call contexts and never block each other; a lock keeps two reads of the card (connect,
    GET UID, disconnect) from interleaving.
    """

    def __init__(self, reader_name: str = "") -> None:
        self.reader_name = reader_name
        self._read_lock = threading.Lock()  # one conversation with the card at a time
        self._lost_lock = threading.Lock()  # a separate lock: _read may report a lost reader
        self._lost = False  # log a lost reader once, and its return once

    # -- plumbing -------------------------------------------------------------------------------
    def _unavailable(self, detail: str) -> CardReaderUnavailable:
        with self._lost_lock:
            if not self._lost:
                log.warning("card reader lost: %s", detail)
                self._lost = True
        return CardReaderUnavailable(detail)

    @contextmanager
    def _context(self) -> Iterator[Any]:
        sc = _scard()
        rc, ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
        if rc != sc.SCARD_S_SUCCESS:
            raise self._unavailable(f"pcscd unreachable: {sc.SCardGetErrorMessage(rc)}")
        try:
            yield ctx
        finally:
            sc.SCardReleaseContext(ctx)

    def _reader(self, ctx: Any) -> str:
        sc = _scard()
        rc, readers = sc.SCardListReaders(ctx, [])
        if rc != sc.SCARD_S_SUCCESS or not readers:
            raise self._unavailable(f"no card reader: {sc.SCardGetErrorMessage(rc)}")
        name = next((str(r) for r in readers if self.reader_name in r), None)
        if name is None:
            raise self._unavailable(f"no reader matching {self.reader_name!r} among {readers}")
        with self._lost_lock:
            if self._lost:
                log.info("card reader back: %s", name)
                self._lost = False
        return name

    def _state(self, ctx: Any, reader: str, known: int, timeout_ms: int) -> int:
        """Block in pcscd until the reader's state differs from ``known`` or ``timeout_ms``.

        Returns the new state (``known`` on timeout). The state keeps pcsc-lite's event counter
        in its upper 16 bits, so passing it back in catches a card swapped between two calls.
        """
        sc = _scard()
        rc, states = sc.SCardGetStatusChange(ctx, timeout_ms, [(reader, known)])
        if rc == sc.SCARD_E_TIMEOUT:
            return known
        if rc != sc.SCARD_S_SUCCESS:
            raise self._unavailable(f"status of {reader}: {sc.SCardGetErrorMessage(rc)}")
        _, event, _ = states[0]
        if event & (sc.SCARD_STATE_UNKNOWN | sc.SCARD_STATE_UNAVAILABLE):
            raise self._unavailable(f"{reader} went away")
        # CHANGED only reports this call's news; left in, the next call would return at once.
        return int(event) & ~int(sc.SCARD_STATE_CHANGED)

    def _wait(self, ctx: Any, reader: str, present: bool, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` seconds until a card is (or is not) on the reader."""
        sc = _scard()
        deadline = time.monotonic() + timeout_s
        state = self._state(ctx, reader, sc.SCARD_STATE_UNAWARE, 0)
        while bool(state & sc.SCARD_STATE_PRESENT) != present:
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                return False
            state = self._state(ctx, reader, state, left_ms)
        return True

    def _fail(self, what: str, rc: int) -> Exception:
        """The error for a failed call on a card: reader gone, card unreadable, or card removed."""
        sc = _scard()
        detail = f"{what}: {sc.SCardGetErrorMessage(rc)}"
        if rc in _codes(sc, _READER_GONE):
            return self._unavailable(detail)
        if rc in _codes(sc, _CARD_BAD):
            return CardUnreadable(detail)
        return CardRemoved(detail)

    def _read(self, ctx: Any, reader: str) -> Card:
        """Connect, take the ATR, ask for the UID, disconnect. Caller holds ``_read_lock``."""
        sc = _scard()
        rc, card, protocol = sc.SCardConnect(
            ctx, reader, sc.SCARD_SHARE_SHARED, sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1
        )
        if rc != sc.SCARD_S_SUCCESS:
            raise self._fail("connect", rc)
        try:
            rc, _, _, _, atr = sc.SCardStatus(card)
            if rc != sc.SCARD_S_SUCCESS:
                raise self._fail("status", rc)
            rc, response = sc.SCardTransmit(card, protocol, GET_UID)
            if rc != sc.SCARD_S_SUCCESS:
                raise self._fail("GET UID", rc)
            if len(response) < 2:
                # What pcscd hands back when the card leaves the field between command and answer.
                raise CardRemoved(f"GET UID: no valid response ({_hex(response) or 'empty'})")
            if response[-2:] != SW_OK or len(response) == 2:
                raise CardUnreadable(f"GET UID answered {_hex(response)}")
            return Card(uid=_hex(response[:-2]), atr=_hex(atr))
        finally:
            sc.SCardDisconnect(card, sc.SCARD_LEAVE_CARD)

    # -- protocol -------------------------------------------------------------------------------
    def describe(self) -> str:
        """The matching reader's PC/SC name, e.g. "ACS ACR122U PICC Interface 00 00"."""
        with self._context() as ctx:
            return self._reader(ctx)

    def wait_for_card(self, timeout_s: float) -> Card | None:
        """The card on the reader, read at once if one is there, or None after ``timeout_s`` s."""
        with self._context() as ctx:
            reader = self._reader(ctx)
            if not self._wait(ctx, reader, True, timeout_s):
                return None
            with self._read_lock:
                return self._read(ctx, reader)

    def wait_for_removal(self, timeout_s: float) -> bool:
        """True once no card is on the reader (at once if none is), False after ``timeout_s`` s."""
        with self._context() as ctx:
            return self._wait(ctx, self._reader(ctx), False, timeout_s)
