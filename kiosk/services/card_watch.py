"""A background thread that follows the card reader: which card is on it now, and logging out
the officer whose card leaves it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from drivers.card import Card, CardReader
from drivers.errors import CardError, CardRemoved, CardUnreadable

log = logging.getLogger(__name__)

POLL_S = 0.5  # how long each wait blocks, so stop() is noticed quickly


class CardWatch:
    def __init__(self, reader: CardReader, on_removed: Callable[[str], None]) -> None:
        self.reader = reader
        self.on_removed = on_removed
        self.error: CardError | None = None
        # A card tapped but not read (pulled out too early, unreadable): the login screen
        # shows its guidance once; cleared by the next good read.
        self._failed_read: CardError | None = None
        self._card: Card | None = None
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="card-watch", daemon=True)

    @property
    def card(self) -> Card | None:
        return self._card

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def failed_read(self) -> CardError | None:
        return self._failed_read

    def take_failed_read(self) -> CardError | None:
        """The last tap that failed to read, once: the screen that shows it takes it."""
        with self._changed:
            failed, self._failed_read = self._failed_read, None
            return failed

    def wait_for(self, present: bool, timeout_s: float) -> bool:
        """Block until a card is (or is not) seen; for screens that wait and for tests."""
        with self._changed:
            return self._changed.wait_for(lambda: (self._card is not None) == present, timeout_s)

    def _set(self, card: Card | None) -> None:
        with self._changed:
            self._card = card
            self._changed.notify_all()

    def _run(self) -> None:
        card: Card | None = None
        while not self._stop.is_set():
            try:
                card = self.reader.wait_for_card(POLL_S)
                if self.error is not None:  # it answered: it works again, card or not
                    log.info("card reader is back")
                    self.error = None
                if card is None:
                    continue
                self._failed_read = None
                self._set(card)
                while not self._stop.is_set() and not self.reader.wait_for_removal(POLL_S):
                    pass
                self._set(None)
                self.on_removed(card.uid)
                card = None
            except CardError as exc:
                if self.error is None:
                    log.warning("card reader: %s", exc)
                self.error = exc
                if isinstance(exc, CardRemoved | CardUnreadable):
                    self._failed_read = exc
                self._set(None)
                if card is not None:  # a card we can no longer see is not there for us
                    self.on_removed(card.uid)
                    card = None
                self._stop.wait(1.0)
            except Exception:  # the watch must outlive any bug in a callback
                log.exception("card watch")
                self._stop.wait(1.0)
