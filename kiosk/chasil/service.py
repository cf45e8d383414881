"""C.Hasil numbers for this TPS: entries, live checks, double entry and the Ketua's confirmation.

``ChasilService`` owns the tables ``chasil_entry`` and ``chasil_confirmed``: whether a ballot's
numbers are confirmed, and by whom, is asked of it and of nothing else. Rule 9 needs the ballots
counted at opening, which the checklist records: wiring passes that in as a callable, so this
package never imports kiosk.checklist.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from kiosk.audit import AuditLog, Event
from kiosk.chasil.checks import (
    LPJ,
    Finding,
    Sheet,
    blocking,
    check_sheet,
    check_tps,
    compare_entries,
)
from kiosk.chasil.offers import SHARED_ROWS
from kiosk.chasil.refusals import ChasilCode
from kiosk.chasil.result_record import Confirmed, sign_record
from kiosk.clock import Clock
from kiosk.db import Database
from kiosk.profile import Ballot, Profile
from kiosk.refusals import KioskCode, Refused
from kiosk.roles import Permission, allowed
from kiosk.tps_time import tps_time
from kiosk.upload.record_outbox import enqueue_record, last_record

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.services.auth import ActiveSession, OfficerInfo


@dataclass(frozen=True)
class Confirmation:
    """The Ketua's confirmation of a ballot's numbers, as the signed manifest records it."""

    numbers: dict[str, Any]
    officer_id: str
    officer_name: str
    role: str
    at: str  # ISO 8601 on the TPS's clock, with its offset
    zone: str  # WIB, WITA or WIT
    note: str  # the kejadian khusus explaining the warnings ("" if none)
    warnings: list[int]  # rules that warned when the numbers were confirmed
    wall: str  # when, as the kiosk's clock recorded it (ISO 8601)
    record: str = ""  # the key of the result record signed at this confirmation

    def as_manifest(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "by": {"id": self.officer_id, "name": self.officer_name, "role": self.role},
            "at": self.at,
            "zone": self.zone,
            "note": self.note,
            "warnings": self.warnings,
        }
        if self.record:  # the document names the record that went ahead of it
            out["record"] = self.record
        return out


@dataclass(frozen=True)
class EntryStatus:
    """How far a ballot's numbers are: entered once, entered twice, confirmed."""

    first: bool
    second: bool
    confirmed: bool


@dataclass(frozen=True)
class Known:
    """A number the kiosk knows for a box before it is typed, and where it knows it from:
    ``dpt`` (the profile), ``opening`` or ``closing`` (the checklist's counts), or the ballot
    type of the first confirmed sheet (rule 14's shared voter rows)."""

    value: int
    source: str


def ballot_of(profile: Profile, ballot_type: str) -> Ballot:
    """The profile's ballot ``ballot_type``; ``Refused(UNKNOWN_BALLOT)`` if it has none."""
    for ballot in profile.ballots:
        if ballot.type == ballot_type:
            return ballot
    raise Refused(KioskCode.UNKNOWN_BALLOT, ballot=ballot_type)


MAX_DIGITS = 9  # the keypad types 3 (the paper's cells); a longer string is a mistake


def parse_boxes(raw: Any) -> dict[str, int | None]:
    """Numbers as sent by the keypad form or the API: whole numbers, or None when not one."""
    out: dict[str, int | None] = {}
    if not isinstance(raw, dict):
        return out
    for box, value in raw.items():
        if isinstance(value, bool):
            out[str(box)] = None
        elif isinstance(value, int):
            out[str(box)] = value
        # ASCII only: str.isdigit() also says yes to "²" (which int() refuses) and to other
        # scripts' digits, which the keypad cannot type. No count on a TPS sheet has more than
        # MAX_DIGITS digits, and int() refuses a string of over 4,300.
        elif (
            isinstance(value, str)
            and value.strip().isascii()
            and value.strip().isdigit()
            and len(value.strip()) <= MAX_DIGITS
        ):
            out[str(box)] = int(value.strip())
        else:
            out[str(box)] = None
    return out


