"""The provisioning key: the KPU kabupaten/kota office's Ed25519 key that signs provisioning files.

The private key stays on the technician's PC (PKCS#8 PEM, mode 0600). Its public half is a PEM
SubjectPublicKeyInfo file (``*.pub``) baked into the SD image under
``/etc/tps-kiosk/provisioning-keys/``; keys are named by the same fingerprint as device keys
(``kiosk.devicekey.fingerprint``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.devicekey import fingerprint
from kiosk.storage import write_durably

PUB_SUFFIX = ".pub"
# Where the image keeps the trusted keys: the kiosk's setting ``provisioning_keys`` defaults to
# the same folder (a test keeps the two equal; the fleet tool does not load kiosk settings).
IMAGE_KEYS_DIR = Path("/etc/tps-kiosk/provisioning-keys")

log = logging.getLogger(__name__)


class ProvisioningKeyError(ValueError):
    """A key file is missing, unreadable or not an Ed25519 key (message for the technician)."""


@dataclass(frozen=True)
class TrustedKeys:
    """Public keys by fingerprint, and the key files that could not be used (with why)."""

    keys: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()


def public_path(private_path: Path) -> Path:
    """``kpu-kota.pem`` -> ``kpu-kota.pub``."""
    return private_path.with_suffix(PUB_SUFFIX)


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def generate(private_path: Path) -> tuple[Ed25519PrivateKey, Path]:
    """Make a new key: the private PEM (0600) and its ``.pub`` beside it. Never overwrites a
    key file, since losing the office key means re-signing every card."""
    pub = public_path(private_path)
    for path in (private_path, pub):
        if path.exists():
            raise ProvisioningKeyError(f"{path} sudah ada; kunci lama tidak ditimpa")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_durably(private_path, pem, mode=0o600)
    write_durably(pub, public_pem(key), mode=0o644)
    return key, pub


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise ProvisioningKeyError(f"{path}: tidak bisa dibaca ({exc.strerror})") from exc
    except (ValueError, TypeError) as exc:
        raise ProvisioningKeyError(f"{path}: bukan kunci privat PEM tanpa sandi") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ProvisioningKeyError(f"{path}: bukan kunci Ed25519")
    if path.stat().st_mode & 0o077:
        log.warning("%s can be read by other users; chmod 600 it", path)
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as exc:
        raise ProvisioningKeyError(f"{path}: tidak bisa dibaca ({exc.strerror})") from exc
    except ValueError as exc:
        raise ProvisioningKeyError(f"{path}: bukan kunci publik PEM") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ProvisioningKeyError(f"{path}: bukan kunci Ed25519")
    return key


def load_trusted(source: Path) -> TrustedKeys:
    """The keys in ``source``: one ``.pub`` file, or every ``*.pub`` in a folder. In a folder a
    bad file is skipped (and reported) so one broken key does not lock out the others; a single
    named file that is bad raises ProvisioningKeyError."""
    if source.is_file():
        key = load_public(source)
        return TrustedKeys({fingerprint(key): key})
    if not source.is_dir():
        raise ProvisioningKeyError(f"{source}: tidak ada berkas atau folder kunci publik")
    keys: dict[str, Ed25519PublicKey] = {}
    skipped = []
    for path in sorted(source.glob(f"*{PUB_SUFFIX}")):
        try:
            key = load_public(path)
        except ProvisioningKeyError as exc:
            skipped.append(str(exc))
            continue
        keys[fingerprint(key)] = key
    return TrustedKeys(keys, tuple(skipped))
