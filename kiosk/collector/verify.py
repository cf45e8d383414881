"""What a bundle must be before the collector stores it (the device key is ``registry``'s).

Every refusal is a ``BundleInvalid`` with a short stable ``reason``: bundle.py's own
(``not_a_bundle``, ``manifest``, ``signature``, ``pdf_hash``, ``metadata``, ``index``) and the
collector's: ``identity`` (TPS code or ballot unusable), ``training`` (a training bundle sent to
a production collector), ``bundle_hash`` (a USB file that is not the one its index lists),
``device_unregistered`` and ``device_mismatch`` (see registry.py), and ``page_hash`` (the
PDF's page images are not the renditions the manifest names, format /2).
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from kiosk.collector.config import Policy
from kiosk.collector.registry import TPS_CODE
from kiosk.upload.bundle import BundleInvalid, OpenedBundle, open_bundle

BALLOT = re.compile(r"^[A-Za-z0-9_-]{1,32}$")  # PPWP, DPRD_PROV, GUBERNUR, ...
KEY = re.compile(r"^[0-9a-f]{64}$")


def check_bundle(
    data: bytes, policy: Policy, check: Callable[[OpenedBundle], None] | None = None
) -> OpenedBundle:
    """Open ``data`` (shape, signature, PDF hash), run the route's own ``check`` (tus: the
    upload metadata; USB: the index entry), then the collector's rules."""
    opened = open_bundle(data)
    if check is not None:
        check(opened)
    # TPS code and ballot name folders on disk, so they must be plain names.
    if not TPS_CODE.match(opened.tps_code):
        raise BundleInvalid("identity", f"TPS code {opened.tps_code!r} is not 13 digits")
    if not BALLOT.match(opened.ballot):
        raise BundleInvalid("identity", f"ballot {opened.ballot!r} is not a ballot type")
    check_renditions(opened)
    if opened.training and not policy.accept_training:
        raise BundleInvalid(
            "training", "a training (latihan) document was sent to a production collector"
        )
    return opened


def page_images(pdf: bytes) -> list[list[bytes]]:
    """The image streams of each page of ``pdf`` as stored (a JPEG's own bytes for
    DCTDecode, which img2pdf embeds unchanged)."""
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources: Any = page["/Resources"].get_object() if "/Resources" in page else {}
        xobjects: Any = resources["/XObject"].get_object() if "/XObject" in resources else {}
        found = []
        for name in xobjects:
            obj = xobjects[name].get_object()
            if obj.get("/Subtype") == "/Image":
                found.append(bytes(obj._data))  # raw, not decoded: what the manifest hashed
        pages.append(found)
    return pages


def check_renditions(opened: OpenedBundle) -> None:
    """A manifest that names each page's rendition (format /2) must describe its PDF: one
    page per page, each page's one image being that rendition, byte for byte. Then a rendition
    or archival file shown later (the kiosk's, a USB copy) can be matched to this document."""
    named = [p.get("rendition") for p in opened.manifest.get("pages", [])]
    if not any(isinstance(r, dict) for r in named):
        return  # format /1: the PDF hash is all there is to check
    try:
        images = page_images(opened.pdf)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BundleInvalid("page_hash", f"document.pdf cannot be read: {exc}") from exc
    if len(images) != len(named):
        raise BundleInvalid(
            "page_hash", f"the manifest names {len(named)} pages, the PDF has {len(images)}"
        )
    for n, (rendition, found) in enumerate(zip(named, images, strict=True), start=1):
        want = rendition.get("sha256") if isinstance(rendition, dict) else None
        if [hashlib.sha256(data).hexdigest() for data in found] != [want]:
            raise BundleInvalid("page_hash", f"page {n} is not the rendition the manifest names")
