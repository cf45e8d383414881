"""One identity per copy: each recipient gets one copy of a document whichever printer prints
it, the receipt names the printer of each copy, recipients ticked later get theirs; thermal
copies carry the QR on every page and SIMULASI across each page; the manifest says who
confirmed the numbers; every printed time carries WIB/WITA/WIT; malformed input is no 500.

The sample TPS (6474010001005) is in Kalimantan Timur: WITA (UTC+8). The kiosk's clock runs in
UTC here, as a Pi whose zone was never set would, so a time printed without converting to the
TPS's zone shows 05:05 instead of 13:05.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from drivers.printer import PrinterState
from kiosk import create_app
from kiosk.chasil.documents import verify_manifest
from kiosk.clock import ManualClock
from kiosk.db import MIGRATIONS, Database
from kiosk.tps import SAMPLE_PROFILE
from tests.chasil.test_chasil_http import GOOD, form
from tests.kiosk.conftest import csrf_token, login
from tests.kiosk.day import day_settings

NOW_UTC = dt.datetime(2024, 2, 14, 5, 5, tzinfo=dt.UTC)  # 13:05 WITA on election day
FIXED = ["Pengawas TPS", "PPS", "PPK (melalui PPS)", "Pengumuman publik"]
NOTE = "Saksi Paslon 02 keberatan atas 3 surat suara rusak."


@pytest.fixture
def app(tmp_path):
    settings = day_settings(tmp_path / "data")
    app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=ManualClock(NOW_UTC))
    yield app
    app.extensions["kiosk"].close()


@pytest.fixture
def kiosk(app):
    return app.extensions["kiosk"]


@pytest.fixture
def ketua(app):
    client = app.test_client()
    assert login(client, "kpps1").status_code == 302
    return client


def signed(client) -> tuple[int, str]:
    """PPWP confirmed by the Ketua with a note, two pages from the feeder, signed: (id, token)."""
    token = csrf_token(client, "/chasil/PPWP/1")
    client.post("/chasil/PPWP/1", data=form(GOOD, token))
    client.post("/chasil/PPWP/confirm", data={"csrf_token": token, "note": NOTE})
    client.post("/chasil/PPWP/scan", data={"csrf_token": token, "source": "adf"})
    resp = client.post("/chasil/PPWP/finish", data={"csrf_token": token})
    assert resp.status_code == 302 and "/documents/" in resp.headers["Location"], resp.data[:300]
    return int(resp.headers["Location"].rsplit("/", 1)[1]), token


def print_on(client, doc_id: int, token: str, printer: str):
    return client.post(f"/documents/{doc_id}/print", data={"csrf_token": token, "printer": printer})


def tick(client, kiosk, doc_id: int, token: str, *names: str) -> None:
    """Tick ``names`` in addition to those already present, and save the list."""
    rows = kiosk.db.read("SELECT id, name, present FROM recipient")
    present = [r["id"] for r in rows if r["present"] or r["name"] in names]
    resp = client.post(
        f"/documents/{doc_id}/recipients", data={"csrf_token": token, "present": present}
    )
    assert resp.status_code == 302


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def qr_codes(png: Path) -> list[str]:
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True, check=False
    ).stdout
    return [line for line in out.splitlines() if line]


def copies_for(text: str) -> list[tuple[str, str]]:
    """(recipient, printer) of each copy line of a distribution receipt's text."""
    return re.findall(r"Salinan \d+ dari \d+ · (.+?) · (Printer A4|Printer struk) ·", text)


def payload(kiosk, doc_id: int) -> str:
    sha = kiosk.db.read("SELECT pdf_sha256 FROM document WHERE id = ?", (doc_id,))[0][0]
    return f"TPSKIOSK1|6474010001005|PPWP|{sha}"


# One copy per recipient ---------------------------------------------------------------------------
def test_each_recipient_gets_one_copy_whichever_printer_prints_it(ketua, kiosk):
    doc_id, token = signed(ketua)
    assert print_on(ketua, doc_id, token, "a4").status_code == 302
    assert print_on(ketua, doc_id, token, "receipt").status_code == 302
    assert len(kiosk.devices.document_printer.jobs) == 4
    assert kiosk.devices.receipt_printer.jobs == []  # every recipient already has a copy
    rows = kiosk.db.read("SELECT recipient, printer, state FROM print_job ORDER BY copy_no")
    assert [(r["recipient"], r["printer"], r["state"]) for r in rows] == [
        (name, "a4", "printed") for name in FIXED
    ]


