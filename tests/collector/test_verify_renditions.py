"""The collector checks that a signed manifest of format /2 describes its PDF: each page's one
image is the rendition the manifest names (kiosk.collector.verify.check_renditions)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from pathlib import Path

import img2pdf
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image, ImageDraw

from kiosk.chasil.pages import Page
from kiosk.chasil.renditions import archival_jpeg, rendition_jpeg, rendition_path
from kiosk.chasil.service import Confirmation
from kiosk.chasil.signing import sign
from kiosk.collector.config import Policy
from kiosk.collector.verify import check_bundle
from kiosk.devicekey import canonical, public_bytes
from kiosk.profile import parse_profile
from kiosk.tps import SAMPLE_PROFILE
from kiosk.upload.bundle import BundleInvalid, bundle_bytes

NOW = dt.datetime(2024, 2, 14, 15, 0, tzinfo=dt.UTC)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _pages(folder: Path, count: int) -> list[Page]:
    pages = []
    for n in range(count):
        img = Image.new("L", (300, 420), 235)
        ImageDraw.Draw(img).text((40, 40 + 30 * n), f"halaman {n + 1}", fill=20)
        path = folder / f"page-{n}.jpg"
        path.write_bytes(archival_jpeg(img, 300))
        rendition_path(path).write_bytes(rendition_jpeg(img, 300))
        pages.append(Page(n + 1, "PPWP", n + 1, path, "ab" * 32, "kpps1", NOW.isoformat(), ""))
    return pages


def _bundle(folder: Path, manifest_file: bytes, pdf: bytes) -> bytes:
    (folder / "manifest.json").write_bytes(manifest_file)
    (folder / "document.pdf").write_bytes(pdf)
    return bundle_bytes(folder)


def _signed(tmp_path: Path, key: Ed25519PrivateKey, pages: int = 2):
    confirmed = Confirmation({}, "kpps1", "Siti", "ketua", NOW.isoformat(), "WITA", "", [], "")
    profile = parse_profile(SAMPLE_PROFILE.read_text())
    kept = _pages(tmp_path, pages)
    return kept, sign(profile, "PPWP", kept, confirmed, key, "kpps1", True, NOW, None)


def _resigned(manifest: dict, key: Ed25519PrivateKey, pdf: bytes) -> bytes:
    """The manifest with the PDF hash of ``pdf``, signed again by the device key: the signature
    and the PDF hash hold, only the pages do not match."""
    manifest = {**manifest, "pdf": {"file": "document.pdf", "sha256": _sha(pdf)}}
    signed = {
        "manifest": manifest,
        "signature": base64.b64encode(key.sign(canonical(manifest))).decode(),
        "public_key": base64.b64encode(public_bytes(key)).decode(),
    }
    return json.dumps(signed).encode()


def test_a_document_made_of_its_renditions_is_accepted(tmp_path):
    key = Ed25519PrivateKey.generate()
    _, made = _signed(tmp_path, key)
    opened = check_bundle(_bundle(tmp_path, made.manifest_file, made.pdf), Policy(True))
    assert len(opened.manifest["pages"]) == 2


@pytest.mark.parametrize("change", ["swapped", "missing", "other_image"])
def test_a_pdf_that_is_not_the_named_renditions_is_refused(tmp_path, change):
    key = Ed25519PrivateKey.generate()
    kept, made = _signed(tmp_path, key)
    first, second = (rendition_path(p.path).read_bytes() for p in kept)
    images = {
        "swapped": [second, first],
        "missing": [first],
        "other_image": [first, kept[1].path.read_bytes()],  # the archival file, not the rendition
    }[change]
    pdf = img2pdf.convert(images)
    data = _bundle(tmp_path, _resigned(made.manifest, key, pdf), pdf)
    with pytest.raises(BundleInvalid) as refused:
        check_bundle(data, Policy(True))
    assert refused.value.reason == "page_hash"
