"""Uploads by the real tuspy client to the real collector process: receipts, refusals, policy."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from tusclient.client import TusClient
from tusclient.exceptions import TusUploadFailed

from kiosk.collector import store
from kiosk.collector.registry import register_key
from tests.collector.bundles import Document, TestKiosk
from tests.stacks.collector import CollectorProcess, run_collector_cli


def upload(collector: CollectorProcess, doc: Document, chunk_size: int = 1024, **meta: str) -> None:
    uploader = TusClient(collector.files_url).uploader(
        file_path=str(doc.bundle.path),
        chunk_size=chunk_size,
        metadata=doc.metadata(**meta),
        upload_checksum=True,
    )
    uploader.upload()


def rows(collector: CollectorProcess) -> list[store.StoredDocument]:
    conn = store.connect(collector.data_dir / "collector.sqlite3")
    try:
        return store.documents(conn)
    finally:
        conn.close()


@pytest.fixture
def kiosk(tmp_path: Path) -> TestKiosk:
    return TestKiosk(tmp_path / "kiosk")


def test_upload_gives_a_receipt_with_the_bundle_hash(
    collector: CollectorProcess, kiosk: TestKiosk
) -> None:
    register_key(collector.data_dir, kiosk.tps_code, kiosk.public_key)
    doc = kiosk.document("DPR")
    assert collector.receipt(doc.key).status_code == 404

    upload(collector, doc, chunk_size=700)  # several PATCHes, each with a checksum

    answer = collector.receipt(doc.key)
    assert answer.status_code == 200
    receipt = answer.json()
    assert receipt["sha256"] == doc.bundle.sha256
    assert (receipt["key"], receipt["tps_code"], receipt["ballot"], receipt["source"]) == (
        doc.key,
        kiosk.tps_code,
        "DPR",
        "tus",
    )
    folder = collector.data_dir / "documents" / kiosk.tps_code / "DPR" / doc.key
    assert (folder / "bundle.zip").read_bytes() == doc.bundle.path.read_bytes()
    assert (folder / "manifest.json").read_bytes() == doc.manifest_file
    assert (folder / "document.pdf").read_bytes() == (doc.folder / "document.pdf").read_bytes()
    [row] = rows(collector)
    assert (row.device, row.training, row.pdf_sha256) == (
        kiosk.fingerprint,
        False,
        json.loads(doc.manifest_file)["manifest"]["pdf"]["sha256"],
    )


def test_the_same_document_uploaded_twice_is_stored_once(
    collector: CollectorProcess, kiosk: TestKiosk
) -> None:
    register_key(collector.data_dir, kiosk.tps_code, kiosk.public_key)
    doc = kiosk.document()
    upload(collector, doc)
    first = collector.receipt(doc.key).json()

    upload(collector, doc)  # a second, separate tus upload of the same bundle

    assert collector.receipt(doc.key).json() == first
    assert len(rows(collector)) == 1
    assert len(list((collector.data_dir / "tus").glob("*.info"))) == 2


def _bad_signature(k: TestKiosk) -> Document:
    return k.document(manifest_changes={"numbers": {"S": 999}})


def _signed_by_another_key(k: TestKiosk) -> Document:
    return k.document(signer=TestKiosk(k.root).key)


REFUSALS: dict[str, tuple[Callable[[TestKiosk], Document], dict[str, str], str]] = {
    "bad signature": (_bad_signature, {}, "signature"),
    "signed by another key": (_signed_by_another_key, {}, "signature"),
    "tampered pdf": (lambda k: k.tampered_pdf(), {}, "pdf_hash"),
    "metadata names another ballot": (lambda k: k.document("PPWP"), {"ballot": "DPR"}, "metadata"),
    "training document": (lambda k: k.document(training=True), {}, "training"),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_a_bad_bundle_is_refused_by_the_final_patch_and_in_its_receipt(
    collector: CollectorProcess, kiosk: TestKiosk, case: str
) -> None:
    make, meta, reason = REFUSALS[case]
    register_key(collector.data_dir, kiosk.tps_code, kiosk.public_key)
    doc = make(kiosk)

    with pytest.raises(TusUploadFailed) as failed:
        upload(collector, doc, chunk_size=1 << 20, **meta)

    assert failed.value.status_code == 422
    assert json.loads(failed.value.response_content)["detail"]["reason"] == reason
    answer = collector.receipt(doc.key)
    assert answer.status_code == 422
    assert answer.json()["error"] == "rejected"
    assert answer.json()["reason"] == reason
    assert rows(collector) == []
    assert not (collector.data_dir / "documents").exists()


def test_an_unregistered_device_is_refused(collector: CollectorProcess, kiosk: TestKiosk) -> None:
    doc = kiosk.document()
    with pytest.raises(TusUploadFailed) as failed:
        upload(collector, doc)
    assert failed.value.status_code == 422
    assert collector.receipt(doc.key).json()["reason"] == "device_unregistered"

    # Registered afterwards (by the command line), the same document goes through.
    registered = run_collector_cli(
        "register", "--data", str(collector.data_dir), "--tps", kiosk.tps_code,
        "--public-key", kiosk.public_key,
    )  # fmt: skip
    assert registered.returncode == 0, registered.stderr
    assert kiosk.fingerprint in registered.stdout
    upload(collector, doc)
    assert collector.receipt(doc.key).status_code == 200


def test_another_key_for_a_registered_tps_is_refused(
    collector: CollectorProcess, kiosk: TestKiosk, tmp_path: Path
) -> None:
    register_key(collector.data_dir, kiosk.tps_code, kiosk.public_key)
    impostor = TestKiosk(tmp_path / "impostor", tps_code=kiosk.tps_code)
    doc = impostor.document()
    with pytest.raises(TusUploadFailed):
        upload(collector, doc)
    assert collector.receipt(doc.key).json()["reason"] == "device_mismatch"


def test_trust_first_use_registers_the_first_key_only(
    collector_factory: Callable[..., CollectorProcess], kiosk: TestKiosk, tmp_path: Path
) -> None:
    collector = collector_factory(trust_first_use=True)
    first = kiosk.document()
    upload(collector, first)
    assert collector.receipt(first.key).status_code == 200
    listed = run_collector_cli("devices", "--data", str(collector.data_dir))
    assert f"{kiosk.tps_code}  {kiosk.fingerprint}" in listed.stdout
    assert "first_use" in listed.stdout
    assert "trust on first use" in collector.log()

    impostor = TestKiosk(tmp_path / "impostor", tps_code=kiosk.tps_code)
    second = impostor.document()
    with pytest.raises(TusUploadFailed):
        upload(collector, second)
    assert collector.receipt(second.key).json()["reason"] == "device_mismatch"


def test_a_training_collector_accepts_and_marks_training_documents(
    collector_factory: Callable[..., CollectorProcess], kiosk: TestKiosk
) -> None:
    collector = collector_factory(accept_training=True)
    register_key(collector.data_dir, kiosk.tps_code, kiosk.public_key)
    real, training = kiosk.document("PPWP"), kiosk.document("DPD", training=True)
    upload(collector, real)
    upload(collector, training)

    assert {r.key: r.training for r in rows(collector)} == {real.key: False, training.key: True}
    page = requests.get(collector.url + "/", timeout=10).text
    assert "LATIHAN" in page
    listed = run_collector_cli("list", "--data", str(collector.data_dir)).stdout.splitlines()
    assert len(listed) == 2
    assert listed[0].startswith(f"{kiosk.tps_code}  DPD") and listed[0].endswith("LATIHAN")
    assert "LATIHAN" not in listed[1]


def test_the_listing_page_shows_each_tps_and_its_documents_and_serves_the_pdf(
    collector: CollectorProcess, tmp_path: Path
) -> None:
    first = TestKiosk(tmp_path / "a", tps_code="6474010001005")
    second = TestKiosk(tmp_path / "b", tps_code="6474010002011")
    for k in (first, second):
        register_key(collector.data_dir, k.tps_code, k.public_key)
    older, newer = first.document("PPWP"), second.document("DPRD_PROV")
    upload(collector, older)
    upload(collector, newer)

    page = requests.get(collector.url + "/", timeout=10)
    assert page.status_code == 200
    html = page.text
    for doc, tps, ballot in (
        (older, "6474010001005", "PPWP"),
        (newer, "6474010002011", "DPRD_PROV"),
    ):
        assert f"TPS {tps}" in html
        assert ballot in html
        assert doc.bundle.sha256[:12] in html
        assert f"/documents/{doc.key}/document.pdf" in html
    assert html.index("6474010002011") < html.index("6474010001005")  # newest first
    assert "LATIHAN (training)" not in html

    pdf = requests.get(f"{collector.url}/documents/{older.key}/document.pdf", timeout=10)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == (older.folder / "document.pdf").read_bytes()
    missing = requests.get(f"{collector.url}/documents/{'0' * 64}/document.pdf", timeout=10)
    assert missing.status_code == 404


def test_health_and_unknown_receipts(collector: CollectorProcess) -> None:
    health = requests.get(collector.url + "/health", timeout=10).json()
    assert health == {
        "status": "ok",
        "documents": 0,
        "records": 0,
        "records_without_scan": 0,
        "accept_training": False,
        "trust_first_use": False,
    }
    assert collector.receipt("f" * 64).json() == {"error": "unknown"}
    assert collector.receipt("not-a-key").status_code == 404


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) of sockets listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if int(port_hex, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.add(address)
    return found


def test_the_collector_listens_on_loopback_only(collector: CollectorProcess) -> None:
    assert _listening_addresses(collector.port) == {"0100007F"}  # 127.0.0.1
    assert f"collector ready at {collector.url}/ (tus: {collector.files_url})" in collector.log()


def test_a_remote_bind_is_refused_without_the_flag(tmp_path: Path) -> None:
    result = run_collector_cli("serve", "--data", str(tmp_path), "--bind", "0.0.0.0", "--port", "0")
    assert result.returncode == 2
    assert "not a loopback address" in result.stderr
