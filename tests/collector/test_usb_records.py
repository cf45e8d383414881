# ruff: noqa: F811  (the kiosk fixture shares its name with the package)
"""Result records on a USB drive: the kiosk's export carries every record not yet sent, and
the collector's import stores each exactly once with the checks of ``PUT /records/<key>``."""

from __future__ import annotations

import json
from pathlib import Path

from kiosk.collector.config import Collector, Policy
from kiosk.collector.records import receive_record
from kiosk.collector.registry import register_key
from kiosk.collector.usb_import import import_export
from kiosk.devicekey import ensure_key, public_b64
from kiosk.upload.bundle import sign_index
from tests.kiosk.conftest import app, kiosk, settings  # noqa: F401  (shared fixtures)
from tests.upload.records import collector_records, confirm, kiosk_records

TPS = "6474010001005"  # the sample profile's TPS


def _collector(tmp_path: Path, kiosk) -> Collector:
    collector = Collector(tmp_path / "collector", Policy(accept_training=True))
    register_key(collector.data_dir, TPS, public_b64(ensure_key(kiosk.core.data_dir)))
    return collector


def _index(folder: Path) -> dict:
    return json.loads((folder / "index.json").read_text())["index"]


def test_the_export_carries_unsent_records_and_the_import_stores_each_once(kiosk, tmp_path):
    keys = [confirm(kiosk, "PPWP"), confirm(kiosk, "DPR")]
    done = kiosk.services.queue.export(tmp_path / "usb", "teknisi")
    assert (done.bundles, done.records) == (0, 2)
    entries = _index(done.folder)["bundles"]
    assert [(e["kind"], e["key"], e["ballot"]) for e in entries] == [
        ("record", keys[0], "PPWP"),
        ("record", keys[1], "DPR"),
    ]
    rows = {r["key"]: bytes(r["data"]) for r in kiosk_records(kiosk.core.data_dir)}
    for entry in entries:
        assert (done.folder / entry["file"]).read_bytes() == rows[entry["key"]]

    collector = _collector(tmp_path, kiosk)
    first = import_export(collector, done.folder)
    again = import_export(collector, done.folder)

    assert [(r.status, r.key) for r in first] == [("accepted", k) for k in keys]
    assert [r.status for r in again] == ["duplicate", "duplicate"]
    assert [r.record for r in again] == [r.record for r in first]
    stored = collector_records(collector.data_dir)
    assert sorted(r["key"] for r in stored) == sorted(keys)
    # The kiosk's PUT when the network returns gets the same receipt: delivered once.
    receipt, new = receive_record(collector, keys[0], rows[keys[0]])
    assert not new and receipt == first[0].record


def test_a_sent_record_is_not_exported_again(kiosk, tmp_path):
    confirm(kiosk, "PPWP")
    with kiosk.core.db.write() as conn:
        conn.execute("UPDATE result_record SET state = 'sent'")
    later = confirm(kiosk, "DPD")
    done = kiosk.services.queue.export(tmp_path / "usb", "teknisi")
    assert [e["key"] for e in _index(done.folder)["bundles"]] == [later]


def test_a_record_that_is_not_what_the_signed_index_lists_is_rejected(kiosk, tmp_path):
    ppwp, dpr = confirm(kiosk, "PPWP"), confirm(kiosk, "DPR")
    done = kiosk.services.queue.export(tmp_path / "usb", "teknisi")
    entries = _index(done.folder)["bundles"]
    # A changed record: its bytes are no longer its key.
    (done.folder / entries[0]["file"]).write_text("{}")
    # A good record of this kiosk listed under another ballot, in an index it signed.
    entries[1]["ballot"] = "DPD"
    index = sign_index(ensure_key(kiosk.core.data_dir), TPS, "2024-02-14T15:00:00", entries)
    (done.folder / "index.json").write_bytes(index)

    results = import_export(_collector(tmp_path, kiosk), done.folder)

    assert [(r.status, r.reason, r.key) for r in results] == [
        ("rejected", "key", ppwp),
        ("rejected", "index", dpr),
    ]
    assert collector_records(tmp_path / "collector") == []
