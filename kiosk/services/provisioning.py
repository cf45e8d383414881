"""Install a TPS profile: validate it whole, keep it without PINs, load the officer roster and
make the device key. A refused profile changes nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from kiosk.audit import AuditLog, Event
from kiosk.db import Database
from kiosk.devicekey import ensure_key, fingerprint
from kiosk.integrity import write_marker
from kiosk.profile import Profile, ProfileError, parse_profile, read_profile, without_pins
from kiosk.services.auth import hash_pin
from kiosk.storage import write_durably

PROFILE_FILE = "profile.toml"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Provisioned:
    profile: Profile
    fingerprint: str


def installed_profile(data_dir: Path) -> Profile | None:
    """The installed profile; None when there is none or it is unreadable (logged)."""
    path = data_dir / PROFILE_FILE
    if not path.exists():
        return None
    try:
        return parse_profile(read_profile(path), installed=True)
    except ProfileError as exc:
        log.error("installed profile %s is unusable: %s", path, exc)
        return None


def provision(
    db: Database, audit: AuditLog, data_dir: Path, text: str, by: str = "teknisi"
) -> Provisioned:
    """Validate and install; raises ProfileError (nothing changed) on any problem."""
    profile = parse_profile(text)
    key = ensure_key(data_dir)
    known_cards = {r["id"]: r["card_uid"] for r in db.read("SELECT id, card_uid FROM officer")}
    hashes = {o.id: hash_pin(o.pin or "") for o in profile.officers}
    with db.write() as conn:
        conn.execute(
            "UPDATE login_session SET ended = strftime('%s','now'),"
            " end_reason = 'reprovisioned' WHERE ended IS NULL"
        )
        for gone in set(known_cards) - {o.id for o in profile.officers}:
            conn.execute("DELETE FROM officer WHERE id = ?", (gone,))
        for o in profile.officers:
            # A card enrolled on the screen survives a new profile that names no card.
            uid = o.card_uid or known_cards.get(o.id)
            conn.execute(
                "INSERT INTO officer (id, name, role, pin_hash, card_uid) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET name = excluded.name, role = excluded.role,"
                " pin_hash = excluded.pin_hash, card_uid = excluded.card_uid,"
                " failed_attempts = 0, lockouts = 0, locked_until = 0",
                (o.id, o.name, o.role.value, hashes[o.id], uid),
            )
    write_durably(data_dir / PROFILE_FILE, without_pins(text).encode("utf-8"))
    fp = fingerprint(key)
    # From now on a missing or emptied database next to this data is a fault, not a new kiosk.
    write_marker(data_dir, profile.identity.code, fp, db)
    audit.record(
        Event.PROVISIONED,
        officer=by,
        tps=profile.identity.code,
        officers=len(profile.officers),
        device_key=fp,
    )
    return Provisioned(profile, fp)
