"""The tamper-evident audit log: who did what and when, and device events worth knowing.

Append-only: SQLite triggers refuse UPDATE and DELETE, and each row carries the SHA-256 of its
content chained over the previous row's hash, so editing, deleting or reordering rows directly in
the file (triggers dropped) is found by ``verify``. The chain's end is anchored by a head signed
with the device key (``kiosk.audit_head``), so cut, rewritten-and-rehashed, forged or emptied
logs are found too. Exports are JSON Lines ending in a line with an Ed25519 signature (device
key) over everything before it, and the signed head.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk import audit_head
from kiosk.audit_head import Broken, SignedHead
from kiosk.clock import Clock
from kiosk.db import Database
from kiosk.devicekey import fingerprint, key_path, load_key, public_bytes
from kiosk.devicekey import verify as verify_signature
from kiosk.errors import KioskError
from kiosk.storage import write_durably

log = logging.getLogger(__name__)

GENESIS = "0" * 64


class Event(enum.Enum):
    """The catalogue of audit events; nothing else can be recorded. Rows are read as text
    (``kind``), so a row of an event since removed still reads and verifies."""

    PROVISIONED = "provisioned"
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOCKOUT = "lockout"
    LOGOUT = "logout"
    CARD_ENROLLED = "card_enrolled"
    SELFTEST = "selftest"
    CHECKLIST_STEP = "checklist_step"
    CHECKLIST_CORRECTED = "checklist_corrected"  # a recorded count or note changed (previous, why)
    CLOCK_SET = "clock_set"
    INCIDENT = "incident"
    CHASIL_ENTERED = "chasil_entered"
    CHASIL_CONFIRMED = "chasil_confirmed"
    SCAN = "scan"
    SCAN_REJECTED = "scan_rejected"
    DOCUMENT_SIGNED = "document_signed"
    DOCUMENT_RECOVERED = "document_recovered"  # re-recorded from its signed manifest
    DATABASE_RESTORED = "database_restored"  # tps-kiosk db restore: from backup or rebuilt
    PRINT = "print"
    PRINT_FAILED = "print_failed"
    REPRINT = "reprint"
    UPLOAD_SENT = "upload_sent"
    UPLOAD_FAILED = "upload_failed"
    UPLOAD_RETRY = "upload_retry"
    USB_EXPORT = "usb_export"
    AUDIT_EXPORTED = "audit_exported"
    TRAINING_FAULT = "training_fault"  # the trainer set or cleared a simulated fault
    TRAINING_SCENARIO = "training_scenario"  # the trainer loaded a C.Hasil practice sheet
    TRAINING_RESET = "training_reset"  # "Reset latihan": the training kiosk's day wiped
    TRAINER_CLOCK = "trainer_clock"  # the trainer moved the training kiosk's clock (from, to)


class _Officer(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def role(self) -> enum.Enum: ...


class Actor(Protocol):
    """Who did it: a login session (kiosk.services.auth.ActiveSession)."""

    @property
    def officer(self) -> _Officer: ...


FIELDS = ("seq", "wall", "mono", "officer", "role", "kind", "details", "prev_hash")


def _row_hash(row: dict[str, Any]) -> str:
    canonical = json.dumps(
        {k: row[k] for k in FIELDS}, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class AuditTx:
    """A write transaction that records events together with the change they record
    (``AuditLog.transaction``)."""

    def __init__(
        self, log: AuditLog, conn: sqlite3.Connection, key: Ed25519PrivateKey | None
    ) -> None:
        self.conn = conn
        self._log = log
        self._key = key
        self.head: SignedHead | None = None  # the newest signed head, mirrored after commit

    def record(
        self, kind: Event, officer: str | None = None, role: str | None = None, **details: Any
    ) -> int:
        """Append one event in this transaction; its sequence number."""
        seq, head = self._log._append(self.conn, self._key, kind, officer, role, details)
        self.head = head or self.head
        return seq


class AuditLog:
    """The log in ``db``. The device key is read lazily from ``data_dir`` (default: the
    database's folder, where every kiosk keeps both), because it appears only at the first
    provisioning; from then on each appended row re-signs the head."""

    def __init__(self, db: Database, clock: Clock, data_dir: Path | None = None) -> None:
        self.db = db
        self.clock = clock
        self.data_dir = data_dir if data_dir is not None else db.path.parent
        self._key: Ed25519PrivateKey | None = None

    def _device_key(self) -> Ed25519PrivateKey | None:
        """The device key once it exists (it never changes after, so it is kept)."""
        if self._key is None and key_path(self.data_dir).exists():
            self._key = load_key(self.data_dir)
        return self._key

    def record(
        self, kind: Event, officer: str | None = None, role: str | None = None, **details: Any
    ) -> int:
        """Append one event; return its sequence number."""
        with self.transaction() as tx:
            return tx.record(kind, officer, role, **details)

    @contextmanager
    def transaction(self) -> Iterator[AuditTx]:
        """One write transaction (kiosk.db's one write path) for a change and the events that
        record it: ``tx.conn`` writes the change, ``tx.record(...)`` appends an event; both are
        kept or neither. The head file follows after the commit."""
        key = self._device_key()  # before the lock: reading a file keeps others waiting
        with self.db.write() as conn:
            tx = AuditTx(self, conn, key)
            yield tx
        if tx.head is not None:
            self._mirror(tx.head)

    def _append(
        self,
        conn: sqlite3.Connection,
        key: Ed25519PrivateKey | None,
        kind: Event,
        officer: str | None,
        role: str | None,
        details: dict[str, Any],
    ) -> tuple[int, SignedHead | None]:
        """Append one row inside ``conn``'s transaction, re-signing the head with ``key``."""
        head: SignedHead | None = None
        last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        row: dict[str, Any] = {
            "seq": (last["seq"] + 1) if last else 1,
            "wall": self.clock.now().isoformat(timespec="milliseconds"),
            "mono": round(self.clock.monotonic(), 3),
            "officer": officer,
            "role": role,
            "kind": kind.value,
            "details": json.dumps(details, sort_keys=True, ensure_ascii=False),
            "prev_hash": last["hash"] if last else GENESIS,
        }
        conn.execute(
            "INSERT INTO audit_log (seq, wall, mono, officer, role, kind, details, prev_hash,"
            " hash) VALUES (:seq, :wall, :mono, :officer, :role, :kind, :details,"
            " :prev_hash, :hash)",
            {**row, "hash": _row_hash(row)},
        )
        if key is not None:
            # Same transaction as the row: the head and the log cannot get out of step.
            head = audit_head.sign(key, int(row["seq"]), _row_hash(row))
            audit_head.save(conn, head)
        return int(row["seq"]), head

    def _mirror(self, head: SignedHead) -> None:
        """The head file, after commit. The row is recorded whatever happens here: a file that
        lags behind is allowed (it must only be a prefix), so a full disk is logged, not raised."""
        try:
            audit_head.mirror(self.data_dir, head, self._hash_at)
        except (OSError, KioskError) as exc:
            log.warning("audit head file not updated (row %d): %s", head.count, exc)

    def _hash_at(self, seq: int) -> str | None:
        rows = self.db.read("SELECT hash FROM audit_log WHERE seq = ?", (seq,))
        return str(rows[0]["hash"]) if rows else None

    def head(self) -> SignedHead | None:
        """The signed head of the log now; None before the device key exists."""
        return audit_head.load(self.db.conn)

    def head_json(self) -> dict[str, Any] | None:
        """``head()`` as signed manifests, uploads and exports carry it."""
        head = self.head()
        return head.as_json() if head is not None else None

    def record_for(self, kind: Event, actor: Actor | None, **details: Any) -> int:
        """Append one event done by a logged-in officer (None: by the kiosk itself)."""
        if actor is None:
            return self.record(kind, **details)
        return self.record(kind, officer=actor.officer.id, role=actor.officer.role.value, **details)

    def rows(self, limit: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM audit_log ORDER BY seq DESC" + (
            f" LIMIT {int(limit)}" if limit else ""
        )
        return [dict(r) for r in self.db.read(sql)]

    def count(self) -> int:
        """How many rows the log holds."""
        return int(self.db.read("SELECT count(*) FROM audit_log")[0][0])

    def verify(self) -> Broken | None:
        """The first row that breaks the chain or disagrees with a signed head (the database's,
        the head file's, the signed documents'), or None when the whole log is intact."""
        hashes: list[str] = []
        prev_hash, expected_seq = GENESIS, 1
        for r in self.db.read("SELECT * FROM audit_log ORDER BY rowid"):
            row = dict(r)
            if row["seq"] != expected_seq:
                return Broken(row["seq"], f"expected row {expected_seq} here (deleted or moved)")
            if row["prev_hash"] != prev_hash:
                return Broken(row["seq"], "does not follow the row before it")
            if _row_hash(row) != row["hash"]:
                return Broken(row["seq"], "content was changed after it was written")
            prev_hash, expected_seq = row["hash"], expected_seq + 1
            hashes.append(row["hash"])
        try:
            checkpoints = audit_head.file_heads(self.data_dir)
        except ValueError as exc:
            return Broken(len(hashes) + 1, f"the head file is unreadable: {exc}")
        checkpoints += [
            (f"the signed document {p}", h) for p, h in audit_head.manifest_heads(self.data_dir)
        ]
        key = self._device_key()
        return audit_head.check(
            hashes,
            self.head(),
            checkpoints,
            public_bytes(key) if key is not None else None,
            (self.data_dir / audit_head.PROFILE_FILE).exists(),
        )

    def export(self, path: Path, key: Ed25519PrivateKey) -> int:
        """Write the whole log as JSON Lines plus a signature line (with the signed head of the
        exported rows); return the row count."""
        conn = self.db.conn
        conn.execute("BEGIN")  # one snapshot: the head belongs to exactly these rows
        try:
            rows = [dict(r) for r in conn.execute("SELECT * FROM audit_log ORDER BY seq")]
            head = audit_head.load(conn)
        finally:
            conn.execute("COMMIT")
        body = "".join(
            json.dumps(
                {**r, "details": json.loads(r["details"])}, ensure_ascii=False, sort_keys=True
            )
            + "\n"
            for r in rows
        )
        data = body.encode()
        signature = {
            "signature": base64.b64encode(key.sign(data)).decode(),
            "public_key": base64.b64encode(public_bytes(key)).decode(),
            "fingerprint": fingerprint(key),
            "rows": len(rows),
            "audit_head": head.as_json() if head is not None else None,
        }
        write_durably(path, data + (json.dumps(signature) + "\n").encode())
        return len(rows)


def verify_export(path: Path, expected_public_key: bytes | None = None) -> bool:
    """True when the export's last line signs everything before it (with the expected key) and
    its signed head, when it has one, ends exactly at the last exported row."""
    data = path.read_bytes()
    body, _, last = data.rstrip(b"\n").rpartition(b"\n")
    body = body + b"\n" if body else b""
    try:
        sig = json.loads(last)
        public = base64.b64decode(sig["public_key"])
        signature = base64.b64decode(sig["signature"])
        head = SignedHead.from_json(sig["audit_head"]) if sig.get("audit_head") else None
        rows = [json.loads(line) for line in body.splitlines()]
    except (ValueError, KeyError, TypeError, AttributeError):
        return False
    if expected_public_key is not None and public != expected_public_key:
        return False
    if not verify_signature(public, signature, body):
        return False
    if head is None:
        return True
    return (
        head.valid(public)
        and head.count == len(rows)
        and bool(rows)
        and rows[-1].get("hash") == head.hash
    )
