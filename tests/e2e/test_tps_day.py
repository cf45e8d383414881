"""A whole TPS day by touch in Chromium at 800×480, in demo/training mode: card and PIN login,
device check, the opening checklist, a kejadian khusus, voting and closing with the kiosk clock
moved to 13.00, C.Hasil PPWP with a blocking mistake corrected, the Ketua's confirmation, scan,
signed document, copies and receipt (then DPR and DPD, since counting is signed off only when
every ballot has its signed document), the queue drained to a real collector by a real upload
worker, the hand-over to PPS and the closing report. Only taps: buttons, links, the PIN and
C.Hasil keypads and the on-screen keyboard; never fill/type/keyboard presses.

Screenshots of every step go to artifacts/screenshots/day-NN-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import waitress
from playwright.sync_api import Locator, Page, expect

from kiosk import create_app
from kiosk.clock import ManualClock
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE
from tests.chasil.test_chasil_http import GOOD
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
UNUSED = {b: GOOD["SS4"] for b in BALLOTS}
DAMAGED = {b: GOOD["SS3"] for b in BALLOTS}
MINUTE = 60
HOUR = 60 * MINUTE


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
    settings = Settings.from_values(
        data_dir=tmp_path / "data",
        hardware="fake",
        training=True,
        idle_timeout_min=24 * 60,
        session_max_hours=24,
        upload_endpoint=collector.files_url,
    )
    app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=clock)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    kiosk = app.extensions["kiosk"]
    yield Day(url, clock, Path(settings.data_dir), kiosk, collector)
    server.close()
    kiosk.close()


# Touch helpers ----------------------------------------------------------------------------------


def tap_digits(pad: Locator, digits: str) -> None:
    """Digits on a numeric keypad (PIN, clock, C.Hasil): `.keypad button[data-key=...]`."""
    for d in digits:
        pad.locator(f"button[data-key='{d}']").click()


def osk_type(page: Page, field: Locator, text: str) -> None:
    """Tap the field, type on the on-screen keyboard, close it with OK. Capitals through the
    shift key, read from the keyboard's own labels (it starts a text field in capitals)."""
    field.click()
    osk = page.locator(".osk")
    expect(osk).to_be_visible()
    before = field.input_value()
    for ch in text:
        key = osk.locator(f"button[data-osk-key='{'space' if ch == ' ' else ch.lower()}']")
        if ch.isalpha() and (key.inner_text() == ch.upper()) != ch.isupper():
            osk.locator("button[data-osk-key='shift']").click()
        key.click()
    expect(field).to_have_value(before + text)
    osk.locator("button[data-osk-key='done']").click()
    expect(osk).to_be_hidden()


def lanjut(page: Page, says: str) -> None:
    """Home screen: the one next thing to do, then its big green button."""
    page.locator("a.brand").click()
    expect(page.locator(".next-text")).to_contain_text(says)
    page.locator("#next-button").click()


def step(page: Page, step_id: str) -> Locator:
    return page.locator(f"li[data-step='{step_id}']")


def expect_done(page: Page, step_id: str) -> None:
    expect(step(page, step_id)).to_have_attribute("data-status", "done")
    expect(step(page, step_id).locator(".mark")).to_have_text("✔")


def tick(page: Page, step_id: str, button: str = "Selesai") -> None:
    step(page, step_id).get_by_role("button", name=button, exact=True).click()
    expect_done(page, step_id)


def sign_off(page: Page, step_id: str) -> None:
    tick(page, step_id, "Tanda tangani")


def per_ballot(page: Page, step_id: str, counts: dict[str, int]) -> None:
    for ballot, n in counts.items():
        osk_type(page, step(page, step_id).locator(f"input[name='value:{ballot}']"), str(n))
    tick(page, step_id)
    for ballot, n in counts.items():  # every count is shown with the step
        expect(step(page, step_id)).to_contain_text(re.compile(rf"{ballot}\W+{n}\b"))


def phase_done(page: Page, phase: str) -> None:
    expect(page.locator(f"section.phase[data-phase='{phase}']")).to_have_class("phase done")


