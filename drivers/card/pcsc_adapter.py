"""Smart card reader over PC/SC (pcscd) through pyscard: the only module that imports smartcard.

Uses pyscard's thin ``smartcard.scard`` layer: ``SCardGetStatusChange`` blocks in pcscd until a
card arrives or leaves (no polling), and the UID comes from the PC/SC pseudo-APDU
``FF CA 00 00 00`` (GET DATA, UID), which contactless readers answer for any ISO 14443 card.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from drivers.card import Card
from drivers.errors import CardReaderUnavailable, CardRemoved, CardUnreadable

log = logging.getLogger(__name__)

GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]
# pcscd waits at most this long per call, so a timeout of hours still notices a lost daemon.
_SLICE_MS = 1000
_RETRY_S = 0.3


def _hex(data: list[int] | bytes) -> str:
    return bytes(data).hex().upper()


class PcscCardReader:
    """The first PC/SC reader whose name contains ``reader_name`` ("" = the first reader)."""

    def __init__(self, reader_name: str = "") -> None:
        self.reader_name = reader_name
        self._lock = threading.Lock()
        self._context: Any = None
        self._lost_logged = False

    # -- plumbing -------------------------------------------------------------------------------
    def _sc(self) -> Any:
        try:
            from smartcard import scard
        except ImportError as exc:
            raise CardReaderUnavailable("pyscard is not installed") from exc
        return scard

    def _ctx(self) -> Any:
        sc = self._sc()
        if self._context is None:
            rc, ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
            if rc != sc.SCARD_S_SUCCESS:
                self._lost(f"pcscd unreachable: {sc.SCardGetErrorMessage(rc)}")
            self._context = ctx
        return self._context

    def _lost(self, detail: str) -> None:
        """Forget the context (pcscd may have restarted) and raise CardReaderUnavailable."""
        if not self._lost_logged:
            log.warning("card reader lost: %s", detail)
            self._lost_logged = True
        if self._context is not None:
            self._sc().SCardReleaseContext(self._context)
            self._context = None
        raise CardReaderUnavailable(detail)

    def _reader(self) -> str:
        sc = self._sc()
        rc, readers = sc.SCardListReaders(self._ctx(), [])
        if rc != sc.SCARD_S_SUCCESS or not readers:
            self._lost(f"no card reader: {sc.SCardGetErrorMessage(rc)}")
        for name in readers:
            if self.reader_name in name:
                if self._lost_logged:
                    log.info("card reader back: %s", name)
                    self._lost_logged = False
                return str(name)
        self._lost(f"no reader matching {self.reader_name!r} among {readers}")
        raise AssertionError("unreachable")

    def _state(self, reader: str, known: int, timeout_ms: int) -> int:
        """Block until the reader's state differs from ``known`` or the timeout; return it."""
        sc = self._sc()
        rc, states = sc.SCardGetStatusChange(self._ctx(), timeout_ms, [(reader, known)])
        if rc == sc.SCARD_E_TIMEOUT:
            return known
        if rc != sc.SCARD_S_SUCCESS:
            self._lost(f"status of {reader}: {sc.SCardGetErrorMessage(rc)}")
        _, event, _ = states[0]
        if event & (sc.SCARD_STATE_UNKNOWN | sc.SCARD_STATE_UNAVAILABLE):
            self._lost(f"{reader} went away")
        return int(event) & ~int(sc.SCARD_STATE_CHANGED)

    def _present(self, state: int) -> bool:
        return bool(state & self._sc().SCARD_STATE_PRESENT)

    def _read(self, reader: str) -> Card:
        sc = self._sc()
        rc, card, protocol = sc.SCardConnect(
            self._ctx(), reader, sc.SCARD_SHARE_SHARED, sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1
        )
        if rc in (sc.SCARD_W_REMOVED_CARD, sc.SCARD_E_NO_SMARTCARD):
            raise CardRemoved(sc.SCardGetErrorMessage(rc))
        if rc != sc.SCARD_S_SUCCESS:
            raise CardUnreadable(f"connect: {sc.SCardGetErrorMessage(rc)}")
        try:
            rc, _, _, _, atr = sc.SCardStatus(card)
            if rc != sc.SCARD_S_SUCCESS:
                raise CardRemoved(f"status: {sc.SCardGetErrorMessage(rc)}")
            io = sc.SCARD_PCI_T0 if protocol == sc.SCARD_PROTOCOL_T0 else sc.SCARD_PCI_T1
            rc, response = sc.SCardTransmit(card, io, GET_UID)
            if rc != sc.SCARD_S_SUCCESS or len(response) < 2:
                # The card left the field (or the reader lost it) between connect and answer.
                raise CardRemoved(f"no answer to GET UID ({sc.SCardGetErrorMessage(rc)})")
            if response[-2:] != [0x90, 0x00]:
                raise CardUnreadable(f"GET UID answered SW {_hex(response[-2:])}")
            return Card(uid=_hex(response[:-2]), atr=_hex(atr))
        finally:
            sc.SCardDisconnect(card, sc.SCARD_LEAVE_CARD)

    # -- protocol -------------------------------------------------------------------------------
    def describe(self) -> str:
        with self._lock:
            return self._reader()

    def wait_for_card(self, timeout_s: float) -> Card | None:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            reader = self._reader()
            state = self._state(reader, self._sc().SCARD_STATE_UNAWARE, 0)
            while not self._present(state):
                left_ms = int((deadline - time.monotonic()) * 1000)
                if left_ms <= 0:
                    return None
                state = self._state(reader, state, min(left_ms, _SLICE_MS))
            try:
                return self._read(reader)
            except CardRemoved:
                # A card swapped quickly can leave pcscd reporting the old one for a moment:
                # look once more before telling the officer the card was pulled too early.
                time.sleep(_RETRY_S)
                if not self._present(self._state(reader, self._sc().SCARD_STATE_UNAWARE, 0)):
                    raise
                return self._read(reader)

    def wait_for_removal(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            reader = self._reader()
            state = self._state(reader, self._sc().SCARD_STATE_UNAWARE, 0)
            while self._present(state):
                left_ms = int((deadline - time.monotonic()) * 1000)
                if left_ms <= 0:
                    return False
                state = self._state(reader, state, min(left_ms, _SLICE_MS))
            return True