def test_switching_printers_prints_only_the_copies_not_yet_printed(ketua, kiosk):
    doc_id, token = signed(ketua)
    kiosk.devices.document_printer.set_state(PrinterState.PAPER_OUT)
    assert print_on(ketua, doc_id, token, "a4").status_code == 503
    assert print_on(ketua, doc_id, token, "receipt").status_code == 302
    assert len(kiosk.devices.receipt_printer.jobs) == 4
    kiosk.devices.document_printer.set_state(PrinterState.READY)
    assert print_on(ketua, doc_id, token, "a4").status_code == 302
    assert kiosk.devices.document_printer.jobs == []
    rows = kiosk.db.read("SELECT printer, state FROM print_job")
    assert [tuple(r) for r in rows] == [("receipt", "printed")] * 4


def test_a_saksi_ticked_after_a_run_started_gets_a_copy_on_the_next_run(ketua, kiosk):
    doc_id, token = signed(ketua)
    print_on(ketua, doc_id, token, "a4")
    tick(ketua, kiosk, doc_id, token, "Saksi Paslon 02")
    resp = print_on(ketua, doc_id, token, "a4")
    page = ketua.get(resp.headers["Location"]).get_data(as_text=True)
    assert "1 salinan dicetak." in page
    jobs = kiosk.devices.document_printer.jobs
    assert len(jobs) == 5
    assert "Salinan 5 dari 5 untuk Saksi Paslon 02" in pdf_text(jobs[-1].path)
    # And on the other printer, once more, nobody gets a second one.
    tick(ketua, kiosk, doc_id, token, "Saksi Paslon 01")
    print_on(ketua, doc_id, token, "receipt")
    assert len(kiosk.devices.receipt_printer.jobs) == 1
    names = [r[0] for r in kiosk.db.read("SELECT recipient FROM print_job")]
    assert sorted(names) == sorted([*FIXED, "Saksi Paslon 01", "Saksi Paslon 02"])


def test_the_receipt_lists_each_copy_once_with_its_printer(ketua, kiosk):
    doc_id, token = signed(ketua)
    print_on(ketua, doc_id, token, "a4")
    tick(ketua, kiosk, doc_id, token, "Saksi Paslon 03")
    print_on(ketua, doc_id, token, "receipt")
    assert ketua.post(f"/documents/{doc_id}/receipt", data={"csrf_token": token}).status_code == 302
    receipt = kiosk.devices.document_printer.jobs[-1].path
    assert copies_for(pdf_text(receipt)) == [(name, "Printer A4") for name in FIXED] + [
        ("Saksi Paslon 03", "Printer struk")
    ]
    page = ketua.get(f"/documents/{doc_id}?step=2").get_data(as_text=True)  # the print step
    assert page.count("· Printer A4<") == 4 and page.count("· Printer struk<") == 1


def test_the_receipt_names_the_printers_in_indonesian_whatever_the_screen_language(ketua, kiosk):
    doc_id, token = signed(ketua)
    print_on(ketua, doc_id, token, "a4")
    tick(ketua, kiosk, doc_id, token, "Saksi Paslon 03")
    print_on(ketua, doc_id, token, "receipt")
    with ketua.session_transaction() as sess:
        sess["lang"] = "en"
    page = ketua.get(f"/documents/{doc_id}?step=2").get_data(as_text=True)
    assert "· Receipt printer<" in page  # the screen speaks English now
    ketua.post(f"/documents/{doc_id}/receipt", data={"csrf_token": token})
    text = pdf_text(kiosk.devices.document_printer.jobs[-1].path)
    assert "Tanda terima salinan C.Hasil" in text
    assert [printer for _name, printer in copies_for(text)] == ["Printer A4"] * 4 + [
        "Printer struk"
    ]
    assert "Receipt printer" not in text and "thermal" not in text


