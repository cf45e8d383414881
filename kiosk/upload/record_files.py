"""The result records' durable files: what ``tps-kiosk db restore`` rebuilds their queue from.

Each signed record (kiosk.chasil.result_record) is written to ``documents/records/<key>.json``
in the data folder the way a signed document is (temp file, fsync, rename, fsync the folder;
kiosk.storage.write_durably) *before* its row is inserted, inside the confirmation's
transaction (``enqueue_record``): a row never exists without its file. When the server gives
its receipt, ``<key>.receipt.json`` is written beside it (best effort: without it a restore
only sends the record again, and the collector answers a key it has with the same receipt).
The files live under ``documents/``, so "Reset latihan" removes them with the day's documents.

``restore_records`` (kiosk.upload.record_outbox, the table's owner; run by ``db restore``
when the database was rebuilt or restored from an older backup) queues every record file of
this kiosk's device key that the database does not know, ``sent`` with its receipt when a
receipt file says so, else pending, so an unsent record goes once and a sent one is not sent
again; a record already in the database whose receipt file says it was sent is marked sent.
A file that is not a well-signed record of this kiosk (another device, altered bytes, a name
that is not its hash) is refused, never queued. If a confirmation's transaction failed after
its record file was written, a restore of a lost database queues that file too when no row
holds its ballot and sequence (it is signed, as a document folder whose row was lost is
re-recorded; kiosk.reconcile); else the row is kept and the file counted ``superseded``. A
restore of an intact database queues nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from kiosk.devicekey import canonical, verify
from kiosk.errors import KioskError
from kiosk.storage import write_durably

log = logging.getLogger(__name__)

RECORD_DIR = Path("documents") / "records"  # below the data folder
RECEIPT_SUFFIX = ".receipt.json"


def record_path(data_dir: Path, key: str) -> Path:
    return data_dir / RECORD_DIR / f"{key}.json"


def write_record_file(data_dir: Path, key: str, data: bytes) -> None:
    """The record's file, durably, in the data folder ``data_dir`` (before the row goes in, in
    the same transaction). Raises StorageFull and the like: no row then."""
    write_durably(record_path(data_dir, key), data)


def write_receipt_file(record_dir: Path, key: str, receipt: dict[str, str]) -> None:
    """Beside the record: its receipt, for a restore. A failure is logged, never raised."""
    path = record_dir / f"{key}{RECEIPT_SUFFIX}"
    data = json.dumps(receipt, sort_keys=True).encode()
    try:
        if not path.exists() or path.read_bytes() != data:
            write_durably(path, data)
    except (OSError, KioskError) as exc:
        log.warning("receipt file of record %s not written: %s", key[:12], exc)


def read_record_file(path: Path, public: bytes) -> dict[str, Any]:
    """The fields of the record in ``path``, checked; ValueError when it is not one of ours."""
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != path.stem:
        raise ValueError("the file's name is not its SHA-256")
    try:
        envelope = json.loads(data)
        fields, signature = envelope["r"], base64.b64decode(envelope["s"], validate=True)
        signer = base64.b64decode(envelope["k"], validate=True)
    except (KeyError, TypeError, binascii.Error) as exc:
        raise ValueError(f"not a result record: {exc}") from exc
    if signer != public or not verify(public, signature, canonical(fields)):
        raise ValueError("not signed by this kiosk's device key")
    if not isinstance(fields.get("b"), str) or not isinstance(fields.get("seq"), int):
        raise ValueError("no ballot or sequence")
    return dict(fields, _data=data)


def read_receipt_file(path: Path) -> dict[str, str] | None:
    """The receipt written beside the record file ``path``, if any (and readable)."""
    receipt = path.with_name(path.stem + RECEIPT_SUFFIX)
    try:
        found = json.loads(receipt.read_text(encoding="utf-8"))
        return {k: str(found[k]) for k in ("id", "sha256", "wall")}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("receipt file %s unreadable (the record is sent again): %s", receipt, exc)
        return None


def record_files(data_dir: Path) -> list[Path]:
    """Every record file in the data folder (not the receipts beside them), by name."""
    return sorted(
        p for p in (data_dir / RECORD_DIR).glob("*.json") if not p.name.endswith(RECEIPT_SUFFIX)
    )