def do_open_steps(page: Page, day: Day, shot: Any) -> None:
    """Persiapan and Pembukaan: the opening waits for 07.00 on the kiosk clock."""
    for step_id in ("tps_didirikan", "daftar_diumumkan", "logistik"):
        tick(page, step_id)
    osk_type(page, step(page, "mandat_saksi").locator("input[name=value]"), "3")
    tick(page, "mandat_saksi")
    sign_off(page, "persiapan_ditandatangani")
    phase_done(page, "persiapan")
    shot(page, "day-04-persiapan-done")

    clock_step = step(page, "jam_dikonfirmasi")
    expect(clock_step).to_contain_text("Jam kios: 14-02-2024 06:45")
    clock_step.get_by_role("button", name="Jam sudah benar").click()
    expect_done(page, "jam_dikonfirmasi")
    # 06.45: the opening is not open yet and says when it opens.
    expect(step(page, "rapat_dibuka")).to_have_attribute("data-status", "waiting")
    expect(step(page, "rapat_dibuka")).to_contain_text("dibuka pukul 07:00")
    shot(page, "day-05-opening-waits-for-0700")

    day.clock.advance(15 * MINUTE)  # 07.00 sharp
    lanjut(page, "Berikutnya: Ketua KPPS membuka rapat pemungutan suara")
    tick(page, "rapat_dibuka")
    tick(page, "sumpah")
    tick(page, "kotak_kosong")
    per_ballot(page, "surat_suara_diterima", RECEIVED)
    sign_off(page, "pembukaan_ditandatangani")
    phase_done(page, "pembukaan")
    expect(step(page, "rapat_dibuka").locator("small")).to_contain_text("07:00 WITA · Siti Aminah")
    shot(page, "day-06-pembukaan-done")


def enter_chasil(page: Page, boxes: dict[str, int]) -> None:
    """Every box of the sheet in page order: keypad digits, then "Kotak berikutnya"."""
    pad = page.locator("#chasil-form .keypad")
    order = [b.get_attribute("data-box") for b in page.locator("input.box").all()]
    assert set(order) == set(boxes), order
    for name in order:
        assert name is not None
        expect(page.locator("#box-name")).to_have_text(name)
        tap_digits(pad, str(boxes[name]))
        page.get_by_role("button", name="Kotak berikutnya").click()


def scan_and_sign(page: Page, ballot: str) -> None:
    """On the ballot's scan screen: one page from the glass, then the signed document."""
    page.get_by_role("button", name="Pindai satu halaman (kaca)").click()
    expect(page.locator("ol.pages li")).to_have_count(1)
    held = page.locator("ol.pages li.held")
    if held.count():  # the legibility gate held the fake page: use it anyway, audited
        expect(held.locator("p.bad")).not_to_be_empty()
        held.get_by_role("button", name="Tetap gunakan").click()
    else:
        expect(page.locator(".flash").first).to_have_text("1 halaman diterima.")
    expect(page.locator("ol.pages li.held")).to_have_count(0)
    page.get_by_role("button", name="Selesai: buat dokumen bertanda tangan").click()
    page.wait_for_url("**/documents/*")
    expect(page.locator("h1")).to_contain_text(f"{ballot} · Dokumen")


def fake_prints(day: Day, pattern: str) -> set[str]:
    return {p.name for p in (day.data_dir / "simulasi").glob(pattern)}


