"""The C.Hasil path end to end through HTTP on the real stacks: numbers checked and confirmed,
two pages scanned from SANE's test backend, a signed PDF + manifest, five copies split between
an ESC/POS printer on TCP (until its paper runs out) and CUPS (cups-pdf), one more for a saksi
who came later, and the distribution receipt naming the printer of each copy."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from drivers.registry import DeviceConfig
from kiosk import create_app
from kiosk.chasil.documents import verify_manifest
from kiosk.devicekey import load_key, public_bytes
from kiosk.devices import open_devices
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE
from tests.chasil.test_chasil_http import GOOD, form
from tests.contract.escpos_raster import decode_raster
from tests.kiosk.conftest import csrf_token, login
from tests.stacks import printers as stack


def qr_codes(png: Path) -> list[str]:
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True, check=False
    ).stdout
    return [line for line in out.splitlines() if line]


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def real_app(tmp_path, sane_test_backend, cups_pdf_queue, escpos_listener):
    devices = open_devices(
        DeviceConfig(
            scanner="sane",
            scanner_device=sane_test_backend,
            scanner_options={
                "test_picture": "Grid",
                "read_return_value": "Default",
                "read_delay": False,
            },
            document_printer="cups",
            cups_queue=cups_pdf_queue,
            receipt_printer="escpos",
            receipt_connection=f"tcp://127.0.0.1:{stack.ESCPOS_PORT}",
            card_reader="none",
            panel="fake",
        )
    )
    app = create_app(
        Settings.from_values(data_dir=tmp_path / "data"),
        devices=devices,
        provision_from=SAMPLE_PROFILE,
    )
    yield app
    app.extensions["kiosk"].close()


def test_numbers_scan_sign_copies_and_receipt(real_app, escpos_listener, tmp_path):
    kiosk = real_app.extensions["kiosk"]
    client = real_app.test_client()
    login(client, "kpps1")  # the Ketua enters and confirms here
    token = csrf_token(client, "/chasil/PPWP/1")

    # Numbers: checks pass, Ketua confirms.
    client.post("/chasil/PPWP/1", data=form(GOOD, token))
    client.post("/chasil/PPWP/confirm", data={"csrf_token": token})
    assert kiosk.db.read("SELECT count(*) FROM chasil_confirmed")[0][0] == 1

    # Scan two pages from SANE. Its synthetic grid is no document: the gate holds each page,
    # the operator looks at the preview and uses it anyway (audited).
    for _ in range(2):
        client.post("/chasil/PPWP/scan", data={"csrf_token": token, "source": "flatbed"})
    pages = kiosk.db.read("SELECT id, path, sha256, problem FROM scan_page ORDER BY position")
    assert len(pages) == 2 and all(p["problem"] == "blurred" for p in pages)
    resp = client.post("/chasil/PPWP/finish", data={"csrf_token": token})
    assert kiosk.db.read("SELECT count(*) FROM document")[0][0] == 0  # held pages block it
    for p in pages:
        client.post(f"/chasil/PPWP/pages/{p['id']}", data={"csrf_token": token, "action": "use"})
        assert hashlib.sha256(Path(p["path"]).read_bytes()).hexdigest() == p["sha256"]
    resp = client.post("/chasil/PPWP/finish", data={"csrf_token": token})
    doc_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    doc = kiosk.db.read("SELECT * FROM document WHERE id = ?", (doc_id,))[0]
    folder = Path(doc["folder"])

    # PDF and manifest: hashes right, signature by this kiosk's key.
    pdf = (folder / "document.pdf").read_bytes()
    assert hashlib.sha256(pdf).hexdigest() == doc["pdf_sha256"]
    manifest = verify_manifest(
        folder / "manifest.json", public_bytes(load_key(kiosk.settings.data_dir))
    )
    assert manifest["tps_code"] == "6474010001005" and manifest["ballot"] == "PPWP"
    assert manifest["pdf"]["sha256"] == doc["pdf_sha256"]
    assert [p["sha256"] for p in manifest["pages"]] == [p["sha256"] for p in pages]
    assert manifest["numbers"]["SS2"] == GOOD["SS2"]
    tampered = json.loads((folder / "manifest.json").read_text())
    tampered["manifest"]["numbers"]["SS2"] += 1
    (tmp_path / "bad.json").write_text(json.dumps(tampered))
    with pytest.raises(ValueError, match="signature"):
        verify_manifest(tmp_path / "bad.json")
    info = subprocess.run(
        ["pdfinfo", str(folder / "document.pdf")], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^Pages:\s+2$", info, re.M)

    assert manifest["confirmed"]["by"] == {"id": "kpps1", "name": "Siti Aminah", "role": "ketua"}

    # Recipients: one saksi present + Pengawas TPS, PPS, PPK, public = 5 copies.
    assert client.get(f"/documents/{doc_id}").status_code == 200
    recipients = kiosk.db.read("SELECT id, name, present FROM recipient ORDER BY position")
    present = [r["id"] for r in recipients if r["present"]] + [recipients[0]["id"]]
    client.post(f"/documents/{doc_id}/recipients", data={"csrf_token": token, "present": present})
    names = {r["name"] for r in recipients if r["id"] in present}
    payload = f"TPSKIOSK1|6474010001005|PPWP|{doc['pdf_sha256']}"

    # Thermal first: the roll runs out after 2 copies.
    escpos_listener.paper_out_after = 2
    resp = client.post(
        f"/documents/{doc_id}/print", data={"csrf_token": token, "printer": "receipt"}
    )
    assert resp.status_code == 503 and "Kertas habis" in resp.get_data(as_text=True)
    jobs = escpos_listener.wait_for_jobs(2)
    assert len(jobs) == 2
    for n, job in enumerate(jobs):
        assert job[:5] == b"\x1b@\x1dv0"  # ESC @, then the raster
        receipt_png = tmp_path / f"thermal{n}.png"
        decode_raster(job).save(receipt_png)
        assert qr_codes(receipt_png) == [payload] * 2  # one code on each of the 2 pages

    # Switched to A4: only the 3 copies not yet printed.
    before = set(stack.CUPS_PDF_OUT.glob("*.pdf")) if stack.CUPS_PDF_OUT.exists() else set()
    client.post(f"/documents/{doc_id}/print", data={"csrf_token": token, "printer": "a4"})
    outputs = stack.new_pdfs(before)
    end = time.monotonic() + 30
    while len(outputs) < 3 and time.monotonic() < end:
        time.sleep(0.2)
        outputs = stack.new_pdfs(before)
    assert len(outputs) == 3
    short = doc["pdf_sha256"][:12].upper()
    # What CUPS printed: 2-page copies whose QR decodes to the document hash on every page.
    # (cups-pdf re-distils through Ghostscript, which drops the text layer, so the words are
    # read from the copy files the kiosk sent, kept beside the document.)
    for n, out in enumerate(outputs):
        info = subprocess.run(
            ["pdfinfo", str(out)], capture_output=True, text=True, check=True
        ).stdout
        assert re.search(r"^Pages:\s+2$", info, re.M)
        png = tmp_path / f"copy{n}"
        subprocess.run(["pdftoppm", "-r", "150", "-png", str(out), str(png)], check=True)
        pages = sorted(tmp_path.glob(f"copy{n}-*.png"))
        assert len(pages) == 2
        assert [qr_codes(p) for p in pages] == [[payload], [payload]]
    sent = sorted((folder / "copies").glob("salinan-*.pdf"))
    assert len(sent) == 3
    seen = set()
    for copy in sent:
        text = pdf_text(copy)
        assert "TPS 6474010001005" in text and f"Hash dokumen {short}" in text
        assert "Halaman 1 dari 2" in text and "Halaman 2 dari 2" in text
        assert re.search(r"Dicetak \d\d-\d\d-\d{4} \d\d:\d\d WITA", text), text
        match = re.search(r"Salinan ([345]) dari 5 untuk (.+?)\s*$", text, re.M)
        assert match, text
        seen.add(match.group(2).strip())
    printed = kiosk.db.read("SELECT recipient, printer FROM print_job WHERE state = 'printed'")
    assert sorted(r["recipient"] for r in printed) == sorted(names)
    assert seen == {r["recipient"] for r in printed if r["printer"] == "a4"}

    # A saksi who arrives later gets a copy on the next thermal run, and only that one.
    escpos_listener.paper_out_after = None
    escpos_listener.status = dict(stack.READY)
    late = next(r for r in recipients if r["id"] not in present)
    client.post(
        f"/documents/{doc_id}/recipients",
        data={"csrf_token": token, "present": [*present, late["id"]]},
    )
    client.post(f"/documents/{doc_id}/print", data={"csrf_token": token, "printer": "receipt"})
    assert len(escpos_listener.wait_for_jobs(3)) == 3
    states = kiosk.db.read("SELECT state, count(*) AS n FROM print_job GROUP BY state")
    assert {r["state"]: r["n"] for r in states} == {"printed": 6}

    # A reprint is marked and audited.
    first = kiosk.db.read("SELECT id FROM print_job WHERE printer = 'a4' ORDER BY id")[0]["id"]
    before = set(stack.CUPS_PDF_OUT.glob("*.pdf"))
    client.post(f"/documents/{doc_id}/reprint/{first}", data={"csrf_token": token})
    assert len(stack.new_pdfs(before)) == 1
    newest = max((folder / "copies").glob("salinan-*.pdf"), key=lambda p: p.stat().st_mtime)
    assert "CETAK ULANG" in pdf_text(newest)
    assert any(r["kind"] == "reprint" for r in kiosk.audit.rows())

    # The distribution receipt lists every printed copy once, with its printer and a line to sign.
    before = set(stack.CUPS_PDF_OUT.glob("*.pdf"))
    client.post(f"/documents/{doc_id}/receipt", data={"csrf_token": token})
    receipt_text = pdf_text(folder / "tanda-terima.pdf")
    assert receipt_text.count("Tanda tangan penerima") == 7  # 6 copies + 1 reprint
    assert receipt_text.count("· Printer struk ·") == 3
    assert receipt_text.count("· Printer A4 ·") == 4  # 3 copies and the reprint
    assert len(stack.new_pdfs(before)) == 1
    assert kiosk.audit.verify() is None