# Thermal copies -----------------------------------------------------------------------------------
def test_thermal_copy_carries_the_qr_on_every_page(ketua, kiosk, tmp_path):
    doc_id, token = signed(ketua)
    print_on(ketua, doc_id, token, "receipt")
    (first, *_rest) = kiosk.devices.receipt_printer.jobs
    # Independent check: zbar reads the paper the fake printer drew; two pages, two codes.
    assert qr_codes(first.path) == [payload(kiosk, doc_id)] * 2
    # ... each within its own page: page n's part of the paper is its scan plus as much again
    # as every page adds (footer, code), so cut the paper there and read each part alone.
    from kiosk.chasil.copies import thermal_pages

    scans = kiosk.services.documents.pages_of(_document(kiosk, doc_id))
    h1, h2 = (p.height for p in thermal_pages(scans, kiosk.devices.receipt_printer.width_px))
    with Image.open(first.path) as paper:
        cut = h1 + (paper.height - h1 - h2) // 2
        parts = [paper.crop((0, 0, paper.width, cut))]
        parts.append(paper.crop((0, cut, paper.width, paper.height)))
    for n, part in enumerate(parts):
        part.save(tmp_path / f"page{n}.png")
        assert qr_codes(tmp_path / f"page{n}.png") == [payload(kiosk, doc_id)]


def test_thermal_training_copy_has_simulasi_across_each_page(ketua, kiosk):
    from kiosk.chasil.copies import CopyLabel, thermal_copy_pages, thermal_pages

    doc_id, _token = signed(ketua)
    store_doc = _document(kiosk, doc_id)
    scans = kiosk.services.documents.pages_of(store_doc)
    width = kiosk.devices.receipt_printer.width_px
    scanned = thermal_pages(scans, width)
    label = CopyLabel(1, 4, "PPS", "14-02-2024 13:05 WITA", False)
    training = thermal_copy_pages(kiosk.profile, store_doc, scanned, label, width)
    real = thermal_copy_pages(
        kiosk.profile, dataclasses.replace(store_doc, training=False), scanned, label, width
    )
    assert len(training) == len(real) == 2
    for page, with_mark, without in zip(scanned, training, real, strict=True):
        # The scanned page comes first in its section: compare that part only.
        box = ImageChops.difference(
            with_mark.crop((0, 0, width, page.height)).convert("L"),
            without.crop((0, 0, width, page.height)).convert("L"),
        ).getbbox()
        assert box is not None, "no SIMULASI on the page"
        left, top, right, bottom = box
        assert right - left > 0.7 * width and bottom - top > 0.7 * page.height


def _document(kiosk, doc_id):
    return kiosk.services.documents.document(doc_id)


# The manifest and printed times -------------------------------------------------------------------
def test_the_manifest_records_who_confirmed_when_and_the_note(ketua, kiosk):
    doc_id, _token = signed(ketua)
    doc = _document(kiosk, doc_id)
    manifest = verify_manifest(doc.manifest)
    record = kiosk.services.chasil.confirmed(manifest["ballot"]).record
    assert manifest["confirmed"] == {
        "by": {"id": "kpps1", "name": "Siti Aminah", "role": "ketua"},
        "at": "2024-02-14T13:05:00+08:00",
        "zone": "WITA",
        "note": NOTE,
        "warnings": [],
        "record": record,  # the result record sent ahead of this document
    }
    assert re.fullmatch(r"[0-9a-f]{64}", record)


def test_printed_times_carry_the_tps_time_zone(ketua, kiosk):
    doc_id, token = signed(ketua)
    print_on(ketua, doc_id, token, "a4")
    ketua.post(f"/documents/{doc_id}/receipt", data={"csrf_token": token})
    *copies, receipt = kiosk.devices.document_printer.jobs
    assert "Dicetak 14-02-2024 13:05 WITA" in pdf_text(copies[0].path)
    text = pdf_text(receipt.path)
    assert "Dibuat 14-02-2024 13:05 WITA" in text
    assert text.count("13:05 WITA") == 1 + 4
    assert "05:05" not in text

    # The opening report and the incidents list: each time in WITA.
    ketua.post("/checklist/tps_didirikan", data={"csrf_token": token})
    ketua.post("/incidents/", data={"csrf_token": token, "kind": "kejadian", "text": "Hujan."})
    for which in ("opening", "incidents"):
        ketua.post(f"/checklist/report/{which}", data={"csrf_token": token, "printer": "a4"})
        report = pdf_text(kiosk.devices.document_printer.jobs[-1].path)
        assert "13:05 WITA" in report, report
        assert "05:05" not in report
    # The device readiness report too.
    ketua.post("/selftest/", data={"csrf_token": token})
    ketua.post("/selftest/print", data={"csrf_token": token, "printer": "a4"})
    report = pdf_text(kiosk.devices.document_printer.jobs[-1].path)
    # (The self-test takes its time from the system clock, not the kiosk's.)
    assert re.search(r"Waktu: \d\d-\d\d-\d{4} \d\d:\d\d:\d\d WITA", report), report


