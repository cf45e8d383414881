"""What a signed C.Hasil document is: one PDF of the kept pages and a manifest signed with the
device key.

The PDF is made with img2pdf from each page's rendition (kiosk.chasil.renditions: the JPEG
data goes in as it is, no re-encoding), so the PDF that travels, and whose SHA-256 every printed
copy's QR carries, holds exactly the renditions. The manifest names the TPS, the ballot, the
pages with the SHA-256 of both files of each (``sha256``/``archival``: the file kept on the
kiosk; ``rendition``: the image in the PDF, which the collector checks, and the turn the PDF
gives it to stand straight, ``straighten_centideg``; and the third reader's ``reading`` of it,
kiosk.chasil.readings), the confirmed numbers
and who confirmed them, the officers, times and the audit chain's signed head; it is signed with
the device key (kiosk.devicekey) over its canonical JSON. A page kept before renditions (a PNG)
goes into the PDF as it is, as its own rendition.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.chasil.pages import Page
from kiosk.chasil.refusals import DocumentCode
from kiosk.chasil.renditions import rendition_path
from kiosk.chasil.service import Confirmation
from kiosk.devicekey import canonical, fingerprint, public_bytes, verify
from kiosk.paper.pdf import images_pdf  # run in the paper child; tests patch it here
from kiosk.profile import Profile
from kiosk.refusals import Refused

MANIFEST_FORMAT = "tps-kiosk-manifest/2"  # /2: pages name their archival file and rendition


@dataclass(frozen=True)
class Document:
    id: int
    ballot: str
    folder: Path
    pdf_sha256: str
    pages: int
    training: bool

    @property
    def pdf(self) -> Path:
        return self.folder / "document.pdf"

    @property
    def manifest(self) -> Path:
        return self.folder / "manifest.json"

    @property
    def short_hash(self) -> str:
        return self.pdf_sha256[:12].upper()


def verify_manifest(path: Path, expected_public_key: bytes | None = None) -> dict[str, Any]:
    """The manifest inside a signed manifest file; raises ValueError if the signature fails."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    public = base64.b64decode(doc["public_key"])
    if expected_public_key is not None and public != expected_public_key:
        raise ValueError("signed by another device")
    if not verify(public, base64.b64decode(doc["signature"]), canonical(doc["manifest"])):
        raise ValueError("manifest signature does not match")
    manifest: dict[str, Any] = doc["manifest"]
    return manifest


def rendition_file(archival: Path) -> Path:
    """The rendition of a kept page: the file beside ``archival``, or for a page kept before
    renditions (a PNG) the page itself."""
    path = rendition_path(archival)
    return path if path.exists() else archival


def page_rendition(archival: Path) -> tuple[Path, bytes]:
    """``rendition_file`` and its bytes (read once: hashed and put into the PDF)."""
    path = rendition_file(archival)
    return path, path.read_bytes()


def _media_type(path: Path) -> str:
    return {".jpg": "image/jpeg", ".png": "image/png"}.get(path.suffix, "application/octet-stream")


@dataclass(frozen=True)
class Signed:
    """A document made but not yet kept: its files' bytes and hashes."""

    pdf: bytes
    pdf_sha256: str
    manifest: dict[str, Any]  # as signed
    manifest_file: bytes  # the signed manifest file (manifest, signature, public key)
    manifest_sha256: str

    def same_as(self, kept_manifest: dict[str, Any]) -> bool:
        """Whether a kept manifest is this very document, made a moment ago. Compared without
        the audit head, which the first document's own audit row has moved on."""
        unheaded = canonical({**self.manifest, "audit_head": None})
        return canonical({**kept_manifest, "audit_head": None}) == unheaded


def sign(
    profile: Profile,
    ballot: str,
    pages: Sequence[Page],
    confirmed: Confirmation,
    key: Ed25519PrivateKey,
    made_by: str,
    training: bool,
    now: dt.datetime,
    audit_head: dict[str, Any] | None,
    readings: Mapping[int, dict[str, Any]] | None = None,
) -> Signed:
    """The document of ``ballot``'s kept ``pages`` with the numbers the Ketua ``confirmed``,
    signed with ``key``. ``readings``: each page's reading by page id (kiosk.chasil.readings
    ``for_manifest``); a page without one carries none. The field is optional, so the format
    stays /2: the collector and older readers pass it over."""
    from kiosk.render_worker import RenderChildLost, run

    renditions = [page_rendition(p.path) for p in pages]
    try:
        pdf = run(
            images_pdf,
            [data for _, data in renditions],
            [p.straighten_centideg for p in pages],
            now.replace(microsecond=0),
        )
    except RenderChildLost:  # no printer was involved: say what stopped, the pages stay
        raise Refused(DocumentCode.PDF_INTERRUPTED) from None
    pdf_sha = hashlib.sha256(pdf).hexdigest()
    tps = profile.identity
    manifest = {
        "format": MANIFEST_FORMAT,
        "tps_code": tps.code,
        "village": tps.village,
        "district": tps.district,
        "regency": tps.regency,
        "province": tps.province,
        "election": profile.election,
        "ballot": ballot,
        "training": training,
        "created": now.isoformat(timespec="seconds"),
        "pdf": {"file": "document.pdf", "sha256": pdf_sha},
        "pages": [
            {
                "position": n,
                "sha256": p.sha256,  # the archival file's, as in format /1
                "archival": {"sha256": p.sha256, "media_type": _media_type(p.path)},
                "rendition": {
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "media_type": _media_type(path),
                    "bytes": len(data),
                    "straighten_centideg": p.straighten_centideg,
                },
                "form": p.form,  # the form model its printed title names ("" if not read)
                "scanned_by": p.officer_id,
                "scanned": p.created_wall,
                **({"reading": readings[p.id]} if readings and p.id in readings else {}),
            }
            for n, (p, (path, data)) in enumerate(zip(pages, renditions, strict=True), start=1)
        ],
        "numbers": confirmed.numbers,
        "confirmed": confirmed.as_manifest(),
        "made_by": made_by,
        # The audit chain's signed head now (kiosk.audit_head): receivers keep it.
        "audit_head": audit_head,
    }
    signed = {
        "manifest": manifest,
        "signature": base64.b64encode(key.sign(canonical(manifest))).decode(),
        "public_key": base64.b64encode(public_bytes(key)).decode(),
        "device_key": fingerprint(key),
    }
    manifest_file = json.dumps(signed, ensure_ascii=False, indent=1).encode()
    return Signed(pdf, pdf_sha, manifest, manifest_file, hashlib.sha256(manifest_file).hexdigest())