# The day ------------------------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_a_whole_tps_day_by_touch(page: Page, day: Day, shot: Any) -> None:
    started = time.monotonic()
    page.set_viewport_size({"width": 800, "height": 480})
    page.set_default_timeout(15_000)

    # 1. Login with a tapped card and the PIN, then the first device check of the day. -----------
    page.goto(day.url + "/")
    expect(page.locator(".simulasi-banner")).to_be_visible()
    expect(page.locator(".next-text")).to_contain_text("Masuk: tempelkan kartu petugas")
    page.get_by_role("link", name="Perangkat simulasi").click()
    page.get_by_role("button", name="Tempel kartu: Ketua KPPS").click()
    expect(page.locator("#card-state")).to_have_text("Kartu di pembaca: 04A1B2C3D4E5F6")
    lanjut(page, "Masuk: tempelkan kartu petugas")
    # The login screen sees the card (it polls the reader) and asks for the Ketua's PIN.
    page.wait_for_url("**/login/pin/kpps1**", timeout=10_000)
    expect(page.locator("h1")).to_have_text("Siti Aminah")
    expect(page.locator("main")).to_contain_text("kartu dikenali")
    tap_digits(page.locator(".keypad"), "111111")
    expect(page.locator("#pin-display")).to_have_text("●" * 6)
    shot(page, "day-01-card-login")
    page.get_by_role("button", name="OK").click()
    expect(page.locator(".who")).to_have_text("Siti Aminah · Ketua KPPS")

    lanjut(page, "Periksa perangkat sebelum mulai.")
    page.get_by_role("button", name="Periksa sekarang").click()
    expect(page.locator("#verdict")).to_have_class("ok")
    expect(page.locator("#verdict")).to_contain_text("Siap")
    expect(page.locator(".checks li.bad")).to_have_count(0)
    shot(page, "day-02-selftest")

    # 2. Opening checklist: Persiapan and Pembukaan. ----------------------------------------------
    lanjut(page, "Berikutnya: TPS sudah didirikan")
    expect(page.locator("h1")).to_have_text("Hari pemungutan di TPS")
    shot(page, "day-03-checklist")
    expect(page.locator("section.phase[data-phase='pembukaan'] .steps")).to_have_count(0)
    do_open_steps(page, day, shot)

    # 3. A kejadian khusus, from the red button on every screen. ----------------------------------
    page.locator(".incident-button").click()
    expect(page.locator("input[name=kind][value=kejadian]")).to_be_checked()
    osk_type(page, page.locator("input[name=reporter]"), "Budi Santoso")
    what = "Segel kotak DPD rusak, diganti segel cadangan."
    osk_type(page, page.locator("textarea[name=text]"), what)
    page.get_by_role("button", name="Simpan").click()
    expect(page.locator(".flash")).to_have_text("Tercatat.")
    incident = page.locator("li[data-incident]")
    expect(incident).to_have_count(1)
    expect(incident).to_contain_text(f"07:00 WITA · Kejadian khusus · Budi Santoso: {what}")
    shot(page, "day-07-kejadian-khusus")

    # 4. Pemungutan and Penutupan: the clock moves to 13.00, the reminders appear. ----------------
    lanjut(page, "Berikutnya: Pemungutan suara berjalan")
    tick(page, "pemungutan_berjalan")
    expect(step(page, "pemungutan_ditutup")).to_contain_text("dibuka pukul 13:00")
    day.clock.advance(4 * HOUR)  # 11.00
    page.locator("a.brand").click()
    expect(page.locator(".reminder[data-reminder='11:00']")).to_contain_text("Pemilih DPTb")
    day.clock.advance(HOUR)  # 12.00
    page.reload()
    expect(page.locator(".reminder[data-reminder='12:00']")).to_contain_text("Jam DPK dimulai")
    expect(page.locator(".reminder[data-reminder='11:00']")).to_have_count(0)
    shot(page, "day-08-reminder-1200-dpk")
    day.clock.advance(HOUR)  # 13.00
    lanjut(page, "Berikutnya: Ketua KPPS menutup pemungutan suara")
    expect(page.locator(".reminder[data-reminder='13:00']")).to_contain_text(
        "Pemungutan suara ditutup."
    )
    shot(page, "day-09-reminder-1300-closing")
    sign_off(page, "pemungutan_ditutup")
    phase_done(page, "pemungutan")
    per_ballot(page, "surat_suara_sisa", UNUSED)
    per_ballot(page, "surat_suara_rusak", DAMAGED)
    tick(page, "daftar_hadir")
    sign_off(page, "penutupan_ditandatangani")
    phase_done(page, "penutupan")
    shot(page, "day-10-penutupan-done")

    # 5. Penghitungan: C.Hasil PPWP by touch, a mistake seen and corrected, the Ketua confirms, ---
    #    scan, the signed document, the copies and the distribution receipt.
    day.clock.advance(30 * MINUTE)  # 13.30
    tick(page, "penghitungan_dimulai")
    tick(page, "plano_diisi")
    expect(page.locator("#counting-left")).to_have_text("Sisa waktu hitung: 22 jam 30 menit")
    lanjut(page, "Isi angka C.Hasil PPWP.")
    page.locator("li[data-ballot='PPWP']").get_by_role("link", name="Masukkan angka").click()
    expect(page.locator("h1")).to_contain_text("PPWP")
    wrong = {**GOOD, "SS2": GOOD["SS2"] - 1}  # one ballot too few, on purpose
    enter_chasil(page, wrong)
    rule4 = page.locator("#findings li.bad[data-rule='4']")
    expect(rule4).to_have_text(
        "Jumlah surat suara digunakan (214) tidak sama dengan jumlah pemilih (215)."
    )
    expect(page.locator("input[data-box='SS2']")).to_have_class("box bad")
    shot(page, "day-11-chasil-blocking-error")
    page.locator("input[data-box='SS2']").click()
    pad = page.locator("#chasil-form .keypad")
    pad.locator("button[data-key='clear']").click()
    tap_digits(pad, str(GOOD["SS2"]))
    expect(page.locator("#findings li")).to_have_count(0)  # every finding is gone
    expect(page.locator("input.box.bad")).to_have_count(0)
    page.get_by_role("button", name="Simpan").click()
    expect(page.locator(".flash")).to_have_text("Tersimpan.")
    expect(page.locator("input[data-box='SS2']")).to_have_value(str(GOOD["SS2"]))
    shot(page, "day-12-chasil-saved")

    page.get_by_role("link", name="Kembali").click()
    page.locator("li[data-ballot='PPWP']").get_by_role("link", name="Konfirmasi (Ketua)").click()
    expect(page.locator("main")).to_contain_text("Semua pemeriksaan lolos.")
    page.get_by_role("button", name="Konfirmasi").click()
    expect(page.locator(".flash")).to_have_text("Angka dikonfirmasi.")
    expect(page.locator("#confirmed")).to_have_text(
        "Dikonfirmasi oleh Siti Aminah pukul 13:30 WITA."
    )
    shot(page, "day-13-chasil-confirmed")

    page.locator("#to-scan").click()  # straight on to the scan of this ballot
    scan_and_sign(page, "PPWP")
    shot(page, "day-14-scan")
    expect(page.locator("main")).to_contain_text("1 halaman, ditandatangani oleh kios ini.")

    for saksi in ("Saksi Paslon 01", "Saksi Paslon 02"):  # the saksi present today
        page.locator("label.toggle", has_text=saksi).click()
    page.get_by_role("button", name="Simpan daftar").click()
    present = page.locator("label.toggle:has(input:checked)")
    expect(present.filter(has_text="Saksi Paslon 01")).to_have_count(1)
    expect(present.filter(has_text="Saksi Paslon 03")).to_have_count(0)
    copies = present.count()
    page.get_by_role("button", name="Cetak salinan (A4)").click()
    expect(page.locator(".flash")).to_have_text(f"{copies} salinan dicetak.")
    jobs = page.locator("table.audit tr[data-job]")
    expect(jobs).to_have_count(copies)
    expect(page.locator("table.audit tr.printed")).to_have_count(copies)
    expect(jobs.filter(has_text="Saksi Paslon 02")).to_contain_text("tercetak")
    page.get_by_role("button", name="Cetak tanda terima salinan").click()
    expect(page.locator(".flash")).to_have_text("Tanda terima salinan sudah dicetak dan disimpan.")
    assert len(fake_prints(day, "*.pdf")) == copies + 1  # the copies and the receipt
    shot(page, "day-15-copies-and-receipt")

    # The other ballots the same way (no mistake this time); then the counting can be signed.
    for ballot, boxes in SHEETS.items():
        page.locator("a.brand").click()
        lanjut(page, f"Isi angka C.Hasil {ballot}.")
        page.locator(f"li[data-ballot='{ballot}']").get_by_role(
            "link", name="Masukkan angka"
        ).click()
        enter_chasil(page, boxes)
        expect(page.locator("#findings li")).to_have_count(0)
        page.get_by_role("button", name="Simpan").click()
        page.get_by_role("link", name="Kembali").click()
        page.locator(f"li[data-ballot='{ballot}']").get_by_role(
            "link", name="Konfirmasi (Ketua)"
        ).click()
        page.get_by_role("button", name="Konfirmasi").click()
        expect(page.locator(".flash")).to_have_text("Angka dikonfirmasi.")
        page.locator("#to-scan").click()
        scan_and_sign(page, ballot)

    page.locator("a.brand").click()
    page.get_by_role("link", name="Hari pemungutan di TPS").click()
    tick(page, "foto_plano", "Pindai")
    sign_off(page, "penghitungan_ditandatangani")
    phase_done(page, "penghitungan")
    shot(page, "day-16-penghitungan-done")

    # 6. The queue drains to the training collector through the real upload worker. -------------
    page.locator("a.brand").click()
    page.locator("#queue-link").click()
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
    page.locator("a.brand").click()
    page.get_by_role("link", name="Hari pemungutan di TPS").click()
    tick(page, "salinan_diserahkan")
    tick(page, "kotak_disegel")
    sign_off(page, "penyerahan_ditandatangani")
    phase_done(page, "penyerahan")
    receipts_before = fake_prints(day, "struk-*.png")
    page.get_by_role("button", name="Cetak laporan penutupan").click()
    expect(page.locator(".flash")).to_have_text("Sudah dicetak.")
    shot(page, "day-19-penyerahan-done")
    (closing,) = fake_prints(day, "struk-*.png") - receipts_before
    page.locator("a.brand").click()
    page.get_by_role("link", name="Perangkat simulasi").click()
    newest = page.locator("ul.outputs li").first
    expect(newest.get_by_role("link")).to_have_text(closing)
    expect(newest.locator("img")).to_be_visible()
    shot(page, "day-20-closing-report-printed")

    print(f"the whole day took {time.monotonic() - started:.1f} s")
