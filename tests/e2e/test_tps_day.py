"""A whole TPS day by touch in Chromium at 800×480, in demo/training mode: card and PIN login,
device check, the opening checklist, a kejadian khusus, voting and closing with the kiosk clock
moved to 13.00, C.Hasil PPWP with a blocking mistake corrected, the Ketua's confirmation, scan,
signed document, copies and receipt (then DPR and DPD, since counting is signed off only when
every ballot has its signed document), the queue drained to a real collector by a real upload
worker, the hand-over to PPS and the closing report. Only taps: buttons, links, the PIN and
C.Hasil keypads and the on-screen keyboard; never fill/type/keyboard presses.

Screenshots of every step go to artifacts/screenshots/day-NN-*.png; every screen met, and a
contact sheet per flow, to artifacts/screenshots/day/.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import waitress
from playwright.sync_api import Page, expect

from kiosk import create_app
from kiosk.clock import ManualClock
from kiosk.tps import SAMPLE_PROFILE
from tests.chasil.test_chasil_http import GOOD
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.flows.chasil import ballot_without_mistakes, first_ballot_with_a_mistake
from tests.e2e.flows.checklist import hand_over, lanjut, opening, sign_counting, voting_and_closing
from tests.e2e.flows.documents import copies_and_receipt, scan_and_sign, to_scan
from tests.e2e.touch import Touch
from tests.kiosk.day import day_settings
from tests.stacks.collector import CollectorProcess, run_collector_cli
from tests.upload.processes import WorkerProcess

WITA = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2024, 2, 14, 6, 45, tzinfo=WITA)  # the sample profile's election date
TPS = "6474010001005"
BALLOTS = ("PPWP", "DPR", "DPD")
# Opening and closing counts agree with the C.Hasil sheet GOOD (SS1 = SS2 + SS3 + SS4).
RECEIVED = {b: GOOD["SS1"] for b in BALLOTS}
# The other two sheets of the TPS: the same voters and ballots, their own votes (S = 208).
NOT_VOTES = {k: v for k, v in GOOD.items() if not k.startswith("V.")}
SHEETS = {
    "DPR": NOT_VOTES
    | {"P.0": 10, "P.0.0": 50, "P.0.1": 40, "P.1": 5, "P.1.0": 100, "P.1.1": 2, "P.1.2": 1},
    "DPD": NOT_VOTES | {"V.0": 62, "V.1": 118, "V.2": 20, "V.3": 8},
}
# One saksi present for each of the later ballots (the PPWP has two).
SAKSI = {"DPR": "Saksi Partai Contoh A", "DPD": "Saksi Calon 2"}
UNUSED = {b: GOOD["SS4"] for b in BALLOTS}
DAMAGED = {b: GOOD["SS3"] for b in BALLOTS}


@dataclass
class Day:
    url: str
    clock: ManualClock
    data_dir: Path
    kiosk: Any
    collector: CollectorProcess


@pytest.fixture
def day(tmp_path: Path, collector_factory: Any) -> Iterator[Day]:
    """The demo kiosk on a clock the test moves (06.45 WITA on election day), pointed at a
    training collector; logins survive the jumps of the clock."""
    collector = collector_factory(accept_training=True, trust_first_use=True)
    clock = ManualClock(START)
    settings = day_settings(tmp_path / "data", upload_endpoint=collector.files_url)
    app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=clock)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    kiosk = app.extensions["kiosk"]
    yield Day(url, clock, Path(settings.data_dir), kiosk, collector)
    server.close()
    kiosk.close()


# The day ------------------------------------------------------------------------------------------


def fake_prints(day: Day, pattern: str) -> set[str]:
    return {p.name for p in (day.data_dir / "simulasi").glob(pattern)}


def chasil_ballot(touch: Touch, ballot: str, boxes: dict[str, int], saksi: str) -> None:
    """From home: the ballot's numbers, the Ketua's confirmation, the scan, the document, its
    copies (one saksi present) and their receipt."""
    with touch.in_flow("chasil"):
        lanjut(touch, f"Isi angka C.Hasil {ballot}.")
        ballot_without_mistakes(touch, ballot, boxes)
    with touch.in_flow("documents"):
        to_scan(touch)
        scan_and_sign(touch, ballot)
        copies_and_receipt(touch, (saksi,))


@pytest.mark.timeout(420)
def test_a_whole_tps_day_by_touch(page: Page, day: Day, shot: Any) -> None:
    started = time.monotonic()
    page.set_viewport_size({"width": 800, "height": 480})
    page.set_default_timeout(15_000)
    shutil.rmtree(ARTIFACTS / "day", ignore_errors=True)  # this run's screens only
    touch = Touch(page, ARTIFACTS / "day")

    # 1. Login with a tapped card and the PIN, then the first device check of the day. -----------
    page.goto(day.url + "/")
    expect(page.locator(".simulasi-banner")).to_be_visible()
    with touch.in_flow("login"):
        expect(page.locator(".next-text")).to_contain_text("Masuk: tempelkan kartu petugas")
        # The card on the reader: the trainer's simulated reader, from another window.
        reader = page.context.new_page()
        reader.goto(day.url + "/simulasi/")
        reader.get_by_role("button", name="Tempel kartu: Ketua KPPS").click()
        expect(reader.locator("#card-state")).to_have_text("Kartu di pembaca: 04A1B2C3D4E5F6")
        reader.close()
        # The home screen sees the card (it polls the reader) and asks for the Ketua's PIN.
        page.wait_for_url("**/login/pin/kpps1**", timeout=10_000)
        expect(page.locator("h1")).to_have_text("Siti Aminah")
        expect(page.locator("main")).to_contain_text("kartu dikenali")
        touch.digits(page.locator(".keypad"), "111111")
        expect(page.locator("#pin-display")).to_have_text("●" * 6)
        shot(page, "day-01-card-login")
        touch.tap(page.get_by_role("button", name="OK"))
        expect(page.locator(".who")).to_have_text("Siti Aminah · Ketua KPPS")

    with touch.in_flow("selftest"):
        lanjut(touch, "Periksa perangkat sebelum mulai.")
        touch.tap(page.get_by_role("button", name="Periksa sekarang"))
        expect(page.locator("#verdict")).to_have_class("ok")
        expect(page.locator("#verdict")).to_contain_text("Siap")
        expect(page.locator(".checks li.bad")).to_have_count(0)
        shot(page, "day-02-selftest")

    # 2. Opening checklist: Persiapan and Pembukaan. ----------------------------------------------
    with touch.in_flow("checklist"):
        opening(touch, day.clock, RECEIVED)
    shot(page, "day-06-pembukaan-done")

    # 3. A kejadian khusus, from the button in the top bar of every screen. -----------------------
    with touch.in_flow("incident"):
        touch.tap(page.locator(".incident-button"))
        expect(page.locator("input[name=kind][value=kejadian]")).to_be_checked()
        touch.tap(page.get_by_role("button", name="Budi Santoso"))  # a KPPS on duty: one tap
        what = "Segel DPD diganti"
        touch.osk_type(page.locator("textarea[name=text]"), what)
        touch.tap(page.get_by_role("button", name="Simpan"))
        expect(page.locator(".flash")).to_have_text("Tercatat.")
        incident = page.locator("li[data-incident]")
        expect(incident).to_have_count(1)
        expect(incident).to_contain_text(f"07:00 WITA · Kejadian khusus · Budi Santoso: {what}")
        shot(page, "day-07-kejadian-khusus")

    # 4. Pemungutan and Penutupan: the clock moves to 13.00 with its reminders; counting starts.
    with touch.in_flow("checklist"):
        voting_and_closing(touch, day.clock, UNUSED, DAMAGED)
    shot(page, "day-10-penghitungan-started")

    # 5. Penghitungan: C.Hasil PPWP by touch, a mistake seen and corrected, the Ketua confirms,
    #    scan, the signed document, the copies and the distribution receipt.
    with touch.in_flow("chasil"):
        lanjut(touch, "Isi angka C.Hasil PPWP.")
        first_ballot_with_a_mistake(touch, GOOD)
    shot(page, "day-13-chasil-confirmed")

    with touch.in_flow("documents"):
        to_scan(touch)
        scan_and_sign(touch, "PPWP")
        shot(page, "day-14-scan")
        expect(page.locator("main")).to_contain_text("1 halaman, ditandatangani oleh kios ini.")
        copies = copies_and_receipt(touch, ("Saksi Paslon 01", "Saksi Paslon 02"))
        assert len(fake_prints(day, "*.pdf")) == copies + 1  # the copies and the receipt
        shot(page, "day-15-copies-and-receipt")

    # The other ballots the same way (no mistake this time); then the counting can be signed.
    for ballot, boxes in SHEETS.items():
        touch.tap(page.locator("a.brand"))
        chasil_ballot(touch, ballot, boxes, SAKSI[ballot])

    with touch.in_flow("checklist"):
        sign_counting(touch)
    shot(page, "day-16-penghitungan-done")

    # 6. The queue drains to the training collector through the real upload worker. -------------
    with touch.in_flow("queue"):
        touch.tap(page.locator("a.brand"))
        touch.tap(page.locator("#queue-link"))
        expect(page.locator("#unsent")).to_have_text("3 dokumen belum diterima server.")
        expect(page.locator("tr[data-job][data-state='pending']")).to_have_count(3)
        shot(page, "day-17-antrian-waiting")
        worker = WorkerProcess(
            day.data_dir, upload_endpoint=day.collector.files_url, training="1", upload_probe_s="1"
        )
        worker.start()
        try:
            deadline = time.monotonic() + 60
            while page.locator("#unsent").get_attribute("data-unsent") != "0":
                assert time.monotonic() < deadline, worker.log.read_text()[-3000:]
                time.sleep(0.5)
                page.reload()
            assert worker.stop() == 0
        finally:
            worker.kill()
        expect(page.locator("#unsent")).to_have_text("Semua dokumen sudah diterima server.")
        rows = page.locator("tr[data-job][data-state='sent']")
        expect(rows).to_have_count(3)
        expect(rows.locator(".message")).to_have_text(["Diterima server."] * 3)
        expect(page.locator("#uplink")).to_have_text("Server dapat dihubungi.")
        shot(page, "day-18-antrian-all-received")
    listed = run_collector_cli("list", "--data", str(day.collector.data_dir))
    assert listed.returncode == 0, listed.stderr
    for job in day.kiosk.outbox.jobs():
        receipt = day.collector.receipt(job.key)
        assert receipt.status_code == 200, receipt.text
        assert any(
            line.split()[:2] == [TPS, job.ballot] and job.key in line
            for line in listed.stdout.splitlines()
        ), listed.stdout

    # 7. Penyerahan ke PPS, then the closing report on the (fake) receipt printer. ---------------
    receipts_before = fake_prints(day, "struk-*.png")
    with touch.in_flow("checklist"):
        hand_over(touch)
    shot(page, "day-19-penyerahan-done")
    (closing,) = fake_prints(day, "struk-*.png") - receipts_before
    page.locator("a.brand").click()
    page.get_by_role("link", name="Perangkat simulasi").click()
    newest = page.locator("ul.outputs li").first
    expect(newest.get_by_role("link")).to_have_text(closing)
    expect(newest.locator("img")).to_be_visible()
    shot(page, "day-20-closing-report-printed")

    sheets = touch.contact_sheets()
    by_flow = ", ".join(f"{flow} {n}" for flow, n in touch.taps_by_flow.items())
    print(
        f"the whole day: {touch.taps} taps ({by_flow}), {touch.swipes} swipes, "
        f"{len(touch.screens)} screens, {time.monotonic() - started:.1f} s; contact sheets: "
        + ", ".join(p.name for p in sheets)
    )
    assert not touch.problems, "\n".join(touch.problems)
