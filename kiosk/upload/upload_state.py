"""The state changes every upload row goes through, in one place for both of the queue's tables:
``upload_job`` (a document's job, kiosk.upload.outbox) and ``result_record`` (a result record,
kiosk.upload.record_outbox).

``pending → sending → sent | failed``: claimed for an attempt (``start``, one more attempt),
``sent`` with the server's receipt, ``retry_later`` with a backoff delay, ``failed`` until a person
presses "Coba sekarang" (``retry_now``), and back to pending when a worker died mid-attempt
(``requeue_interrupted``). Every change is its own short write transaction and stamps
``updated_wall``; the error detail is cut to ``DETAIL_CHARS`` (the screen shows a code's words,
the detail is for the technician). What differs between the tables (a document's offset,
bundle and receipt source) the owners add as extra assignments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kiosk.clock import Clock
from kiosk.db import Database
from kiosk.upload.refusals import UploadProblem

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
DETAIL_CHARS = 500  # of an error's technical detail kept in the row
TABLES = ("upload_job", "result_record")  # names go into SQL text: only these


class UploadStates:
    """The transitions of the rows of ``table``; ``now``: the scheduling clock, in seconds
    since the epoch (``Outbox._now``: without the Ketua's correction)."""

    def __init__(self, db: Database, clock: Clock, table: str, now: Callable[[], float]) -> None:
        assert table in TABLES, table
        self.db = db
        self.clock = clock
        self.table = table
        self.now = now

    def update(self, row_id: int, sql: str, params: tuple[Any, ...] = ()) -> None:
        """``SET sql`` on one row, stamping ``updated_wall``."""
        with self.db.write() as conn:
            conn.execute(
                f"UPDATE {self.table} SET {sql}, updated_wall = ? WHERE id = ?",
                (*params, self.clock.now().isoformat(), row_id),
            )

    def next_attempt_at(self, next_attempt: float) -> dt.datetime:
        """When a row due at ``next_attempt`` (scheduling clock) is tried, on the kiosk's
        (corrected) clock."""
        return self.clock.now() + dt.timedelta(seconds=next_attempt - self.now())

    def start(self, row_id: int) -> None:
        """Claimed for an attempt: ``sending``, one more attempt."""
        self.update(row_id, f"state = '{SENDING}', attempts = attempts + 1")

    def sent(
        self,
        row_id: int,
        receipt_id: str,
        receipt_sha256: str,
        also: str = "",
        also_params: tuple[Any, ...] = (),
    ) -> None:
        """The server's receipt: ``sent``, the last error cleared (``also``: the owner's own
        assignments, with ``also_params``)."""
        extra = f", {also}" if also else ""
        self.update(
            row_id,
            f"state = '{SENT}', error_code = '', error_detail = '', receipt_id = ?,"
            f" receipt_sha256 = ?, receipt_wall = ?{extra}",
            (receipt_id, receipt_sha256, self.clock.now().isoformat(), *also_params),
        )

    def retry_later(
        self,
        row_id: int,
        problem: UploadProblem,
        detail: str,
        delay_s: float,
        also: str = "",
    ) -> None:
        """Not sent this time: pending again, due in ``delay_s`` (``also``: the owner's own
        assignments, without parameters)."""
        extra = f", {also}" if also else ""
        self.update(
            row_id,
            f"state = '{PENDING}', error_code = ?, error_detail = ?, next_attempt = ?{extra}",
            (problem.value, detail[:DETAIL_CHARS], self.now() + delay_s),
        )

    def fail(self, row_id: int, problem: UploadProblem, detail: str) -> None:
        """Stop trying until a person presses "Coba sekarang" (the server refused it)."""
        self.update(
            row_id,
            f"state = '{FAILED}', error_code = ?, error_detail = ?",
            (problem.value, detail[:DETAIL_CHARS]),
        )

    def stopped(self, row_id: int) -> None:
        """The worker stopped mid-attempt: pending again, due as it was."""
        self.update(row_id, f"state = '{PENDING}'")

    def requeue_interrupted(self) -> int:
        """Rows left ``sending`` by a worker that died go back to pending. Only one worker
        runs per data directory, so none is really sending."""
        with self.db.write() as conn:
            return conn.execute(
                f"UPDATE {self.table} SET state = '{PENDING}', updated_wall = ?"
                f" WHERE state = '{SENDING}'",
                (self.clock.now().isoformat(),),
            ).rowcount

    def retry_now(self, row_id: int | None = None) -> int:
        """ "Coba sekarang": every unsent row (or one) due now, failed ones included."""
        one = " AND id = ?" if row_id is not None else ""
        with self.db.write() as conn:
            return conn.execute(
                f"UPDATE {self.table} SET state = '{PENDING}', next_attempt = ?, updated_wall = ?"
                f" WHERE state IN ('{PENDING}', '{FAILED}'){one}",
                (self.now(), self.clock.now().isoformat(), *(() if row_id is None else (row_id,))),
            ).rowcount
