"""Importing a kiosk's USB export: the same checks and the same store as a tus upload.

An export folder holds the bundles and ``index.json`` (signed with the device key; see
``kiosk.upload.bundle.sign_index``). The index key must be registered for the index's TPS
(same trust rules as uploads), else nothing is imported. Then each listed bundle file must
have the SHA-256 the index gives and be the bundle the entry describes (key, ballot, TPS);
it is stored with source ``usb``. Importing counts as delivery: the kiosk's receipt request
finds the document whichever road it came by.

An entry with ``"kind": "record"`` is a result record (``record-<key>.json``, its SHA-256 the
key): it goes through ``records.receive_record``, the same checks and the same idempotent store
as ``PUT /records/<key>``, after its TPS and ballot are matched with the signed index. Its
result's ``record`` is the receipt the kiosk's ``PUT`` will be answered with.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.collector import records, store
from kiosk.collector.config import Collector
from kiosk.collector.intake import receive, record_rejection
from kiosk.collector.registry import TPS_CODE, check_device
from kiosk.upload.bundle import MAX_BUNDLE_BYTES, BundleInvalid, OpenedBundle, open_index

log = logging.getLogger(__name__)

INDEX_FILE = "index.json"


@dataclass(frozen=True)
class ImportResult:
    file: str
    key: str
    status: str  # accepted | duplicate | rejected
    reason: str = ""
    detail: str = ""
    receipt: store.Receipt | None = None
    record: dict[str, Any] | None = None  # a result record's receipt


def import_export(collector: Collector, folder: Path) -> list[ImportResult]:
    """Import every bundle listed in ``folder/index.json``; one result per listed bundle.
    Raise BundleInvalid (``index``, ``device_*``) if the index itself cannot be trusted."""
    try:
        raw = (folder / INDEX_FILE).read_bytes()
    except OSError as exc:
        raise BundleInvalid("index", f"cannot read {INDEX_FILE}: {exc}") from exc
    index, public = open_index(raw)
    tps_code = str(index.get("tps_code", ""))
    if not TPS_CODE.match(tps_code):
        raise BundleInvalid("index", f"TPS code {tps_code!r} is not 13 digits")
    conn = store.connect(collector.db_path)
    try:
        with store.write(conn):
            check_device(conn, tps_code, public, collector.policy.trust_first_use)
    finally:
        conn.close()
    results = [_import_one(collector, folder, tps_code, entry) for entry in index["bundles"]]
    log.info(
        "imported %s for TPS %s: %s",
        folder,
        tps_code,
        ", ".join(f"{r.status} {r.key[:12]}" for r in results) or "no bundles",
    )
    return results


def _import_one(collector: Collector, folder: Path, tps_code: str, entry: Any) -> ImportResult:
    if not isinstance(entry, dict) or not all(
        isinstance(entry.get(k), str) for k in ("file", "key", "sha256", "ballot")
    ):
        return ImportResult(str(entry)[:60], "", "rejected", "index", "malformed index entry")
    if entry.get("kind") == "record":
        return _import_record(collector, folder, tps_code, entry)
    name, key = entry["file"], entry["key"]
    try:
        data = _read_bundle(folder, name)
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise BundleInvalid("bundle_hash", f"{name} is not the file the index lists")
    except BundleInvalid as exc:
        record_rejection(collector, key, exc, "usb")
        return ImportResult(name, key, "rejected", exc.reason, exc.detail)

    def matches_entry(opened: OpenedBundle) -> None:
        wrong = [
            field
            for field, have, want in (
                ("key", opened.key, key),
                ("ballot", opened.ballot, entry["ballot"]),
                ("tps", opened.tps_code, tps_code),
            )
            if have != want
        ]
        if wrong:
            raise BundleInvalid("index", f"the index entry does not match: {', '.join(wrong)}")

    try:
        outcome = receive(collector, data, "usb", claimed_key=key, check=matches_entry)
    except BundleInvalid as exc:
        return ImportResult(name, key, "rejected", exc.reason, exc.detail)
    status = "accepted" if outcome.new else "duplicate"
    return ImportResult(name, key, status, receipt=outcome.receipt)


def _import_record(collector: Collector, folder: Path, tps_code: str, entry: Any) -> ImportResult:
    name, key = entry["file"], entry["key"]
    try:
        data = _read_bundle(folder, name, records.MAX_RECORD_BYTES)
        if entry["sha256"] != key:
            raise BundleInvalid("index", f"{name}: a record's SHA-256 is its key")
        fields, _ = records.check_record(key, data, collector.policy.accept_training)
        if (str(fields["tps"]), str(fields["b"])) != (tps_code, entry["ballot"]):
            raise BundleInvalid("index", "the index entry does not match: tps or ballot")
    except BundleInvalid as exc:
        log.warning("refused usb record %s: %s: %s", key[:12], exc.reason, exc.detail)
        conn = store.connect(collector.db_path)
        try:
            with store.write(conn):
                store.record_rejection(conn, key, exc.reason, exc.detail, "usb")
        finally:
            conn.close()
        return ImportResult(name, key, "rejected", exc.reason, exc.detail)
    try:  # checked again as it is stored, where a refusal is recorded
        receipt, new = records.receive_record(collector, key, data)
    except BundleInvalid as exc:
        return ImportResult(name, key, "rejected", exc.reason, exc.detail)
    return ImportResult(name, key, "accepted" if new else "duplicate", record=receipt)


def _read_bundle(folder: Path, name: str, limit: int = MAX_BUNDLE_BYTES) -> bytes:
    path = folder / name
    # The index is signed, but a file name must still not lead out of the export folder.
    if Path(name).name != name or name in ("", ".", ".."):
        raise BundleInvalid("index", f"{name!r} is not a plain file name")
    try:
        if path.stat().st_size > limit:
            raise BundleInvalid("not_a_bundle", f"{name} is too large")
        return path.read_bytes()
    except OSError as exc:
        raise BundleInvalid("index", f"cannot read {name}: {exc.strerror}") from exc