# Malformed input on the documents routes (finding 6) ----------------------------------------------
@pytest.mark.parametrize("present", ["abc", "", "1.5", str(10**30)])
def test_recipients_that_cannot_be_read_are_refused_with_a_message(ketua, kiosk, present):
    doc_id, token = signed(ketua)
    assert ketua.get(f"/documents/{doc_id}").status_code == 200  # the list as first shown
    before = [tuple(r) for r in kiosk.db.read("SELECT * FROM recipient")]
    assert len(before) == 7
    resp = ketua.post(
        f"/documents/{doc_id}/recipients", data={"csrf_token": token, "present": present}
    )
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "Daftar penerima tidak terbaca" in html and "Traceback" not in html
    assert [tuple(r) for r in kiosk.db.read("SELECT * FROM recipient")] == before


def test_huge_ids_are_not_found(ketua, kiosk):
    doc_id, token = signed(ketua)
    huge = 10**30
    assert ketua.get(f"/documents/{huge}").status_code == 404
    for path in (
        f"/documents/{huge}/print",
        f"/documents/{huge}/reprint/1",
        f"/documents/{doc_id}/reprint/{huge}",
        f"/documents/{doc_id}/reprint/999",
        f"/documents/{huge}/receipt",
    ):
        resp = ketua.post(path, data={"csrf_token": token, "printer": "a4"})
        assert resp.status_code == 404, path
    # A page id beyond SQLite's integers names no page: nothing to do, back to the pages.
    for action in ("discard", "use", "up"):
        resp = ketua.post(
            f"/chasil/PPWP/pages/{huge}", data={"csrf_token": token, "action": action}
        )
        assert resp.status_code == 302, action


# Migration ----------------------------------------------------------------------------------------
def _step_of_copy_identity() -> int:
    return next(
        i for i, step in enumerate(MIGRATIONS) if any("print_job_one_copy" in s for s in step)
    )


def test_migration_keeps_one_original_copy_per_recipient(tmp_path):
    """A kiosk that printed on both printers before the change: the second physical copy of
    a recipient stays on record (marked extra), unprinted duplicates go."""
    step = _step_of_copy_identity()
    conn = sqlite3.connect(tmp_path / "kiosk.sqlite3")
    for statements in MIGRATIONS[:step]:
        for statement in statements:
            conn.execute(statement)
    conn.execute(
        "INSERT INTO document (id, ballot, folder, pdf_sha256, manifest_sha256, pages, training,"
        " created_wall) VALUES (1, 'PPWP', '/x', 'a', 'b', 1, 0, '2024-02-14T13:00:00+08:00')"
    )
    rows = [  # copy_no, recipient, printer, state
        (1, "PPS", "a4", "printed"),
        (2, "Pengawas TPS", "a4", "failed"),
        (1, "PPS", "receipt", "printed"),
        (2, "Pengawas TPS", "receipt", "printed"),
        (3, "Pengumuman publik", "receipt", "pending"),
    ]
    for copy_no, recipient, printer, state in rows:
        conn.execute(
            "INSERT INTO print_job (document_id, copy_no, copies, recipient, printer, state,"
            " printed_wall) VALUES (1, ?, 3, ?, ?, ?, '2024-02-14T13:00:00+08:00')",
            (copy_no, recipient, printer, state),
        )
    conn.execute(f"PRAGMA user_version = {step}")
    conn.commit()
    conn.close()
    db = Database(tmp_path / "kiosk.sqlite3")
    assert db.migrate() == step
    got = db.read("SELECT recipient, printer, state, extra FROM print_job ORDER BY id")
    assert [tuple(r) for r in got] == [
        ("PPS", "a4", "printed", 0),
        ("PPS", "receipt", "printed", 1),
        ("Pengawas TPS", "receipt", "printed", 0),
        ("Pengumuman publik", "receipt", "pending", 0),
    ]
    with pytest.raises(sqlite3.IntegrityError), db.write() as c:
        c.execute(
            "INSERT INTO print_job (document_id, copy_no, copies, recipient, printer, state)"
            " VALUES (1, 4, 4, 'PPS', 'a4', 'pending')"
        )
    db.close()
