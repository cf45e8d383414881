"""The signed provisioning file: one TPS profile in a small JSON envelope.

    {"format": "tps-kiosk-provision/1", "tps": "6474010001005",
     "issued": "2024-01-20T09:30:00Z", "key": "3F2A-91C0-...",
     "profile": "<the whole profile TOML, PINs included>", "signature": "<base64>"}

``signature`` is Ed25519 (the provisioning key) over ``kiosk.devicekey.canonical`` of the five
other fields (sorted keys, no spaces, UTF-8). ``key`` is the signer's fingerprint, so the kiosk
picks the public key to check with; no other field is allowed.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.devicekey import canonical, fingerprint
from kiosk.profile import Profile, parse_profile

FORMAT = "tps-kiosk-provision/1"
FILE_NAME = "tps-kiosk-provision.json"  # in the root of the card's FAT partition
MAX_BYTES = 1024 * 1024  # a profile is a few KiB; anything this big is not ours
SIGNED_FIELDS = ("format", "tps", "issued", "key", "profile")


class EnvelopeError(ValueError):
    """The file is not a provisioning file, is damaged, or is not signed by a trusted key."""


@dataclass(frozen=True)
class Opened:
    """A provisioning file whose signature checked out against a trusted key."""

    tps: str
    issued: str
    signer: str  # fingerprint of the provisioning key
    profile_text: str


def seal(profile_text: str, tps: str, key: Ed25519PrivateKey, issued: dt.datetime) -> bytes:
    """The signed file's bytes (UTF-8 JSON, one field a line)."""
    fields: dict[str, Any] = {
        "format": FORMAT,
        "tps": tps,
        "issued": issued.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "key": fingerprint(key),
        "profile": profile_text,
    }
    fields["signature"] = base64.b64encode(key.sign(canonical(fields))).decode()
    return (json.dumps(fields, ensure_ascii=False, indent=1) + "\n").encode()


def read_fields(data: bytes) -> dict[str, str]:
    """The envelope's fields, checked for shape only (no signature check)."""
    if len(data) > MAX_BYTES:
        raise EnvelopeError(f"berkas terlalu besar ({len(data)} byte)")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        # RecursionError: json recurses once per [ or {; 1 MiB of them is far past its limit.
        raise EnvelopeError(f"bukan berkas provisioning JSON yang utuh ({exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise EnvelopeError(f'bukan berkas provisioning (format harus "{FORMAT}")')
    expected = {*SIGNED_FIELDS, "signature"}
    if set(doc) != expected:
        raise EnvelopeError(
            "kolom berkas tidak sesuai: "
            + ", ".join(sorted(set(doc) ^ expected, key=str))
            + " (berkas diubah?)"
        )
    if not all(isinstance(v, str) for v in doc.values()):
        raise EnvelopeError("setiap kolom berkas harus teks (berkas diubah?)")
    return doc


def open_envelope(data: bytes, trusted: Mapping[str, Ed25519PublicKey]) -> Opened:
    """Check the file's shape and signature; raise EnvelopeError saying what is wrong."""
    doc = read_fields(data)
    public = trusted.get(doc["key"])
    if public is None:
        raise EnvelopeError(
            f"ditandatangani kunci {doc['key']} yang tidak dipercaya kiosk ini "
            "(kunci publik kantor KPU tidak ada di image)"
        )
    try:
        signature = base64.b64decode(doc["signature"], validate=True)
        public.verify(signature, canonical({k: doc[k] for k in SIGNED_FIELDS}))
    except (binascii.Error, InvalidSignature) as exc:
        raise EnvelopeError("tanda tangan tidak cocok: berkas diubah atau rusak") from exc
    return Opened(doc["tps"], doc["issued"], doc["key"], doc["profile"])


def profile_of(opened: Opened) -> Profile:
    """The profile inside, validated as ``tps-kiosk provision`` would (ProfileError lists the
    problems); its TPS code must be the one the envelope names."""
    profile = parse_profile(opened.profile_text)
    if profile.identity.code != opened.tps:
        raise EnvelopeError(
            f"kode TPS berkas ({opened.tps}) tidak sama dengan profil ({profile.identity.code})"
        )
    return profile
