"""The kiosk's own Ed25519 key: made on provisioning, signs manifests and audit exports.

The private key file is readable by the service user only (0600); the receiving side registers
the public key by its fingerprint, which the kiosk shows and prints.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.storage import write_durably

KEY_FILE = "device_key.pem"


def key_path(data_dir: Path) -> Path:
    return data_dir / KEY_FILE


def ensure_key(data_dir: Path) -> Ed25519PrivateKey:
    """Load the device key, making it first if there is none. Never replaces an existing key."""
    path = key_path(data_dir)
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_durably(path, pem, mode=0o600)
    return load_key(data_dir)


def load_key(data_dir: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(key_path(data_dir).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{key_path(data_dir)} is not an Ed25519 key")
    return key


def public_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(public_bytes(key)).decode()


def fingerprint(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, first 16 bytes as 8 groups of 4 hex digits (easy to read
    out over the phone): e.g. ``3F2A-91C0-...``."""
    digest = hashlib.sha256(public_bytes(key)).hexdigest().upper()[:32]
    return "-".join(digest[i : i + 4] for i in range(0, 32, 4))


def verify(public_raw: bytes, signature: bytes, data: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, data)
    except InvalidSignature:
        return False
    return True


def canonical(data: dict[str, Any]) -> bytes:
    """The bytes that are signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
