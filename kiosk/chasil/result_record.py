"""The result record: a ballot's confirmed numbers, signed at the Ketua's confirmation and sent
ahead of any scan (issue 17, "the numbers go first").

A record is at most ``MAX_RECORD_BYTES`` (2 KB), so it reaches the collector in one small
request even over EDGE, long before the document's pages. Its bytes are the canonical JSON
(kiosk.devicekey.canonical: sorted keys, no spaces, UTF-8) of ``{"r": record, "s": signature,
"k": public key}``, the signature an Ed25519 one over the canonical record, as for the signed
manifest. Its **key** is the SHA-256 of those bytes.

The record's fields (short names keep the largest real ballot under 2 KB):

``v`` format 1 · ``tps`` TPS code · ``b`` ballot type · ``seq`` 1, 2, ... per ballot: a
re-confirmation after a correction is a new record that supersedes the ones before it ·
``prev`` the key of the record it supersedes ("" for the first) · ``n`` every number of the
sheet in the order of ``kiosk.chasil.checks.Sheet.all_boxes`` (null for an empty box) and
its shape: ``c`` candidate count, or ``p`` the candidate count of each party (``x``: any box
outside that order, by name) · ``h`` SHA-256
of the canonical ``{box: number}`` object, the very ``numbers`` the document's manifest will
carry · ``w`` the rules that warned · ``note`` the kejadian khusus note (``nt``: 1 when it was
cut to fit; the document carries it whole) · ``by`` who confirmed (id, name, role) · ``at``
when, on the TPS's clock with its offset, ``z`` its zone · ``tr`` the training flag.

The document does not exist at confirmation (the pages are scanned after it), so the record
cannot carry its hash; the link goes the other way: the document's signed manifest carries
this record's key in its ``confirmed`` block (``Confirmation.as_manifest``), and ``h`` lets
anyone holding only the record check that a document's numbers are the confirmed ones.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.chasil.checks import Sheet
from kiosk.devicekey import canonical, public_bytes

FORMAT = 1
MAX_RECORD_BYTES = 2048


@dataclass(frozen=True)
class Confirmed:
    """What the Ketua confirmed, as the record states it."""

    tps_code: str
    sheet: Sheet
    warnings: Sequence[int]
    note: str
    officer_id: str
    officer_name: str
    role: str
    at: str  # ISO 8601 on the TPS's clock, with its offset
    zone: str
    training: bool


@dataclass(frozen=True)
class SignedRecord:
    key: str  # SHA-256 of ``data``
    data: bytes  # what travels: the canonical signed record
    ballot: str
    seq: int

    @property
    def size(self) -> int:
        return len(self.data)


def numbers_hash(numbers: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical ``{box: number}`` object (the manifest's ``numbers``)."""
    return hashlib.sha256(canonical(dict(numbers))).hexdigest()


def _shape(sheet: Sheet) -> dict[str, Any]:
    return {"p": list(sheet.parties)} if sheet.parties else {"c": sheet.candidates}


def _fields(c: Confirmed, seq: int, prev: str, note: str, cut: bool) -> dict[str, Any]:
    sheet = c.sheet
    order = sheet.all_boxes()
    record: dict[str, Any] = {
        "v": FORMAT,
        "tps": c.tps_code,
        "b": sheet.ballot,
        "seq": seq,
        "prev": prev,
        "n": [sheet.get(box) for box in order],
        **_shape(sheet),
        "h": numbers_hash(sheet.boxes),
        "w": sorted(set(c.warnings)),
        "note": note,
        "by": {"id": c.officer_id, "name": c.officer_name, "role": c.role},
        "at": c.at,
        "z": c.zone,
        "tr": c.training,
    }
    if extra := {box: n for box, n in sheet.boxes.items() if box not in set(order)}:
        record["x"] = extra  # a box the sheet's shape does not name: kept, never dropped
    if cut:
        record["nt"] = 1
    return record


def _envelope(record: dict[str, Any], key: Ed25519PrivateKey) -> bytes:
    return canonical(
        {
            "r": record,
            "s": base64.b64encode(key.sign(canonical(record))).decode(),
            "k": base64.b64encode(public_bytes(key)).decode(),
        }
    )


def sign_record(c: Confirmed, seq: int, prev: str, key: Ed25519PrivateKey) -> SignedRecord:
    """The signed record of confirmation ``c``, the ``seq``-th of its ballot. A note too long
    for 2 KB is cut (at a character boundary) and marked ``nt``; the numbers never are."""
    note = c.note
    data = _envelope(_fields(c, seq, prev, note, False), key)
    if len(data) > MAX_RECORD_BYTES and note:
        encoded = note.encode()
        room = max(0, len(encoded) - (len(data) - MAX_RECORD_BYTES) - 16)
        note = encoded[:room].decode("utf-8", "ignore")
        data = _envelope(_fields(c, seq, prev, note, True), key)
    return SignedRecord(hashlib.sha256(data).hexdigest(), data, c.sheet.ballot, seq)


def record_fields(data: bytes) -> dict[str, Any]:
    """The record inside signed record bytes (unverified: the collector verifies)."""
    fields: dict[str, Any] = json.loads(data)["r"]
    return fields
