"""Receiving one bundle, whichever road it came by (tus or USB): check, then store once.

Idempotent on the bundle key: the first arrival stores the document, any later one (another
tus upload, a USB import, a retried hook) returns the same receipt and adds nothing. The check
of the device key and the insert happen in one ``BEGIN IMMEDIATE`` transaction, which
serialises concurrent arrivals of one key, in this process or another.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.audit_head import SignedHead
from kiosk.collector import record_store, store
from kiosk.collector.config import Collector
from kiosk.collector.registry import check_device
from kiosk.collector.verify import check_bundle
from kiosk.upload.bundle import BundleInvalid, OpenedBundle

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    receipt: store.Receipt
    new: bool  # False: the collector had this document already


def receive(
    collector: Collector,
    data: bytes,
    source: str,
    claimed_key: str = "",
    check: Callable[[OpenedBundle], None] | None = None,
    upload_uid: str = "",
    sent_head: object = None,
) -> Outcome:
    """Check and store the bundle ``data``; raise BundleInvalid (after recording it) if it is
    refused. ``claimed_key`` is the key the sender said it has (recorded with a refusal when
    the bundle cannot even be opened); ``upload_uid`` marks a tus upload processed in the
    same transaction. ``sent_head`` is the signed audit head the kiosk sent with the upload
    (newer than the manifest's: what happened at the TPS until it was sent); kept like the
    manifest's, also when the document was here already."""
    try:
        opened = check_bundle(data, collector.policy, check)
    except BundleInvalid as exc:
        record_rejection(collector, claimed_key, exc, source, upload_uid)
        raise
    conn = store.connect(collector.db_path)
    try:
        with store.write(conn):
            existing = store.document_by_key(conn, opened.key)
            if existing is not None:
                if upload_uid:
                    store.mark_upload(conn, upload_uid, opened.key, "duplicate")
                _keep_audit_head(conn, opened, sent_head)
                outcome = Outcome(existing.receipt, new=False)
            else:
                check_device(
                    conn, opened.tps_code, opened.public_key, collector.policy.trust_first_use
                )
                stored = store.store_document(conn, collector.documents_dir, opened, data, source)
                # The record its manifest names went ahead of it (or comes later: see there).
                record_store.link_document(
                    conn,
                    record_store.record_named(opened.manifest),
                    opened.key,
                    opened.manifest.get("numbers"),
                )
                _keep_audit_head(conn, opened, opened.manifest.get("audit_head"))
                _keep_audit_head(conn, opened, sent_head)
                if upload_uid:
                    store.mark_upload(conn, upload_uid, opened.key, "accepted")
                outcome = Outcome(stored.receipt, new=True)
    except BundleInvalid as exc:
        record_rejection(collector, opened.key, exc, source, upload_uid)
        raise
    finally:
        conn.close()
    log.info(
        "%s document %s: TPS %s %s%s by %s",
        "stored" if outcome.new else "already had",
        opened.key[:12],
        opened.tps_code,
        opened.ballot,
        " (training)" if opened.training else "",
        source,
    )
    return outcome


def _keep_audit_head(conn: sqlite3.Connection, opened: OpenedBundle, raw: object) -> None:
    """Keep a signed audit head of the kiosk (the manifest's, or the one sent with the
    upload), so the collector holds each kiosk's history head too. Only a head signed by the
    device's own key is kept; a bad one never costs a C.Hasil document (logged, not refused)."""
    if raw is None:  # a kiosk before its first provisioning, or an older kiosk
        return
    try:
        head = SignedHead.from_json(raw)
    except ValueError as exc:
        log.warning("document %s: unusable audit head: %s", opened.key[:12], exc)
        return
    if not head.valid(opened.public_key):
        log.warning("document %s: audit head not signed by its device", opened.key[:12])
        return
    store.record_audit_head(conn, opened.tps_code, head, opened.key)


def record_rejection(
    collector: Collector, key: str, exc: BundleInvalid, source: str, upload_uid: str = ""
) -> None:
    log.warning("refused %s bundle %s: %s: %s", source, key[:12] or "?", exc.reason, exc.detail)
    conn = store.connect(collector.db_path)
    try:
        with store.write(conn):
            store.record_rejection(conn, key, exc.reason, exc.detail, source)
            if upload_uid:
                store.mark_upload(conn, upload_uid, key, "rejected", exc.reason, exc.detail)
    finally:
        conn.close()
