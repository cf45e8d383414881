"""The audit log as the Ketua KPPS and the Teknisi read it: recent events and the chain's state.

The log itself (kiosk.audit) is append-only and kept by "Reset latihan": the reset is one more
event in it, never a hole. On screen each event is words in the screen language: one wording
table names every ``Event`` (``EVENT_NAMES``), the details are summarised from the keys a person
needs (who, which ballot, which printer, the time set ...) and the rest (hashes, offsets, raw
codes) stays in the log and its export, never as JSON on the screen.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from kiosk.audit import AuditLog
from kiosk.audit_head import Broken
from kiosk.tps_time import format_tps_time, tps_time

# Keyed by the event's text, as rows are read (kiosk.audit.Event: a row of an event since
# removed still reads); tests/kiosk/test_languages.py holds that every Event is named here.
EVENT_NAMES = {
    "provisioned": _l("Kiosk set up for this TPS"),
    "login": _l("Logged in"),
    "login_failed": _l("Wrong PIN"),
    "lockout": _l("Locked out for a while"),
    "logout": _l("Logged out"),
    "card_enrolled": _l("Card enrolled"),
    "selftest": _l("Device check"),
    "checklist_step": _l("Checklist step done"),
    "checklist_corrected": _l("Checklist entry changed"),
    "clock_set": _l("Clock set"),
    "incident": _l("Incident recorded"),
    "chasil_entered": _l("C.Hasil numbers typed"),
    "chasil_confirmed": _l("C.Hasil numbers confirmed"),
    "scan": _l("Page scanned"),
    "scan_rejected": _l("Scanned page held back"),
    "document_signed": _l("Document signed"),
    "document_recovered": _l("Document recovered"),
    "database_restored": _l("Database restored"),
    "print": _l("Printed"),
    "print_failed": _l("Printing failed"),
    "reprint": _l("Printed again"),
    "upload_sent": _l("Sent"),
    "upload_failed": _l("Sending failed"),
    "upload_retry": _l("Sending tried again"),
    "usb_export": _l("Copied to USB"),
    "audit_exported": _l("Audit log exported"),
    "training_fault": _l("Training: device fault simulated"),
    "training_scenario": _l("Training: practice sheet loaded"),
    "training_reset": _l("Training day started over"),
    "trainer_clock": _l("Training: clock moved"),
}
PRINTER_NAMES = {"a4": _l("A4 printer"), "receipt": _l("Receipt printer")}
INCIDENT_NAMES = {"kejadian": _l("Special incident"), "keberatan": _l("Objection by a saksi")}
LOGIN_VIA = {"card": _l("with card"), "pin": _l("with PIN")}


@dataclass(frozen=True)
class ShownEvent:
    """One audit row as the screen shows it."""

    seq: int
    time: str  # on the TPS's clock, with its zone: "07:05 WITA"
    day: str  # and its date there: "14-02"
    officer: str  # the name; "—" for the kiosk itself
    event: str
    details: str


@dataclass(frozen=True)
class _Words:
    tps_code: str
    names: Mapping[str, str]
    step_title: Callable[[str], str | None]

    def time(self, wall: object) -> str:
        return format_tps_time(str(wall), self.tps_code, "%H:%M")


def _rules(d: dict[str, Any]) -> str | None:
    rules = d.get("findings") or d.get("warnings")
    if not isinstance(rules, list) or not rules:
        return None
    return str(_("findings: rules %(rules)s", rules=", ".join(str(r) for r in rules)))


def _text(d: dict[str, Any], key: str) -> str | None:
    value = d.get(key)
    return value if isinstance(value, str) and value else None


def _clock(kind: str, d: dict[str, Any], w: _Words) -> str | None:
    """The time the Ketua set the clock to, or the trainer moved it to."""
    wall = _text(d, "wall") or _text(d, "to")
    if kind not in ("clock_set", "trainer_clock") or wall is None:
        return None
    return str(_("to %(time)s", time=w.time(wall)))


Summary = Callable[[str, dict[str, Any], _Words], "str | None"]

# Each detail a person needs, in words, in this order; the rest stays in the log.
_SUMMARY: tuple[Summary, ...] = (
    lambda k, d, w: w.step_title(d["step"]) or d["step"] if _text(d, "step") else None,
    lambda k, d, w: _("%(n)s min late", n=d["late_minutes"]) if d.get("late_minutes") else None,
    # A logout's reason is a code (idle, card removed), not what a person wrote.
    lambda k, d, w: (
        _("reason: %(text)s", text=d["reason"]) if k != "logout" and _text(d, "reason") else None
    ),
    lambda k, d, w: _text(d, "ballot"),
    lambda k, d, w: _("entry %(n)s", n=d["entry"]) if d.get("entry") else None,
    lambda k, d, w: _rules(d),
    lambda k, d, w: _("note: %(text)s", text=d["note"]) if _text(d, "note") else None,
    lambda k, d, w: (
        _("document %(n)s", n=d["document"]) if isinstance(d.get("document"), int) else None
    ),
    lambda k, d, w: (
        _("copy %(n)s of %(total)s", n=d["copy"], total=d["copies"])
        if d.get("copy") and d.get("copies")
        else None
    ),
    lambda k, d, w: str(PRINTER_NAMES[d["printer"]]) if d.get("printer") in PRINTER_NAMES else None,
    lambda k, d, w: _("%(n)s pages", n=d["pages"]) if d.get("pages") else None,
    lambda k, d, w: (
        str(INCIDENT_NAMES[d["incident"]]) if d.get("incident") in INCIDENT_NAMES else None
    ),
    lambda k, d, w: _("reported by %(who)s", who=d["reporter"]) if _text(d, "reporter") else None,
    lambda k, d, w: str(LOGIN_VIA[d["via"]]) if d.get("via") in LOGIN_VIA else None,
    lambda k, d, w: _("attempt %(n)s", n=d["attempt"]) if d.get("attempt") else None,
    lambda k, d, w: (
        _("for %(n)s min", n=max(1, round(d["seconds"] / 60))) if d.get("seconds") else None
    ),
    lambda k, d, w: w.names.get(d["enrolled"], d["enrolled"]) if _text(d, "enrolled") else None,
    lambda k, d, w: (_("ready") if d["ready"] else _("not ready")) if "ready" in d else None,
    lambda k, d, w: f"TPS {d['tps']}" if _text(d, "tps") else None,
    _clock,
)


def _details(kind: str, d: dict[str, Any], w: _Words) -> list[str]:
    """The details a person needs, in words, in a fixed order."""
    return [str(text) for summary in _SUMMARY if (text := summary(kind, d, w))]


class AuditTrail:
    owns: ClassVar[tuple[str, ...]] = ("audit_log", "audit_head")

    def __init__(self, audit: AuditLog) -> None:
        self._audit = audit

    def recent(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest ``limit`` events, newest first."""
        return self._audit.rows(limit=limit)

    def shown(
        self,
        tps_code: str,
        names: Mapping[str, str],
        step_title: Callable[[str], str | None] = lambda _step: None,
        limit: int = 100,
    ) -> list[ShownEvent]:
        """The newest ``limit`` events in words, in the current language: times on the TPS's
        clock with its zone, officers by name (``names``: id -> name), checklist steps by their
        title (``step_title``)."""
        words = _Words(tps_code, names, step_title)
        shown = []
        for row in self.recent(limit):
            try:
                details = json.loads(row["details"]) if row["details"] else {}
            except ValueError:
                details = {}
            kind = str(row["kind"])
            event = str(EVENT_NAMES[kind]) if kind in EVENT_NAMES else kind
            shown.append(
                ShownEvent(
                    seq=int(row["seq"]),
                    # One line on the narrow column: "07:05 WITA" never breaks.
                    time=format_tps_time(row["wall"], tps_code, "%H:%M").replace(" ", "\u00a0"),
                    day=tps_time(row["wall"], tps_code)[0].strftime("%d-%m"),
                    officer=names.get(row["officer"], row["officer"]) if row["officer"] else "—",
                    event=event,
                    details="; ".join(
                        _details(kind, details if isinstance(details, dict) else {}, words)
                    ),
                )
            )
        return shown

    def verify(self) -> Broken | None:
        """The first row that breaks the chain, or None when the whole log is intact."""
        return self._audit.verify()

    def clear_training_day(self, conn: sqlite3.Connection) -> dict[str, int]:
        """Kept: the log is append-only by design."""
        return {}
