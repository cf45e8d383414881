"""What a bundle must be before the collector stores it (the device key is ``registry``'s).

Every refusal is a ``BundleInvalid`` with a short stable ``reason``: bundle.py's own
(``not_a_bundle``, ``manifest``, ``signature``, ``pdf_hash``, ``metadata``, ``index``) and the
collector's: ``identity`` (TPS code or ballot unusable), ``training`` (a training bundle sent to
a production collector), ``bundle_hash`` (a USB file that is not the one its index lists),
``device_unregistered`` and ``device_mismatch`` (see registry.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable

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
    if opened.training and not policy.accept_training:
        raise BundleInvalid(
            "training", "a training (latihan) document was sent to a production collector"
        )
    return opened