class ChasilService:
    """Entries, checks and confirmations of the C.Hasil numbers (``opening_counts``: the
    checklist's ballots counted at opening, for rule 9; ``officer``: who an officer id is, for
    the signed manifest; ``closing_counts``: the checklist's SS3 and SS4 of a ballot type, to
    offer; ``signed_ballots``: the ballot types that have a signed document, which freezes
    their numbers; ``record_key``: the device key that signs each confirmation's result
    record, queued ahead of any document — None signs none; ``data_dir``: the data folder the
    record's durable file goes in, before its row (kiosk.upload.record_files), needed with
    ``record_key``; ``training``: the records' training flag)."""

    owns: ClassVar[tuple[str, ...]] = ("chasil_entry", "chasil_confirmed")

    def __init__(
        self,
        db: Database,
        audit: AuditLog,
        clock: Clock,
        profile: Profile | None,
        opening_counts: Callable[[str], int | None] | None = None,
        officer: Callable[[str], OfficerInfo | None] | None = None,
        closing_counts: Callable[[str], Mapping[str, int]] | None = None,
        signed_ballots: Callable[[], set[str]] | None = None,
        record_key: Callable[[], Ed25519PrivateKey] | None = None,
        data_dir: Path | None = None,
        training: bool = False,
    ) -> None:
        assert record_key is None or data_dir is not None, "a signed record needs its folder"
        self.db = db
        self.audit = audit
        self.clock = clock
        self._profile = profile
        self.opening_counts = opening_counts
        self.officer = officer
        self.closing_counts = closing_counts
        self.signed_ballots = signed_ballots
        self.record_key = record_key
        self.data_dir = data_dir
        self.training = training

    @property
    def profile(self) -> Profile:
        """The TPS profile; ``Refused(NOT_PROVISIONED)`` on a kiosk that has none yet."""
        if self._profile is None:
            raise Refused(KioskCode.NOT_PROVISIONED)
        return self._profile

    def ballots(self) -> tuple[Ballot, ...]:
        """The profile's ballot types, widest first (the legal order)."""
        return tuple(self.profile.ballots)

    def ballot(self, ballot_type: str) -> Ballot:
        """``Refused(UNKNOWN_BALLOT)`` for a type the profile does not have."""
        return ballot_of(self.profile, ballot_type)

    def sheet(self, ballot_type: str, boxes: dict[str, int | None]) -> Sheet:
        ballot = self.ballot(ballot_type)
        return Sheet(
            ballot_type,
            boxes,
            candidates=len(ballot.candidates),
            parties=tuple(len(p.candidates) for p in ballot.parties),
        )

    def received_at_opening(self, ballot_type: str) -> int | None:
        """Ballots counted at opening (the checklist records them); None until it does."""
        return self.opening_counts(ballot_type) if self.opening_counts else None

    def known(self, ballot_type: str) -> dict[str, Known]:
        """What the kiosk knows of ``ballot_type``'s sheet before a box is typed, to offer (never
        to fill): A from the DPT, SS1 from the opening count, SS3 and SS4 from the closing
        counts, and the voter rows A, B1 and B3 of the first confirmed ballot (rule 14 wants
        them equal on every sheet of the TPS)."""
        self.ballot(ballot_type)
        profile = self.profile
        out = {
            "A.L": Known(profile.dpt_l, "dpt"),
            "A.P": Known(profile.dpt_p, "dpt"),
            "A.J": Known(profile.dpt_l + profile.dpt_p, "dpt"),
        }
        confirmed = self.confirmed_ballots()
        first = next((b.type for b in profile.ballots if b.type in confirmed), None)
        if first is not None and first != ballot_type and (c := self.confirmed(first)):
            for row in SHARED_ROWS:
                for col in LPJ:
                    value = c.numbers.get(f"{row}.{col}")
                    if isinstance(value, int) and not isinstance(value, bool):
                        out[f"{row}.{col}"] = Known(value, first)
        if (received := self.received_at_opening(ballot_type)) is not None:
            out["SS1"] = Known(received, "opening")
        closing = self.closing_counts(ballot_type) if self.closing_counts else {}
        for box in ("SS3", "SS4"):
            if box in closing:
                out[box] = Known(closing[box], "closing")
        return out

    def entry_refusal(self, ballot_type: str, entry_no: int, by: ActiveSession) -> Refused | None:
        """Why ``by`` may not make this entry at all, asked before typing starts (and again on
        saving): the blind second entry by the first entry's officer; any entry once a signed
        document carries the numbers; a change after the Ketua's confirmation by anyone but
        the Ketua."""
        self.ballot(ballot_type)
        if entry_no == 2 and self.first_entry_officer(ballot_type) == by.officer.id:
            return Refused(ChasilCode.SAME_OFFICER, ballot=ballot_type)
        if entry_no == 1 and self.signed_ballots and ballot_type in self.signed_ballots():
            return Refused(ChasilCode.ALREADY_SIGNED, ballot=ballot_type)
        if (
            entry_no == 1
            and ballot_type in self.confirmed_ballots()
            and not allowed(by.officer.role, Permission.CHASIL_CONFIRM, training=False)
        ):
            return Refused(ChasilCode.KETUA_CORRECTS, ballot=ballot_type)
        return None

    def check(self, ballot_type: str, boxes: dict[str, int | None]) -> list[Finding]:
        sheet = self.sheet(ballot_type, boxes)
        findings = check_sheet(
            sheet, self.received_at_opening(ballot_type), self.profile.reserve_percent
        )
        findings += check_tps([self.sheet(t, b) for t, b in self.latest_all(ballot_type, sheet)])
        first, second = self.latest(ballot_type, 1), self.latest(ballot_type, 2)
        if first is not None and second is not None:
            findings += compare_entries(
                self.sheet(ballot_type, first), self.sheet(ballot_type, second)
            )
        return findings

    def latest_all(self, current: str, sheet: Sheet) -> list[tuple[str, dict[str, int | None]]]:
        """Every ballot type's latest first entry, widest type first, with ``current``'s
        numbers as being entered."""
        out = []
        for ballot in self.profile.ballots:
            if ballot.type == current:
                out.append((current, dict(sheet.boxes)))
            elif (boxes := self.latest(ballot.type, 1)) is not None:
                out.append((ballot.type, boxes))
        return out

    def latest(self, ballot_type: str, entry_no: int) -> dict[str, int | None] | None:
        rows = self.db.read(
            "SELECT boxes FROM chasil_entry WHERE ballot = ? AND entry_no = ?"
            " ORDER BY id DESC LIMIT 1",
            (ballot_type, entry_no),
        )
        return parse_boxes(json.loads(rows[0]["boxes"])) if rows else None

    def entry_status(self) -> dict[str, EntryStatus]:
        """Each ballot type's progress, for the C.Hasil screen's list."""
        confirmed = self.confirmed_ballots()
        return {
            b.type: EntryStatus(
                self.latest(b.type, 1) is not None,
                self.latest(b.type, 2) is not None,
                b.type in confirmed,
            )
            for b in self.profile.ballots
        }

    def first_entry_officer(self, ballot_type: str) -> str | None:
        rows = self.db.read(
            "SELECT officer_id FROM chasil_entry WHERE ballot = ? AND"
            " entry_no = 1 ORDER BY id DESC LIMIT 1",
            (ballot_type,),
        )
        return str(rows[0]["officer_id"]) if rows else None

    def save_entry(
        self,
        ballot_type: str,
        entry_no: int,
        boxes: dict[str, int | None],
        by: ActiveSession,
        reason: str = "",
    ) -> list[Finding]:
        """Record an officer's entry of a sheet (1: first, 2: the blind check entry) and
        return what the checks find. Refused as ``entry_refusal`` says. A first entry that
        changes numbers the Ketua has confirmed is a correction: the Ketua's, with a
        ``reason`` (``ChasilCode.REASON_NEEDED``), audited, and it voids the confirmation, so
        the Ketua confirms the corrected numbers again. Saving the confirmed numbers unchanged
        changes nothing."""
        if (refusal := self.entry_refusal(ballot_type, entry_no, by)) is not None:
            raise refusal
        correcting = entry_no == 1 and ballot_type in self.confirmed_ballots()
        if correcting and boxes == self.latest(ballot_type, 1):
            return self.check(ballot_type, boxes)
        if correcting and not reason.strip():
            raise Refused(ChasilCode.REASON_NEEDED, ballot=ballot_type)
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO chasil_entry (ballot, entry_no, officer_id, boxes,"
                " saved_wall) VALUES (?, ?, ?, ?, ?)",
                (
                    ballot_type,
                    entry_no,
                    by.officer.id,
                    json.dumps(boxes),
                    self.clock.now().isoformat(),
                ),
            )
            if correcting:
                conn.execute("DELETE FROM chasil_confirmed WHERE ballot = ?", (ballot_type,))
        findings = self.check(ballot_type, boxes)
        details: dict[str, Any] = {"reason": reason.strip(), "voids": "confirmation"}
        self.audit.record_for(
            Event.CHASIL_ENTERED,
            by,
            ballot=ballot_type,
            entry=entry_no,
            findings=[f.rule for f in findings],
            **(details if correcting else {}),
        )
        return findings

    def confirmed_ballots(self) -> set[str]:
        """Ballot types whose numbers the Ketua has confirmed."""
        return {r["ballot"] for r in self.db.read("SELECT ballot FROM chasil_confirmed")}

    def confirmed(self, ballot_type: str) -> Confirmation | None:
        """Who confirmed ``ballot_type``'s numbers, when, and the note; None if nobody has."""
        rows = self.db.read("SELECT * FROM chasil_confirmed WHERE ballot = ?", (ballot_type,))
        if not rows:
            return None
        r = rows[0]
        officer = self.officer(r["confirmed_by"]) if self.officer is not None else None
        at, zone = tps_time(r["confirmed_wall"], self.profile.identity.code)
        return Confirmation(
            numbers=json.loads(r["boxes"]),
            officer_id=r["confirmed_by"],
            officer_name=officer.name if officer is not None else "",
            role=officer.role.value if officer is not None else "",
            at=at.isoformat(timespec="seconds"),
            zone=zone,
            note=r["note"],
            warnings=[int(rule) for rule in json.loads(r["findings"])],
            wall=r["confirmed_wall"],
            record=r["record"],
        )

    def confirm(
        self, ballot_type: str, by: ActiveSession, note: str, paper_differs: Sequence[str] = ()
    ) -> list[Finding]:
        """The Ketua confirms the first entry's numbers. Refused (``ChasilCode``) with no
        numbers, on any blocking finding, and on warnings unless ``note`` (the kejadian
        khusus) explains them. ``paper_differs``: the boxes the scanned sheet read otherwise
        when the Ketua confirmed (the paper reader's advice, shown and recorded, never
        applied)."""
        self.ballot(ballot_type)
        boxes = self.latest(ballot_type, 1)
        if boxes is None:
            raise Refused(ChasilCode.NO_NUMBERS, ballot=ballot_type)
        findings = self.check(ballot_type, boxes)
        if blocking(findings):
            raise Refused(ChasilCode.DO_NOT_ADD_UP, ballot=ballot_type)
        if findings and not note.strip():
            raise Refused(ChasilCode.NOTE_NEEDED, ballot=ballot_type)
        wall = self.clock.now().isoformat()
        warnings = [f.rule for f in findings]
        key = self.record_key() if self.record_key is not None else None  # before the lock
        with self.db.write() as conn:
            record = ""
            if key is not None:  # the numbers go first: signed and queued with the confirmation
                record = self._queue_record(conn, ballot_type, boxes, warnings, note, by, wall, key)
            conn.execute(
                "INSERT INTO chasil_confirmed (ballot, boxes, findings, note, confirmed_by,"
                " confirmed_wall, record) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ballot) DO"
                " UPDATE SET boxes = excluded.boxes, findings = excluded.findings, note ="
                " excluded.note, confirmed_by = excluded.confirmed_by, confirmed_wall ="
                " excluded.confirmed_wall, record = excluded.record",
                (
                    ballot_type,
                    json.dumps(boxes),
                    json.dumps(warnings),
                    note.strip(),
                    by.officer.id,
                    wall,
                    record,
                ),
            )
        self.audit.record_for(
            Event.CHASIL_CONFIRMED,
            by,
            ballot=ballot_type,
            warnings=[f.rule for f in findings],
            note=note.strip(),
            **({"paper_differs": list(paper_differs)} if paper_differs else {}),
        )
        return findings

    def _queue_record(
        self,
        conn: sqlite3.Connection,
        ballot_type: str,
        boxes: dict[str, int | None],
        warnings: list[int],
        note: str,
        by: ActiveSession,
        wall: str,
        key: Ed25519PrivateKey,
    ) -> str:
        """Sign this confirmation's result record, superseding the ballot's last one, and
        queue it in the confirmation's transaction ``conn``; its key."""
        code = self.profile.identity.code
        at, zone = tps_time(wall, code)
        seq, prev = last_record(conn, ballot_type)
        signed = sign_record(
            Confirmed(
                tps_code=code,
                sheet=self.sheet(ballot_type, boxes),
                warnings=warnings,
                note=note.strip(),
                officer_id=by.officer.id,
                officer_name=by.officer.name,
                role=by.officer.role.value,
                at=at.isoformat(timespec="seconds"),
                zone=zone,
                training=self.training,
            ),
            seq + 1,
            prev,
            key,
        )
        assert self.data_dir is not None  # __init__: given with record_key
        queued = (ballot_type, signed.seq, signed.key, signed.data, self.training, wall)
        enqueue_record(conn, self.data_dir, *queued)
        return signed.key

    def findings_of(self, sheets: Mapping[str, Mapping[str, int | None]]) -> list[Finding]:
        """What the kiosk reports on ``sheets`` (boxes by ballot type) were they the day's only
        entries: each sheet's own checks, then the checks across ballot types (a training
        scenario asks this before it replaces the day's numbers)."""
        as_sheets = [self.sheet(t, dict(b)) for t, b in sheets.items()]
        found: list[Finding] = []
        for sheet in as_sheets:
            found += check_sheet(
                sheet, self.received_at_opening(sheet.ballot), self.profile.reserve_percent
            )
        return found + check_tps(as_sheets)

    def clear_numbers(self) -> None:
        """Forget the day's entries and confirmations (a training scenario replaces them; the
        caller checks that this is a training kiosk)."""
        with self.db.write() as conn:
            self.clear_training_day(conn)

    def clear_training_day(self, conn: sqlite3.Connection) -> dict[str, int]:
        """Delete the day's entries and confirmations inside the reset's transaction."""
        return {table: conn.execute(f"DELETE FROM {table}").rowcount for table in self.owns}
