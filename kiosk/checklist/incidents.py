"""Kejadian khusus and objections (C.Kejadian Khusus dan/atau Keberatan): recorded in one tap
during the day, listed, and printed with the opening and closing reports.

Each record keeps the officer, wall and monotonic time and the clock offset in force, and is
audited (``INCIDENT``, with its kind and who reported it).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import ClassVar

from flask_babel import lazy_gettext as _l

from kiosk.audit import AuditLog, Event
from kiosk.checklist.refusals import ChecklistCode
from kiosk.clock import OffsetClock
from kiosk.db import Database
from kiosk.refusals import Refused
from kiosk.services.auth import ActiveSession
from kiosk.services.report_render import clock_time

KINDS = ("kejadian", "keberatan")  # a special incident; an objection by a saksi
KIND_NAMES = {"kejadian": _l("Special incident"), "keberatan": _l("Objection by a saksi")}


@dataclass(frozen=True)
class Incident:
    id: int
    kind: str
    reporter: str
    text: str
    officer_id: str
    wall: str  # ISO 8601, the kiosk's clock


class IncidentService:
    """The owner of table ``incident``. ``tps_code`` (None: not provisioned) gives printed
    times their zone (WIB, WITA, WIT)."""

    owns: ClassVar[tuple[str, ...]] = ("incident",)

    def __init__(
        self, db: Database, audit: AuditLog, clock: OffsetClock, tps_code: str | None
    ) -> None:
        self._db = db
        self._audit = audit
        self._clock = clock
        self._tps_code = tps_code or ""

    def record(self, kind: str, text: str, reporter: str, by: ActiveSession) -> None:
        """Keep one incident; ``reporter`` blank: the officer who records it."""
        text = text.strip()
        if kind not in KINDS or not text:
            raise Refused(ChecklistCode.INCIDENT_EMPTY)
        reporter = reporter.strip() or by.officer.name
        now = self._clock.now()
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO incident (kind, reporter, text, officer_id, wall, mono,"
                " clock_offset) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    reporter,
                    text,
                    by.officer.id,
                    now.isoformat(),
                    self._clock.monotonic(),
                    self._clock.offset_s,
                ),
            )
        self._audit.record_for(Event.INCIDENT, by, incident=kind, reporter=reporter)

    def all(self) -> list[Incident]:
        """Every incident of the day, in the order recorded."""
        rows = self._db.read(
            "SELECT id, kind, reporter, text, officer_id, wall FROM incident ORDER BY id"
        )
        return [
            Incident(r["id"], r["kind"], r["reporter"], r["text"], r["officer_id"], r["wall"])
            for r in rows
        ]

    def lines(self) -> list[str]:
        """The incidents as a report prints them: "10:15 WITA KEBERATAN SAKSI (Saksi 02): …"."""
        return [
            f"{clock_time(i.wall, self._tps_code)} {str(KIND_NAMES.get(i.kind, i.kind)).upper()}"
            f" ({i.reporter}): {i.text}"
            for i in self.all()
        ]

    def clear_training_day(self, conn: sqlite3.Connection) -> dict[str, int]:
        return {"incident": conn.execute("DELETE FROM incident").rowcount}
