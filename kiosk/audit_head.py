"""The audit chain's signed head: how many rows the log has and the hash of the last one, signed
with the device key and kept outside the ``audit_log`` table.

A hash chain alone proves only that the rows follow one another: cutting the last rows,
rewriting a row and recomputing every later hash, appending a row with a correct hash, or
emptying the table all leave a valid chain. The head pins the chain's end, and a head can be
made only with the device key. It is kept in three places, each catching what the others miss:

- the ``audit_head`` table (one row), written in the **same transaction** as each appended row,
  so a power cut never leaves the head and the log out of step. It must match the log exactly:
  fewer rows is truncation, more rows is a forged append, another last hash is a rewrite.
- ``audit_head.json`` in the data directory, written durably after each commit. It outlives a
  database emptied, deleted or rolled back to an old copy. A crash between commit and file write
  leaves it behind by the last row, and two processes (web app and worker) may race, so the file
  only has to be a **prefix** of the log: the row at its count has its hash. When a replaced
  database's new log outgrows it, the old head is kept aside (``audit_head.superseded-N.json``)
  instead of being overwritten, so the loss stays reported.
- every signed manifest (``documents/**/manifest.json``) and upload carries the head of its time,
  so the collector holds the kiosk's history too; locally they are more prefix checkpoints,
  which narrow down where a rewrite began.

Rows recorded before the device key exists (before the first provisioning) are covered by the
first signed head after it. What this does not stop: whoever holds the SD card holds the key
file too and can sign a head of their own; against that the heads already at the collector
(and on printed or exported copies) are the anchor.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import logging
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.devicekey import canonical, fingerprint, public_bytes, verify
from kiosk.storage import write_durably

log = logging.getLogger(__name__)

HEAD_FORMAT = "tps-kiosk-audit-head/1"
HEAD_FILE = "audit_head.json"
LOCK_FILE = ".audit_head.lock"
SUPERSEDED = "audit_head.superseded-"  # + count + ".json": a head the log no longer passes
# Written by provisioning (kiosk.services.provisioning.PROFILE_FILE; not imported, it imports
# the audit log): a provisioned kiosk has at least its "provisioned" row.
PROFILE_FILE = "profile.toml"


@dataclass(frozen=True)
class Broken:
    """The first row that is wrong (or, for a missing row, the first one missing) and why."""

    seq: int
    reason: str


@dataclass(frozen=True)
class SignedHead:
    count: int  # rows in the log, 1..count
    hash: str  # SHA-256 (hex) of row ``count``
    signature: str  # base64 Ed25519 over ``signed_bytes``
    public_key: str  # base64 raw Ed25519 public key
    fingerprint: str

    def signed_bytes(self) -> bytes:
        return canonical({"format": HEAD_FORMAT, "count": self.count, "hash": self.hash})

    def valid(self, expected_public_key: bytes | None = None) -> bool:
        """The signature holds (and was made by ``expected_public_key`` when given)."""
        try:
            public = base64.b64decode(self.public_key, validate=True)
            signature = base64.b64decode(self.signature, validate=True)
        except (binascii.Error, ValueError):
            return False
        if len(public) != 32 or (expected_public_key is not None and public != expected_public_key):
            return False
        try:
            return verify(public, signature, self.signed_bytes())
        except ValueError:
            return False

    def as_json(self) -> dict[str, Any]:
        return {
            "format": HEAD_FORMAT,
            "count": self.count,
            "hash": self.hash,
            "signature": self.signature,
            "public_key": self.public_key,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_json(cls, data: object) -> SignedHead:
        """Raise ValueError when ``data`` is not a head (its signature is not checked here)."""
        if not isinstance(data, dict) or data.get("format") != HEAD_FORMAT:
            raise ValueError("not an audit head")
        count, digest = data.get("count"), data.get("hash")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValueError(f"audit head count {count!r}")
        if not isinstance(digest, str) or len(digest) != 64:
            raise ValueError("audit head hash")
        fields = ("signature", "public_key", "fingerprint")
        if not all(isinstance(data.get(k), str) for k in fields):
            raise ValueError("audit head signature")
        return cls(count, digest, data["signature"], data["public_key"], data["fingerprint"])


def sign(key: Ed25519PrivateKey, count: int, last_hash: str) -> SignedHead:
    unsigned = SignedHead(count, last_hash, "", "", "")
    return SignedHead(
        count,
        last_hash,
        base64.b64encode(key.sign(unsigned.signed_bytes())).decode(),
        base64.b64encode(public_bytes(key)).decode(),
        fingerprint(key),
    )


# The audit_head table ------------------------------------------------------------------------
def save(conn: sqlite3.Connection, head: SignedHead) -> None:
    """Replace the table's head; call inside the transaction that appended row ``head.count``."""
    conn.execute(
        "INSERT INTO audit_head (id, count, hash, signature, public_key, fingerprint)"
        " VALUES (1, :count, :hash, :signature, :public_key, :fingerprint)"
        " ON CONFLICT (id) DO UPDATE SET count = excluded.count, hash = excluded.hash,"
        " signature = excluded.signature, public_key = excluded.public_key,"
        " fingerprint = excluded.fingerprint",
        head.as_json(),
    )


