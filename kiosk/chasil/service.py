"""C.Hasil numbers for this TPS: entries, live checks, double entry and the Ketua's confirmation."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.audit import AuditLog, Event
from kiosk.chasil.checks import Finding, Sheet, blocking, check_sheet, check_tps, compare_entries
from kiosk.clock import Clock
from kiosk.db import Database
from kiosk.profile import Ballot, Profile
from kiosk.refusals import KioskCode, Refused
from kiosk.services.auth import ActiveSession


class ChasilRefused(Exception):
    """Confirmation refused: blocking findings, or warnings without a kejadian khusus note."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(f"{len(findings)} findings")
        self.findings = findings


@dataclass(frozen=True)
class BoxLabel:
    box: str
    label: str


def ballot_of(profile: Profile, ballot_type: str) -> Ballot:
    for ballot in profile.ballots:
        if ballot.type == ballot_type:
            return ballot
    raise KeyError(ballot_type)


def vote_labels(ballot: Ballot) -> list[BoxLabel]:
    """The vote boxes of a ballot in sheet order, labelled with the profile's names."""
    if ballot.parties:
        out = []
        for i, party in enumerate(ballot.parties):
            out.append(BoxLabel(f"P.{i}", party.name))
            out += [BoxLabel(f"P.{i}.{j}", f"  {name}") for j, name in enumerate(party.candidates)]
        return out
    return [BoxLabel(f"V.{i}", name) for i, name in enumerate(ballot.candidates)]


MAX_DIGITS = 9  # the keypad types 4; a longer string is a mistake, not a count


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
    def __init__(
        self,
        db: Database,
        audit: AuditLog,
        clock: Clock,
        profile: Profile | None,
        opening_counts: Callable[[str], int | None] | None = None,
    ) -> None:
        self.db = db
        self.audit = audit
        self.clock = clock
        self._profile = profile
        self.opening_counts = opening_counts

    @property
    def profile(self) -> Profile:
        """The TPS profile; ``Refused(NOT_PROVISIONED)`` on a kiosk that has none yet."""
        if self._profile is None:
            raise Refused(KioskCode.NOT_PROVISIONED)
        return self._profile

    def sheet(self, ballot_type: str, boxes: dict[str, int | None]) -> Sheet:
        ballot = ballot_of(self.profile, ballot_type)
        return Sheet(
            ballot_type,
            boxes,
            candidates=len(ballot.candidates),
            parties=tuple(len(p.candidates) for p in ballot.parties),
        )

    def received_at_opening(self, ballot_type: str) -> int | None:
        """Ballots counted at opening (the checklist records them); None until it does."""
        return self.opening_counts(ballot_type) if self.opening_counts else None

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

    def save_entry(
        self, ballot_type: str, entry_no: int, boxes: dict[str, int | None], by: ActiveSession
    ) -> list[Finding]:
        ballot_of(self.profile, ballot_type)
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
        findings = self.check(ballot_type, boxes)
        self.audit.record_for(
            Event.CHASIL_ENTERED,
            by,
            ballot=ballot_type,
            entry=entry_no,
            findings=[f.rule for f in findings],
        )
        return findings

    def confirmed_ballots(self) -> set[str]:
        """Ballot types whose numbers the Ketua has confirmed."""
        return {r["ballot"] for r in self.db.read("SELECT ballot FROM chasil_confirmed")}

    def confirmed(self, ballot_type: str) -> dict[str, Any] | None:
        rows = self.db.read("SELECT * FROM chasil_confirmed WHERE ballot = ?", (ballot_type,))
        return dict(rows[0]) if rows else None

    def confirm(self, ballot_type: str, by: ActiveSession, note: str) -> list[Finding]:
        """The Ketua confirms the first entry's numbers. Refused on any blocking finding, and on
        warnings unless ``note`` (the kejadian khusus) explains them."""
        boxes = self.latest(ballot_type, 1)
        if boxes is None:
            raise KeyError(f"no numbers entered for {ballot_type}")
        findings = self.check(ballot_type, boxes)
        if blocking(findings) or (findings and not note.strip()):
            raise ChasilRefused(findings)
        with self.db.write() as conn:
            conn.execute(
                "INSERT INTO chasil_confirmed (ballot, boxes, findings, note, confirmed_by,"
                " confirmed_wall) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (ballot) DO UPDATE SET"
                " boxes = excluded.boxes, findings = excluded.findings, note = excluded.note,"
                " confirmed_by = excluded.confirmed_by, confirmed_wall = excluded.confirmed_wall",
                (
                    ballot_type,
                    json.dumps(boxes),
                    json.dumps([f.rule for f in findings]),
                    note.strip(),
                    by.officer.id,
                    self.clock.now().isoformat(),
                ),
            )
        self.audit.record_for(
            Event.CHASIL_CONFIRMED,
            by,
            ballot=ballot_type,
            warnings=[f.rule for f in findings],
            note=note.strip(),
        )
        return findings
