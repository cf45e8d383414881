"""The card desk: which card is on the reader, the tap that failed to read, and enrolling the
card on the reader for an officer. Views ask it; only the card watch (kiosk.services.card_watch)
talks to the reader."""

from __future__ import annotations

import sqlite3
from typing import ClassVar

from kiosk.refusals import Refused
from kiosk.services.auth import ActiveSession, AuthCode, AuthService
from kiosk.services.card_watch import CardWatch


class CardDesk:
    """``watch`` is None on a kiosk without a card reader: no card is ever on it."""

    owns: ClassVar[tuple[str, ...]] = ()

    def __init__(self, auth: AuthService, watch: CardWatch | None) -> None:
        self._auth = auth
        self._watch = watch

    def card_uid(self) -> str | None:
        """The UID of the card on the reader now, if any."""
        card = self._watch.card if self._watch is not None else None
        return card.uid if card is not None else None

    def has_failed_read(self) -> bool:
        """A tap failed to read and no screen has shown it yet (the login page polls this)."""
        return self._watch is not None and self._watch.failed_read is not None

    def take_failed_read(self) -> BaseException | None:
        """The last tap that failed to read, once: the screen that shows it takes it."""
        return self._watch.take_failed_read() if self._watch is not None else None

    def enrol_current(self, officer_id: str, by: ActiveSession) -> str:
        """Give the card on the reader to ``officer_id``; return its UID. Refuses
        UNKNOWN_OFFICER, NO_CARD or CARD_TAKEN (kiosk.services.auth.AuthCode)."""
        if self._auth.officer(officer_id) is None:
            raise Refused(AuthCode.UNKNOWN_OFFICER, officer=officer_id)
        uid = self.card_uid()
        if uid is None:
            raise Refused(AuthCode.NO_CARD)
        self._auth.enrol_card(officer_id, uid, by)
        return uid

    def clear_training_day(self, conn: sqlite3.Connection) -> dict[str, int]:
        """No table; a failed tap of the last group is not shown to the next one."""
        self.take_failed_read()
        return {}