def load(conn: sqlite3.Connection) -> SignedHead | None:
    row = conn.execute("SELECT * FROM audit_head WHERE id = 1").fetchone()
    if row is None:
        return None
    return SignedHead(
        int(row["count"]), row["hash"], row["signature"], row["public_key"], row["fingerprint"]
    )


# The mirror file ----------------------------------------------------------------------------
def read_file(data_dir: Path, name: str = HEAD_FILE) -> SignedHead | None:
    """The head file; None when there is none. Raises ValueError when it is not a head."""
    path = data_dir / name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from exc
    try:
        return SignedHead.from_json(json.loads(text))
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def mirror(data_dir: Path, head: SignedHead, hash_at: Callable[[int], str | None]) -> None:
    """Write ``head`` to the head file unless the file already holds a longer one. A lock file
    serialises the web app and the worker, so the file never goes backwards.

    ``hash_at(n)`` is the hash of row n of the log now. When the file's head is not a point of
    that log (the database was replaced, emptied or restored from an older copy and has grown
    again), the old head is kept aside as ``audit_head.superseded-<count>.json`` rather than
    overwritten: ``verify`` goes on reporting what was lost."""
    with open(data_dir / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = read_file(data_dir)
        except ValueError:
            current = None  # unreadable: replaced by a good one
        if current is not None and current.count >= head.count:
            return
        if current is not None and hash_at(current.count) != current.hash:
            kept = json.dumps(current.as_json(), sort_keys=True) + "\n"
            write_durably(data_dir / f"{SUPERSEDED}{current.count}.json", kept.encode())
        data = json.dumps(head.as_json(), sort_keys=True) + "\n"
        write_durably(data_dir / HEAD_FILE, data.encode())


def file_heads(data_dir: Path) -> list[tuple[str, SignedHead]]:
    """The head file and any superseded heads kept beside it, named by their file. Raises
    ValueError when one is not a head."""
    names = [HEAD_FILE, *sorted(p.name for p in data_dir.glob(f"{SUPERSEDED}*.json"))]
    found = [(name, read_file(data_dir, name)) for name in names]
    return [(f"the head file {name}", head) for name, head in found if head is not None]


def manifest_heads(data_dir: Path) -> list[tuple[str, SignedHead]]:
    """The heads carried by the signed documents in the data directory, with their file.
    Unreadable manifests are skipped (the documents' own checks report them)."""
    found = []
    for path in sorted((data_dir / "documents").glob("**/manifest.json")):
        try:
            head = json.loads(path.read_text(encoding="utf-8"))["manifest"].get("audit_head")
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if head is not None:
            try:
                found.append((str(path.relative_to(data_dir)), SignedHead.from_json(head)))
            except ValueError:
                log.warning("%s carries an unusable audit head", path)
    return found


# Checking the log against its heads --------------------------------------------------------
def check(
    hashes: list[str],
    table: SignedHead | None,
    checkpoints: Iterable[tuple[str, SignedHead]],
    device_public_key: bytes | None,
    provisioned: bool,
) -> Broken | None:
    """Check an intact chain (``hashes`` of rows 1..n in order) against the heads: ``table``
    must be its exact end, each checkpoint (source, head) a prefix of it."""
    n = len(hashes)
    heads = [("the database", table)] if table else []
    heads += list(checkpoints)
    for source, head in heads:
        if device_public_key is None:
            return Broken(
                min(head.count, n + 1),
                f"the signed head in {source} exists but the device key is missing",
            )
        if not head.valid(device_public_key):
            return Broken(
                min(head.count, n + 1),
                f"the head in {source} ({head.count} rows) does not match its signature:"
                " it was changed by hand or signed by another key",
            )
    longest = max(heads, key=lambda sh: sh[1].count, default=None)
    if n == 0 and (longest is not None or provisioned):
        said = f"{longest[0]} signed a head of {longest[1].count} rows" if longest else ""
        return Broken(
            1,
            "the log is empty, but "
            + (said or "the kiosk was provisioned (its provisioning row at least must be there)")
            + ": the database was emptied or replaced",
        )
    if longest is not None and longest[1].count > n:
        return Broken(
            n + 1,
            f"truncated: {longest[0]} signed a head of {longest[1].count} rows, the log has {n}"
            f" (rows {n + 1}-{longest[1].count} were cut or the database rolled back)",
        )
    good = 0  # the longest prefix a head vouches for
    for source, head in sorted(heads, key=lambda sh: sh[1].count):
        if hashes[head.count - 1] == head.hash:
            good = head.count
            continue
        return Broken(
            good + 1,
            f"rewritten: row {head.count} is not the one {source} signed; a row between"
            f" {good + 1} and {head.count} was rewritten and the hashes after it recomputed",
        )
    if table is not None and n > table.count:
        return Broken(
            table.count + 1,
            f"rows {table.count + 1}-{n} are not covered by the signed head ({table.count} rows):"
            " appended without the device key",
        )
    if table is None and n > 0 and device_public_key is not None and provisioned:
        return Broken(
            good + 1,
            "the database has no signed head although the kiosk is provisioned:"
            f" rows {good + 1}-{n} are vouched for by nothing (head removed or database replaced)",
        )
    return None
