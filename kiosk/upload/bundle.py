"""The one file a signed document travels as: a bundle (zip) of its manifest and its PDF.

Both the upload queue (tus) and the USB export send bundles, and the collector reads them with
the same code, so a document is verified the same way whichever road it came by.

A bundle is a zip, stored (no compression: PNG in PDF is already compressed), with exactly two
members, ``manifest.json`` (the signed manifest file as the kiosk wrote it) and
``document.pdf``, and fixed timestamps: building it twice gives the same bytes and the same
SHA-256. Its **key** (idempotency key) is the SHA-256 of the signed manifest file, so every
copy of one document, by tus or by USB, carries the same key.

A USB export is a folder with the day's bundles and ``index.json``: the list of bundles (file,
key, SHA-256, ballot) signed with the device key.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.devicekey import canonical, fingerprint, public_bytes, verify
from kiosk.storage import write_durably

BUNDLE_FORMAT = "tps-kiosk-bundle/1"
EXPORT_FORMAT = "tps-kiosk-export/1"
MEMBERS = ("manifest.json", "document.pdf")
MAX_BUNDLE_BYTES = 200 * 1024 * 1024
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class BundleInvalid(ValueError):
    """A bundle or export that must not be accepted. ``reason`` is a short stable code
    (``not_a_bundle``, ``manifest``, ``signature``, ``pdf_hash``, ``metadata``, ``index``)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class BuiltBundle:
    path: Path
    key: str
    sha256: str
    size: int


@dataclass(frozen=True)
class OpenedBundle:
    """A bundle whose signature and PDF hash have been checked."""

    key: str
    sha256: str
    manifest: dict[str, Any]  # the signed manifest (TPS, ballot, pages, numbers, ...)
    public_key: bytes  # raw Ed25519 public key that signed it
    signature: str  # base64, as in the manifest file
    manifest_file: bytes
    pdf: bytes

    @property
    def tps_code(self) -> str:
        return str(self.manifest.get("tps_code", ""))

    @property
    def ballot(self) -> str:
        return str(self.manifest.get("ballot", ""))

    @property
    def training(self) -> bool:
        return bool(self.manifest.get("training"))

    @property
    def device(self) -> str:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        return fingerprint(Ed25519PublicKey.from_public_bytes(self.public_key))


def bundle_bytes(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in MEMBERS:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            zf.writestr(info, (folder / name).read_bytes())
    return buf.getvalue()


def build_bundle(folder: Path, out: Path) -> BuiltBundle:
    """Write the bundle of the document in ``folder`` to ``out`` (durably)."""
    data = bundle_bytes(folder)
    sha = write_durably(out, data)
    key = hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()
    return BuiltBundle(out, key, sha, len(data))


def open_bundle(data: bytes) -> OpenedBundle:
    """Check a bundle's shape, manifest signature and PDF hash; raise BundleInvalid."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleInvalid("not_a_bundle", f"{len(data)} bytes is too large")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = sorted(zf.namelist())
            if names != sorted(MEMBERS):
                raise BundleInvalid("not_a_bundle", f"members {names}")
            manifest_file = zf.read("manifest.json")
            pdf = zf.read("document.pdf")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise BundleInvalid("not_a_bundle", str(exc)) from exc
    try:
        signed = json.loads(manifest_file.decode("utf-8"))
        manifest = signed["manifest"]
        public = base64.b64decode(signed["public_key"], validate=True)
        signature = str(signed["signature"])
        if not isinstance(manifest, dict) or len(public) != 32:
            raise ValueError("manifest or key has the wrong shape")
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleInvalid("manifest", str(exc)) from exc
    try:
        good = verify(public, base64.b64decode(signature, validate=True), canonical(manifest))
    except ValueError:
        good = False
    if not good:
        raise BundleInvalid("signature", "the manifest signature does not match")
    pdf_entry = manifest.get("pdf")
    expected_pdf = pdf_entry.get("sha256") if isinstance(pdf_entry, dict) else None
    if hashlib.sha256(pdf).hexdigest() != expected_pdf:
        raise BundleInvalid("pdf_hash", "document.pdf is not the PDF the manifest signed")
    return OpenedBundle(
        key=hashlib.sha256(manifest_file).hexdigest(),
        sha256=hashlib.sha256(data).hexdigest(),
        manifest=manifest,
        public_key=public,
        signature=signature,
        manifest_file=manifest_file,
        pdf=pdf,
    )


def upload_metadata(
    bundle: BuiltBundle, manifest_file: bytes, audit_head: dict[str, Any] | None = None
) -> dict[str, str]:
    """The tus ``Upload-Metadata`` of a bundle: enough for a server to file it before opening
    it (TPS code, ballot type, sheets, SHA-256, the manifest signature, the idempotency key)
    and the kiosk's signed audit head (``audit_head``, JSON; by default the manifest's)."""
    signed = json.loads(manifest_file.decode("utf-8"))
    manifest = signed["manifest"]
    head = audit_head if audit_head is not None else manifest.get("audit_head")
    return {
        "filename": f"{manifest['tps_code']}-{manifest['ballot']}-{bundle.key[:12]}.zip",
        "filetype": "application/zip",
        "format": BUNDLE_FORMAT,
        "tps": str(manifest["tps_code"]),
        "ballot": str(manifest["ballot"]),
        "sheet": f"1-{len(manifest.get('pages', []))}",
        "sha256": bundle.sha256,
        "signature": str(signed["signature"]),
        "device": str(signed.get("device_key", "")),
        "key": bundle.key,
        "training": "1" if manifest.get("training") else "0",
    } | ({"audit_head": json.dumps(head, sort_keys=True, separators=(",", ":"))} if head else {})


def check_metadata(bundle: OpenedBundle, metadata: dict[str, str]) -> None:
    """The upload's metadata must describe this very bundle; raise BundleInvalid if not."""
    wanted = {
        "tps": bundle.tps_code,
        "ballot": bundle.ballot,
        "sha256": bundle.sha256,
        "key": bundle.key,
        "signature": bundle.signature,
    }
    wrong = sorted(k for k, v in wanted.items() if metadata.get(k) != v)
    if wrong:
        raise BundleInvalid("metadata", f"metadata does not match the bundle: {', '.join(wrong)}")


# USB export index ------------------------------------------------------------------------------
def sign_index(
    key: Ed25519PrivateKey, tps_code: str, created: str, bundles: list[dict[str, str]]
) -> bytes:
    """``index.json`` of a USB export: ``bundles`` items have file, key, sha256, ballot."""
    index = {"format": EXPORT_FORMAT, "tps_code": tps_code, "created": created, "bundles": bundles}
    signed = {
        "index": index,
        "signature": base64.b64encode(key.sign(canonical(index))).decode(),
        "public_key": base64.b64encode(public_bytes(key)).decode(),
    }
    return json.dumps(signed, ensure_ascii=False, indent=1).encode()


def open_index(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The index of a USB export and the public key that signed it; raise BundleInvalid."""
    try:
        signed = json.loads(data.decode("utf-8"))
        index = signed["index"]
        public = base64.b64decode(signed["public_key"], validate=True)
        signature = base64.b64decode(signed["signature"], validate=True)
        if index.get("format") != EXPORT_FORMAT or not isinstance(index.get("bundles"), list):
            raise ValueError("not a tps-kiosk export index")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BundleInvalid("index", str(exc)) from exc
    if len(public) != 32 or not verify(public, signature, canonical(index)):
        raise BundleInvalid("index", "the index signature does not match")
    return index, public
