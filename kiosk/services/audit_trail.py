"""The audit log as the Ketua KPPS and the Teknisi read it: recent events and the chain's state.

The log itself (kiosk.audit) is append-only and kept by "Reset latihan": the reset is one more
event in it, never a hole.
"""

from __future__ import annotations

import sqlite3
from typing import Any, ClassVar

from kiosk.audit import AuditLog
from kiosk.audit_head import Broken


class AuditTrail:
    owns: ClassVar[tuple[str, ...]] = ("audit_log", "audit_head")

    def __init__(self, audit: AuditLog) -> None:
        self._audit = audit

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest ``limit`` events, newest first."""
        return self._audit.rows(limit=limit)

    def verify(self) -> Broken | None:
        """The first row that breaks the chain, or None when the whole log is intact."""
        return self._audit.verify()

    def clear_training_day(self, conn: sqlite3.Connection) -> dict[str, int]:
        """Kept: the log is append-only by design."""
        return {}
