"""Officer login by smart card + PIN, or PIN alone where the profile allows it.

Wrong PINs count per officer; ``max_attempts`` in a row lock that officer for a delay that
doubles with each lockout. A login session ends on logout, when its card leaves the reader,
after ``idle_s`` without activity, or ``max_s`` after it began. Every step is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import math
import secrets
import sqlite3
from dataclasses import dataclass
from typing import ClassVar

from kiosk.audit import AuditLog, Event
from kiosk.clock import Clock
from kiosk.db import Database
from kiosk.errors import StorageFull
from kiosk.lazy_text import lazy_gettext as _l  # not flask_babel's: the worker loads no Flask
from kiosk.refusals import RefusalCode, Refused, wording
from kiosk.roles import Permission, Role, allowed
from kiosk.storage_faults import storage_fault
from kiosk.tps_time import tps_time

log = logging.getLogger(__name__)

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    _, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)


@dataclass(frozen=True)
class Policy:
    max_attempts: int = 5
    lockout_base_s: float = 60.0
    idle_s: float = 15 * 60
    max_s: float = 12 * 3600


@dataclass(frozen=True)
class OfficerInfo:
    id: str
    name: str
    role: Role
    card_uid: str | None


@dataclass(frozen=True)
class ActiveSession:
    id: str
    officer: OfficerInfo
    card_uid: str | None

    def may(self, permission: Permission, training: bool) -> bool:
        return allowed(self.officer.role, permission, training)


class AuthCode(RefusalCode):
    """Why a login or a card enrolment is refused."""

    UNKNOWN_OFFICER = "unknown_officer"  # params: officer
    UNKNOWN_CARD = "unknown_card"  # the card on the reader is not this officer's
    CARD_TAKEN = "card_taken"  # enrolment: the card belongs to another officer
    NO_CARD = "no_card"  # enrolment: no card on the reader
    PIN_ONLY_NOT_ALLOWED = "pin_only_not_allowed"
    NOT_IN_TRAINING = "not_in_training"  # the Pelatih role only exists in training mode
    WRONG_PIN = "wrong_pin"  # params: n (attempts left before the lock)
    # A PIN lockout: who can help depends on who is locked out (the Ketua KPPS helps the
    # others; the Ketua needs the technician). params: time ("HH:MM WITA" on the kiosk
    # clock, rounded up to the minute), until_epoch
    LOCKED_OUT = "locked_out"
    LOCKED_OUT_KETUA = "locked_out_ketua"


AUTH_WORDING = wording(
    AuthCode,
    {
        AuthCode.UNKNOWN_OFFICER: _l("Unknown officer %(officer)s."),
        AuthCode.UNKNOWN_CARD: _l("The card on the reader is not this officer's card."),
        AuthCode.CARD_TAKEN: _l("This card already belongs to another officer."),
        AuthCode.NO_CARD: _l(
            "No card on the reader. Put the officer's card on the reader, then press Enrol again."
        ),
        AuthCode.PIN_ONLY_NOT_ALLOWED: _l(
            "Tap your card on the reader first, then enter your PIN."
        ),
        AuthCode.NOT_IN_TRAINING: _l("The trainer role works only in training mode."),
        AuthCode.WRONG_PIN: _l("Wrong PIN. %(n)d attempts left before the lock."),
        AuthCode.LOCKED_OUT: _l(
            "Too many wrong PINs: locked until %(time)s. Ask the Ketua KPPS for help, or wait "
            "until then."
        ),
        AuthCode.LOCKED_OUT_KETUA: _l(
            "Too many wrong PINs: locked until %(time)s. Call the technician, or wait until then."
        ),
    },
)


class AuthService:
    """Officers, their cards and PINs, and who is logged in. Kept by "Reset latihan" (only
    PIN lockouts are lifted); the reset ends the other sessions through ``end``."""

    owns: ClassVar[tuple[str, ...]] = ("officer", "login_session")

    def __init__(
        self,
        db: Database,
        audit: AuditLog,
        clock: Clock,
        policy: Policy,
        training: bool,
        allow_pin_only: bool,
    ) -> None:
        self.db = db
        self.audit = audit
        self.clock = clock
        self.policy = policy
        self.training = training
        self.allow_pin_only = allow_pin_only

    def _epoch(self) -> float:
        return self.clock.now().timestamp()

    @staticmethod
    def _info(row: dict[str, object]) -> OfficerInfo:
        uid = row["card_uid"]
        return OfficerInfo(
            str(row["id"]), str(row["name"]), Role(row["role"]), str(uid) if uid else None
        )

    def officers(self) -> list[OfficerInfo]:
        rows = self.db.read("SELECT id, name, role, card_uid FROM officer ORDER BY id")
        return [self._info(dict(r)) for r in rows]

    def officer(self, officer_id: str) -> OfficerInfo | None:
        rows = self.db.read(
            "SELECT id, name, role, card_uid FROM officer WHERE id = ?", (officer_id,)
        )
        return self._info(dict(rows[0])) if rows else None

    def officer_by_card(self, uid: str) -> OfficerInfo | None:
        rows = self.db.read(
            "SELECT id, name, role, card_uid FROM officer WHERE card_uid = ?", (uid.upper(),)
        )
        return self._info(dict(rows[0])) if rows else None

    def login(self, officer_id: str, pin: str, card_uid: str | None) -> ActiveSession:
        """Check the PIN (and that ``card_uid``, if any, is this officer's card on the reader)."""
        officer = self.officer(officer_id)
        if officer is None:
            raise Refused(AuthCode.UNKNOWN_OFFICER, officer=officer_id)
        if card_uid is None and not self.allow_pin_only:
            raise Refused(AuthCode.PIN_ONLY_NOT_ALLOWED)
        if card_uid is not None and officer.card_uid != card_uid.upper():
            raise Refused(AuthCode.UNKNOWN_CARD)
        if officer.role is Role.PELATIH and not self.training:
            raise Refused(AuthCode.NOT_IN_TRAINING)
        now = self._epoch()
        with self.db.write() as conn:
            row = conn.execute("SELECT * FROM officer WHERE id = ?", (officer_id,)).fetchone()
            if row["locked_until"] > now:
                raise self._locked_out(row["locked_until"], officer.role)
        # The slow hash runs outside the write lock; the counters are updated after it.
        good = check_pin(pin, row["pin_hash"])
        who = {"officer": officer.id, "role": officer.role.value}
        with self.db.write() as conn:
            if good:
                session_id = secrets.token_urlsafe(24)
                conn.execute(
                    "UPDATE officer SET failed_attempts = 0, lockouts = 0 WHERE id = ?",
                    (officer_id,),
                )
                conn.execute(
                    "INSERT INTO login_session (id, officer_id, card_uid, started,"
                    " last_seen) VALUES (?, ?, ?, ?, ?)",
                    (
                        session_id,
                        officer_id,
                        card_uid,
                        self.clock.monotonic(),
                        self.clock.monotonic(),
                    ),
                )
            else:
                failed = row["failed_attempts"] + 1
                if failed >= self.policy.max_attempts:
                    lockouts = row["lockouts"] + 1
                    until = now + self.policy.lockout_base_s * 2 ** (lockouts - 1)
                    conn.execute(
                        "UPDATE officer SET failed_attempts = 0, lockouts = ?,"
                        " locked_until = ? WHERE id = ?",
                        (lockouts, until, officer_id),
                    )
                else:
                    conn.execute(
                        "UPDATE officer SET failed_attempts = ? WHERE id = ?", (failed, officer_id)
                    )
        if good:
            self.audit.record(Event.LOGIN, **who, via="card" if card_uid else "pin")
            return ActiveSession(session_id, officer, card_uid)
        self.audit.record(Event.LOGIN_FAILED, **who, attempt=failed)
        if failed >= self.policy.max_attempts:
            self.audit.record(Event.LOCKOUT, **who, lockout=lockouts, seconds=round(until - now))
            raise self._locked_out(until, officer.role)
        raise Refused(AuthCode.WRONG_PIN, n=self.policy.max_attempts - failed)

    def _locked_out(self, until_epoch: float, role: Role) -> Refused:
        """The lockout, with its end as the officer reads it on the kiosk's clock, in its zone
        (WIB/WITA/WIT), rounded up to the minute so "wait until" is never too early."""
        tz = self.clock.now().tzinfo
        until = dt.datetime.fromtimestamp(math.ceil(until_epoch / 60) * 60, tz)
        moment, zone = tps_time(until, "")  # named by the clock's offset, as the wall shows it
        code = AuthCode.LOCKED_OUT_KETUA if role is Role.KETUA else AuthCode.LOCKED_OUT
        return Refused(code, time=f"{moment:%H:%M} {zone}", until_epoch=until_epoch)

    def session(self, session_id: str | None) -> ActiveSession | None:
        """The live session for ``session_id``, touched; None if it ended or expired."""
        if not session_id:
            return None
        rows = self.db.read(
            "SELECT * FROM login_session WHERE id = ? AND ended IS NULL", (session_id,)
        )
        if not rows:
            return None
        s = rows[0]
        # Monotonic seconds: the Ketua correcting the wall clock must not log everyone out. A
        # session from before a reboot (monotonic time restarted) is over.
        now = self.clock.monotonic()
        if now < s["last_seen"]:
            self.end(session_id, "restart")
            return None
        if now - s["last_seen"] > self.policy.idle_s:
            self.end(session_id, "idle")
            return None
        if now - s["started"] > self.policy.max_s:
            self.end(session_id, "session_limit")
            return None
        officer = self.officer(s["officer_id"])
        if officer is None:
            return None
        try:
            with self.db.write() as conn:
                conn.execute(
                    "UPDATE login_session SET last_seen = ? WHERE id = ?", (now, session_id)
                )
        except sqlite3.Error as exc:
            # On a full disk the officer can still read every screen (the queue, the guidance):
            # only what changes data needs room, and says so itself. Idle time then counts
            # from the last touch that was stored.
            if not isinstance(storage_fault(exc), StorageFull):
                raise
            log.warning("session %s not touched: %s", session_id[:8], exc)
        return ActiveSession(session_id, officer, s["card_uid"])

    def open_sessions(self, but: str | None = None) -> list[str]:
        """The ids of the sessions not ended yet (except ``but``), for "Reset latihan"."""
        rows = self.db.read("SELECT id FROM login_session WHERE ended IS NULL ORDER BY started")
        return [str(r["id"]) for r in rows if r["id"] != but]

    def logout(self, session_id: str) -> None:
        """The officer pressed "Keluar". Leaving must always work: on a full disk (or a damaged
        database) the session is over all the same, because the cookie no longer names it; its
        row ends by idle time once there is room."""
        try:
            self.end(session_id, "logout")
        except sqlite3.Error as exc:
            if storage_fault(exc) is None:
                raise
            log.warning("logout not recorded: %s", exc)

    def end(self, session_id: str, reason: str) -> None:
        """End a session and audit LOGOUT in one transaction: a session is never ended without
        its record, nor recorded ended while it still runs."""
        with self.audit.transaction() as tx:
            row = tx.conn.execute(
                "SELECT officer_id FROM login_session WHERE id = ? AND ended IS NULL", (session_id,)
            ).fetchone()
            if row is None:
                return
            tx.conn.execute(
                "UPDATE login_session SET ended = ?, end_reason = ? WHERE id = ?",
                (self._epoch(), reason, session_id),
            )
            officer = self.officer(row["officer_id"])
            tx.record(
                Event.LOGOUT,
                officer=row["officer_id"],
                role=officer.role.value if officer else None,
                reason=reason,
            )

    def card_removed(self, uid: str) -> None:
        """The card left the reader: end every session that logged in with it."""
        rows = self.db.read(
            "SELECT id FROM login_session WHERE card_uid = ? AND ended IS NULL", (uid.upper(),)
        )
        for r in rows:
            self.end(r["id"], "card_removed")

    def enrol_card(self, officer_id: str, uid: str, by: ActiveSession) -> None:
        uid = uid.upper()
        if self.officer(officer_id) is None:
            raise Refused(AuthCode.UNKNOWN_OFFICER, officer=officer_id)
        holder = self.officer_by_card(uid)
        if holder is not None and holder.id != officer_id:
            raise Refused(AuthCode.CARD_TAKEN)
        with self.db.write() as conn:
            conn.execute("UPDATE officer SET card_uid = ? WHERE id = ?", (uid, officer_id))
        self.audit.record_for(
            Event.CARD_ENROLLED,
            by,
            enrolled=officer_id,
            card_uid=uid,
        )

    def clear_training_day(self, conn: sqlite3.Connection) -> dict[str, int]:
        """The roster and the sessions are kept; the day's PIN lockouts are lifted."""
        conn.execute("UPDATE officer SET failed_attempts = 0, lockouts = 0, locked_until = 0")
        return {}
