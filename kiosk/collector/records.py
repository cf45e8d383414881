"""Result records at the collector: ``PUT /records/{key}`` checks one and stores it at once,
``GET /records/{key}`` answers its receipt.

A record (kiosk.chasil.result_record, at most 2 KB) is checked like a document: its bytes
are canonical JSON whose SHA-256 is the key in the URL, the Ed25519 signature over the record
verifies with the public key it carries, that key is registered for its TPS (or trusted on
first use, per policy: ``registry.check_device`` in the storing transaction, as for bundles),
the TPS code and ballot are plain names, a training record reaches only a training collector,
and the numbers are counts that match their shape. When the document naming the record arrives,
its numbers are compared with the record's (``same_numbers``): a difference is logged, not
refused — both are signed by the same device, and the PPS must see both.
Storing is idempotent on the key: ``201`` with the receipt the first time, ``200`` with the
same receipt afterwards; a refusal is ``422 {"detail": {"reason", "detail"}}`` and recorded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from kiosk.collector import record_store, store
from kiosk.collector.config import Collector
from kiosk.collector.record_store import box_names, numbers, same_numbers
from kiosk.collector.registry import TPS_CODE, check_device
from kiosk.collector.verify import BALLOT, KEY
from kiosk.devicekey import canonical, verify
from kiosk.upload.bundle import BundleInvalid

log = logging.getLogger(__name__)

__all__ = ["add_routes", "box_names", "check_record", "numbers", "receive_record", "same_numbers"]

MAX_RECORD_BYTES = 2048


def check_record(key: str, data: bytes, accept_training: bool) -> tuple[dict[str, Any], bytes]:
    """(record fields, raw public key) of a well-formed, well-signed record; BundleInvalid."""
    if len(data) > MAX_RECORD_BYTES:
        raise BundleInvalid("too_large", f"{len(data)} bytes (at most {MAX_RECORD_BYTES})")
    if hashlib.sha256(data).hexdigest() != key:
        raise BundleInvalid("key", "the record's SHA-256 is not the key it was sent under")
    try:
        envelope = json.loads(data)
        fields, signature = envelope["r"], base64.b64decode(envelope["s"], validate=True)
        public = base64.b64decode(envelope["k"], validate=True)
        shaped = canonical(envelope) == data and isinstance(fields, dict)
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise BundleInvalid("record", f"not a result record: {exc}") from exc
    if not shaped:
        raise BundleInvalid("record", "not canonical JSON")
    if len(public) != 32 or not verify(public, signature, canonical(fields)):
        raise BundleInvalid("signature", "the record's signature does not verify")
    try:
        ok = fields["v"] == 1 and isinstance(fields["seq"], int) and fields["seq"] >= 1
        tps, ballot, training = str(fields["tps"]), str(fields["b"]), fields["tr"]
        counted = numbers(fields)
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleInvalid("record", f"record fields: {exc}") from exc
    if not ok:
        raise BundleInvalid("record", "unknown format or sequence")
    if not TPS_CODE.match(tps) or not BALLOT.match(ballot):
        raise BundleInvalid("identity", f"TPS {tps!r} / ballot {ballot!r} unusable")
    if not all(n is None or (type(n) is int and n >= 0) for n in counted.values()):
        raise BundleInvalid("record", "a number that is not a count")
    if training is not False and not accept_training:
        raise BundleInvalid("training", "a training (latihan) record was sent to production")
    return fields, public


def receive_record(collector: Collector, key: str, data: bytes) -> tuple[dict[str, Any], bool]:
    """(receipt, new) for ``data`` sent under ``key``; raise BundleInvalid (recorded)."""
    conn = store.connect(collector.db_path)
    try:
        existing = record_store.record_by_key(conn, key)
        if existing is not None:  # idempotent: what it stored the first time
            return existing.receipt(), False
        try:
            fields, public = check_record(key, data, collector.policy.accept_training)
            with store.write(conn):
                existing = record_store.record_by_key(conn, key)  # a concurrent PUT
                if existing is not None:
                    return existing.receipt(), False
                device = check_device(conn, fields["tps"], public, collector.policy.trust_first_use)
                stored = record_store.store_record(
                    conn, key, data, fields, device.fingerprint, store.utc_now()
                )
        except BundleInvalid as exc:
            log.warning("refused record %s: %s: %s", key[:12], exc.reason, exc.detail)
            with store.write(conn):
                store.record_rejection(conn, key, exc.reason, exc.detail, "record")
            raise
    finally:
        conn.close()
    log.info(
        "stored result record %s: TPS %s %s #%d%s",
        key[:12],
        stored.tps_code,
        stored.ballot,
        stored.seq,
        " (training)" if stored.training else "",
    )
    return stored.receipt(), True


def add_routes(app: FastAPI, collector: Collector) -> None:
    @app.put("/records/{key}")
    async def put_record(key: str, request: Request) -> JSONResponse:
        if not KEY.match(key):
            return JSONResponse({"detail": {"reason": "key", "detail": "bad key"}}, 422)
        data = await request.body()
        try:
            receipt, new = await run_in_threadpool(receive_record, collector, key, data)
        except BundleInvalid as exc:
            body = {"detail": {"reason": exc.reason, "detail": exc.detail}}
            return JSONResponse(body, status_code=422)
        return JSONResponse(receipt, status_code=201 if new else 200)

    @app.get("/records/{key}")
    def get_record(key: str) -> JSONResponse:
        conn = store.connect(collector.db_path)
        try:
            found = record_store.record_by_key(conn, key) if KEY.match(key) else None
        finally:
            conn.close()
        if found is None:
            return JSONResponse({"error": "unknown"}, status_code=404)
        return JSONResponse(found.receipt())
