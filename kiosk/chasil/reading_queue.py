"""The pages waiting for the third reader, and the one thread that reads them in turn.

kiosk.chasil.readings puts each page it is to read here with the time it is due; a thread,
started by the first page and ended when none is left, hands each page to ``read`` when it is
due, one at a time (the reader's child reads one page at a time anyway, and a Pi's cores are
the screen's too). Nothing here knows what reading is: ``read`` does it, and must not raise.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable

log = logging.getLogger(__name__)


class ReadingQueue:
    """Page ids due at a ``time.monotonic`` moment, read by ``read`` on this queue's thread;
    ``finished`` runs on that thread as it ends (its database connection is closed there)."""

    def __init__(self, read: Callable[[int], None], finished: Callable[[], None]) -> None:
        self._read = read
        self._finished = finished
        self._cv = threading.Condition()  # guards every field below
        self._due: dict[int, float] = {}  # page id -> when to read it
        self._current: int | None = None
        self._thread: threading.Thread | None = None
        self._closing = False

    @property
    def closing(self) -> bool:
        with self._cv:
            return self._closing

    def put(self, page_ids: Iterable[int], delay_s: float) -> None:
        """Read these pages ``delay_s`` from now (a page already waiting keeps its time)."""
        due = time.monotonic() + delay_s
        with self._cv:
            if self._closing:
                return
            for page_id in page_ids:
                self._due.setdefault(page_id, due)
            self._cv.notify_all()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="page-reader", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        try:
            while (page_id := self._next()) is not None:
                try:
                    self._read(page_id)
                except Exception:  # ``read`` records its own failures: this is a bug, logged
                    log.exception("reading page %d failed", page_id)
                finally:
                    with self._cv:
                        self._current = None
                        self._cv.notify_all()
        finally:
            self._finished()

    def _next(self) -> int | None:
        """The next page once it is due; None when there is none (the thread then ends)."""
        with self._cv:
            while True:
                if self._closing or not self._due:
                    self._thread = None
                    self._cv.notify_all()
                    return None
                page_id = min(self._due, key=self._due.__getitem__)
                left = self._due[page_id] - time.monotonic()
                if left <= 0:
                    del self._due[page_id]
                    self._current = page_id
                    return page_id
                self._cv.wait(left)

    def _busy(self, page_ids: Collection[int] | None) -> bool:
        """Whether a page (of ``page_ids``, or any) is being read or due (under the lock);
        ``page_ids`` given: one still waiting for its time is not counted."""
        if page_ids is None:
            return bool(self._due) or self._current is not None
        now = time.monotonic()
        return self._current in page_ids or any(
            page_id in page_ids and due <= now for page_id, due in self._due.items()
        )

    def wait(self, timeout_s: float, page_ids: Collection[int] | None = None) -> bool:
        """Wait until no page is waiting or being read (of ``page_ids``: none being read or
        due); False after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        with self._cv:
            while self._busy(page_ids):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(left)
        return True

    def clear(self) -> None:
        """Forget the pages waiting (the page being read is finished)."""
        with self._cv:
            self._due.clear()
            self._cv.notify_all()

    def close(self) -> threading.Thread | None:
        """Read no more pages; the thread, if one runs, for the caller to join once it has
        stopped the page being read."""
        with self._cv:
            self._closing = True
            self._due.clear()
            self._cv.notify_all()
            return self._thread
