"""USB exports: imported with the same checks and the same idempotent store as tus uploads."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from tusclient.client import TusClient

from kiosk.collector import store
from kiosk.collector.config import Collector, Policy
from kiosk.collector.intake import receive
from kiosk.collector.registry import register_key
from kiosk.collector.usb_import import import_export
from kiosk.upload.bundle import BundleInvalid, sign_index
from tests.collector.bundles import TestKiosk
from tests.stacks.collector import CollectorProcess, run_collector_cli


@pytest.fixture
def kiosk(tmp_path: Path) -> TestKiosk:
    return TestKiosk(tmp_path / "kiosk")


@pytest.fixture
def collector_dir(tmp_path: Path, kiosk: TestKiosk) -> Collector:
    """A production collector's data folder (no server needed), with the kiosk registered."""
    collector = Collector(tmp_path / "collector")
    register_key(collector.data_dir, kiosk.tps_code, kiosk.public_key)
    return collector


def _documents(collector: Collector) -> list[store.StoredDocument]:
    conn = store.connect(collector.db_path)
    try:
        return store.documents(conn)
    finally:
        conn.close()


def test_an_export_is_imported_once(
    collector_dir: Collector, kiosk: TestKiosk, tmp_path: Path
) -> None:
    docs = [kiosk.document("PPWP"), kiosk.document("DPR")]
    export = kiosk.export(tmp_path / "usb", docs)

    first = import_export(collector_dir, export)
    again = import_export(collector_dir, export)

    assert [(r.status, r.key) for r in first] == [("accepted", d.key) for d in docs]
    assert [r.status for r in again] == ["duplicate", "duplicate"]
    assert [r.receipt for r in again] == [r.receipt for r in first]
    assert [r.receipt.sha256 if r.receipt else None for r in first] == [
        d.bundle.sha256 for d in docs
    ]
    stored = _documents(collector_dir)
    assert sorted(d.key for d in stored) == sorted(d.key for d in docs)
    assert {d.source for d in stored} == {"usb"}
    folder = collector_dir.documents_dir / kiosk.tps_code / "DPR" / docs[1].key
    assert (folder / "bundle.zip").read_bytes() == docs[1].bundle.path.read_bytes()


def test_a_tampered_bundle_is_rejected_and_the_rest_imported_by_the_command(
    collector_dir: Collector, kiosk: TestKiosk, tmp_path: Path
) -> None:
    good, victim = kiosk.document("PPWP"), kiosk.document("DPD")
    export = kiosk.export(tmp_path / "usb", [good, victim])
    index = json.loads((export / "index.json").read_text())["index"]
    victim_file = export / index["bundles"][1]["file"]
    # A valid bundle of the same kiosk, but not the file the signed index lists.
    victim_file.write_bytes(kiosk.document("DPD").bundle.path.read_bytes())

    result = run_collector_cli("import", "--data", str(collector_dir.data_dir), str(export))

    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"accepted  {index['bundles'][0]['file']}")
    assert lines[1].startswith("rejected") and "bundle_hash" in lines[1]
    assert [d.key for d in _documents(collector_dir)] == [good.key]
    conn = store.connect(collector_dir.db_path)
    try:
        rejection = store.latest_rejection(conn, victim.key)
    finally:
        conn.close()
    assert rejection is not None and rejection.reason == "bundle_hash"


def test_an_index_with_a_bad_signature_imports_nothing(
    collector_dir: Collector, kiosk: TestKiosk, tmp_path: Path
) -> None:
    export = kiosk.export(tmp_path / "usb", [kiosk.document()])
    signed = json.loads((export / "index.json").read_text())
    signed["index"]["created"] = "2024-02-15T00:00:00+00:00"
    (export / "index.json").write_text(json.dumps(signed))

    with pytest.raises(BundleInvalid) as refused:
        import_export(collector_dir, export)
    assert refused.value.reason == "index"
    result = run_collector_cli("import", "--data", str(collector_dir.data_dir), str(export))
    assert result.returncode == 1
    assert "index" in result.stdout
    assert _documents(collector_dir) == []


def test_an_index_entry_that_does_not_describe_its_bundle_is_rejected(
    collector_dir: Collector, kiosk: TestKiosk, tmp_path: Path
) -> None:
    doc = kiosk.document("PPWP")
    export = tmp_path / "usb"
    export.mkdir()
    (export / "b.zip").write_bytes(doc.bundle.path.read_bytes())
    entry = {"file": "b.zip", "key": doc.key, "sha256": doc.bundle.sha256, "ballot": "DPR"}
    (export / "index.json").write_bytes(sign_index(kiosk.key, kiosk.tps_code, "now", [entry]))

    [result] = import_export(collector_dir, export)

    assert (result.status, result.reason) == ("rejected", "index")
    assert "ballot" in result.detail


def test_an_unregistered_kiosk_needs_trust_on_first_use(tmp_path: Path, kiosk: TestKiosk) -> None:
    export = kiosk.export(tmp_path / "usb", [kiosk.document()])
    strict = Collector(tmp_path / "strict")
    with pytest.raises(BundleInvalid) as refused:
        import_export(strict, export)
    assert refused.value.reason == "device_unregistered"

    trusting = Collector(tmp_path / "trusting", Policy(trust_first_use=True))
    assert [r.status for r in import_export(trusting, export)] == ["accepted"]


def test_usb_and_tus_deliver_the_same_document_once(
    collector: CollectorProcess, kiosk: TestKiosk, tmp_path: Path
) -> None:
    register_key(collector.data_dir, kiosk.tps_code, kiosk.public_key)
    by_usb, by_tus = kiosk.document("PPWP"), kiosk.document("DPR")
    data = Collector(collector.data_dir)
    import_export(data, kiosk.export(tmp_path / "usb1", [by_usb]))

    # Importing counts as delivery: the kiosk's receipt request finds it.
    usb_receipt = collector.receipt(by_usb.key).json()
    assert (usb_receipt["source"], usb_receipt["sha256"]) == ("usb", by_usb.bundle.sha256)
    # ...and a tus upload of it afterwards changes nothing.
    for doc in (by_usb, by_tus):
        TusClient(collector.files_url).uploader(
            file_path=str(doc.bundle.path), metadata=doc.metadata(), upload_checksum=True
        ).upload()
    assert collector.receipt(by_usb.key).json() == usb_receipt

    [again] = import_export(data, kiosk.export(tmp_path / "usb2", [by_tus]))
    assert again.status == "duplicate"
    assert (
        again.receipt is not None
        and again.receipt.as_json() == collector.receipt(by_tus.key).json()
    )
    assert len(_documents(data)) == 2


def test_simultaneous_arrivals_of_one_bundle_store_it_once(
    collector_dir: Collector, kiosk: TestKiosk
) -> None:
    data = kiosk.document().bundle.path.read_bytes()
    outcomes = []
    start = threading.Barrier(6)

    def arrive() -> None:
        start.wait()
        outcomes.append(receive(collector_dir, data, "usb"))

    threads = [threading.Thread(target=arrive) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(o.new for o in outcomes) == [False] * 5 + [True]
    assert len({o.receipt for o in outcomes}) == 1
    assert len(_documents(collector_dir)) == 1
