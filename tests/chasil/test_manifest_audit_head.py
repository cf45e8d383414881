"""Every signed document carries the audit chain's signed head of its time, and its upload
metadata too, so whoever receives the document holds the kiosk's history head."""

from __future__ import annotations

import json

from kiosk import audit_head
from kiosk.devicekey import ensure_key, public_bytes
from kiosk.upload.bundle import build_bundle, open_bundle, upload_metadata
from tests.upload.docs import _Login, noise_page, provisioned


def _store(tmp_path):
    data = tmp_path / "data"
    kiosk = provisioned(data)
    return kiosk.service, kiosk.audit, data


def test_the_signed_manifest_and_the_upload_carry_the_audit_head(tmp_path):
    store, audit, data = _store(tmp_path)
    key = ensure_key(data)
    store.scans.keep("PPWP", noise_page(1, 200), _Login(), None, "")
    before = audit.head()
    doc = store.finish("PPWP", _Login())
    manifest = json.loads(doc.manifest.read_text())["manifest"]
    head = audit_head.SignedHead.from_json(manifest["audit_head"])
    assert head == before and head.valid(public_bytes(key))
    assert audit.verify() is None  # the manifest's head is a prefix of the log

    built = build_bundle(doc.folder, tmp_path / "b.zip")
    assert open_bundle(built.path.read_bytes()).manifest["audit_head"] == head.as_json()
    meta = upload_metadata(built, doc.manifest.read_bytes())
    assert json.loads(meta["audit_head"]) == head.as_json()


def test_finish_tapped_twice_in_one_second_is_still_one_document(tmp_path):
    """The first tap's own audit row moves the head on; the second tap is the same document."""
    store, _, _data = _store(tmp_path)
    store.scans.keep("PPWP", noise_page(2, 200), _Login(), None, "")
    first = store.finish("PPWP", _Login())
    second = store.finish("PPWP", _Login())
    assert second.id == first.id
    assert len(store.documents("PPWP")) == 1
