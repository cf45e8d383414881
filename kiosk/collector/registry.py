"""Which device keys may send documents for which TPS.

A technician registers each kiosk's public key (shown and printed by the kiosk, with its
fingerprint) for the kiosk's TPS code; a replacement kiosk is registered beside the old one.
With trust on first use the first key that arrives for an unknown TPS is registered
automatically (and logged), so a trial needs no paperwork; a different key for a TPS that
already has one is still refused.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.collector import store
from kiosk.collector.config import Collector
from kiosk.devicekey import fingerprint
from kiosk.upload.bundle import BundleInvalid

log = logging.getLogger(__name__)

# 10-digit village code + 3-digit TPS number; [0-9] as \d also takes full-width and Arabic-Indic
# digits, and \Z as $ also matches before a final newline.
TPS_CODE = re.compile(r"[0-9]{13}\Z")


@dataclass(frozen=True)
class Device:
    tps_code: str
    public_key: str  # raw Ed25519 key, base64
    fingerprint: str
    registered: str  # UTC, ISO 8601
    how: str  # manual | first_use


def parse_public_key(public_key_b64: str) -> bytes:
    """The raw 32-byte key from its base64 text; ValueError if it is not one."""
    try:
        raw = base64.b64decode(public_key_b64.strip(), validate=True)
    except binascii.Error as exc:
        raise ValueError(f"public key is not base64: {exc}") from exc
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key has 32 bytes, not {len(raw)}")
    return raw


def register(
    conn: sqlite3.Connection, tps_code: str, public_raw: bytes, how: str = "manual"
) -> Device:
    """Register ``public_raw`` for ``tps_code`` (idempotent). Call inside ``store.write``."""
    if not TPS_CODE.match(tps_code):
        raise ValueError(f"a TPS code has 13 digits, not {tps_code!r}")
    public_b64 = base64.b64encode(public_raw).decode()
    conn.execute(
        "INSERT OR IGNORE INTO devices (tps_code, public_key, fingerprint, registered, how)"
        " VALUES (?, ?, ?, ?, ?)",
        (tps_code, public_b64, _fingerprint(public_raw), store.utc_now(), how),
    )
    found = [d for d in devices(conn, tps_code) if d.public_key == public_b64]
    assert len(found) == 1
    return found[0]


def register_key(data_dir: Path, tps_code: str, public_key_b64: str) -> Device:
    """Register a kiosk's key in the collector at ``data_dir`` (the ``register`` command)."""
    raw = parse_public_key(public_key_b64)
    conn = store.connect(Collector(data_dir).db_path)
    try:
        with store.write(conn):
            device = register(conn, tps_code, raw)
    finally:
        conn.close()
    log.info("registered key %s for TPS %s", device.fingerprint, tps_code)
    return device


def devices(conn: sqlite3.Connection, tps_code: str | None = None) -> list[Device]:
    if tps_code is None:
        rows = conn.execute("SELECT * FROM devices ORDER BY tps_code, registered").fetchall()
    else:
        rows = conn.execute(
            "SELECT * FROM devices WHERE tps_code = ? ORDER BY registered", (tps_code,)
        ).fetchall()
    return [
        Device(r["tps_code"], r["public_key"], r["fingerprint"], r["registered"], r["how"])
        for r in rows
    ]


def check_device(
    conn: sqlite3.Connection, tps_code: str, public_raw: bytes, trust_first_use: bool
) -> Device:
    """The registration that lets ``public_raw`` send for ``tps_code``; raise BundleInvalid
    (``device_unregistered`` / ``device_mismatch``) if there is none. Call inside
    ``store.write`` so a first-use registration commits with the document it came with."""
    known = devices(conn, tps_code)
    public_b64 = base64.b64encode(public_raw).decode()
    for device in known:
        if device.public_key == public_b64:
            return device
    if known:
        raise BundleInvalid(
            "device_mismatch",
            f"key {_fingerprint(public_raw)} is not registered for TPS {tps_code}"
            f" (registered: {', '.join(d.fingerprint for d in known)})",
        )
    if not trust_first_use:
        raise BundleInvalid(
            "device_unregistered",
            f"TPS {tps_code} has no registered device key (this one: {_fingerprint(public_raw)})",
        )
    device = register(conn, tps_code, public_raw, how="first_use")
    log.warning("trust on first use: registered key %s for TPS %s", device.fingerprint, tps_code)
    return device


def _fingerprint(public_raw: bytes) -> str:
    return fingerprint(Ed25519PublicKey.from_public_bytes(public_raw))
