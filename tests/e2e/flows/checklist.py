"""The checklist by touch: steps ticked, counts typed, phases signed off."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from kiosk.clock import ManualClock
from tests.e2e.touch import Touch


def lanjut(touch: Touch, says: str) -> None:
    """Home screen: the one next thing to do, then its big green button."""
    page = touch.page
    touch.tap(page.locator("a.brand"))
    expect(page.locator(".next-text")).to_contain_text(says)
    touch.tap(page.locator("#next-button"))


def step(page: Page, step_id: str) -> Locator:
    return page.locator(f"li[data-step='{step_id}']")


def expect_done(page: Page, step_id: str) -> None:
    expect(step(page, step_id)).to_have_attribute("data-status", "done")
    expect(step(page, step_id).locator(".mark")).to_have_text("✔")


def tick(touch: Touch, step_id: str, button: str = "Selesai") -> None:
    touch.tap(step(touch.page, step_id).get_by_role("button", name=button, exact=True))
    expect_done(touch.page, step_id)


def sign_off(touch: Touch, step_id: str) -> None:
    tick(touch, step_id, "Tanda tangani")


def per_ballot(touch: Touch, step_id: str, counts: dict[str, int]) -> None:
    page = touch.page
    for ballot, n in counts.items():
        touch.osk_type(step(page, step_id).locator(f"input[name='value:{ballot}']"), str(n))
    tick(touch, step_id)
    for ballot, n in counts.items():  # every count is shown with the step
        expect(step(page, step_id)).to_contain_text(re.compile(rf"{ballot}\W+{n}\b"))


def phase_done(page: Page, phase: str) -> None:
    expect(page.locator(f"section.phase[data-phase='{phase}']")).to_have_class("phase done")


MINUTE, HOUR = 60, 3600


def opening(touch: Touch, clock: ManualClock, received: dict[str, int]) -> None:
    """From home at 06.45: Persiapan, the clock confirmed, then Pembukaan at 07.00 sharp with the
    ballots received per ballot type."""
    page = touch.page
    lanjut(touch, "Berikutnya: TPS sudah didirikan")
    for step_id in ("tps_didirikan", "daftar_diumumkan", "logistik"):
        tick(touch, step_id)
    touch.osk_type(step(page, "mandat_saksi").locator("input[name=value]"), "3")
    tick(touch, "mandat_saksi")
    sign_off(touch, "persiapan_ditandatangani")
    phase_done(page, "persiapan")
    clock_step = step(page, "jam_dikonfirmasi")
    expect(clock_step).to_contain_text("Jam kios: 14-02-2024 06:45")
    touch.tap(clock_step.get_by_role("button", name="Jam sudah benar"))
    expect_done(page, "jam_dikonfirmasi")
    # 06.45: the opening is not open yet and says when it opens.
    expect(step(page, "rapat_dibuka")).to_have_attribute("data-status", "waiting")
    expect(step(page, "rapat_dibuka")).to_contain_text("dibuka pukul 07:00")
    clock.advance(15 * MINUTE)  # 07.00 sharp
    lanjut(touch, "Berikutnya: Ketua KPPS membuka rapat pemungutan suara")
    tick(touch, "rapat_dibuka")
    tick(touch, "sumpah")
    tick(touch, "kotak_kosong")
    per_ballot(touch, "surat_suara_diterima", received)
    sign_off(touch, "pembukaan_ditandatangani")
    phase_done(page, "pembukaan")
    expect(step(page, "rapat_dibuka").locator("small")).to_contain_text("07:00 WITA · Siti Aminah")


def voting_and_closing(
    touch: Touch, clock: ManualClock, unused: dict[str, int], damaged: dict[str, int]
) -> None:
    """From home after the opening: voting runs, the clock moves to 13.00 with its reminders,
    voting is closed, the Penutupan counts, then counting starts at 13.30."""
    page = touch.page
    lanjut(touch, "Berikutnya: Pemungutan suara berjalan")
    tick(touch, "pemungutan_berjalan")
    expect(step(page, "pemungutan_ditutup")).to_contain_text("dibuka pukul 13:00")
    clock.advance(4 * HOUR)  # 11.00
    touch.tap(page.locator("a.brand"))
    expect(page.locator(".reminder[data-reminder='11:00']")).to_contain_text("Pemilih DPTb")
    clock.advance(HOUR)  # 12.00
    page.reload()
    expect(page.locator(".reminder[data-reminder='12:00']")).to_contain_text("Jam DPK dimulai")
    expect(page.locator(".reminder[data-reminder='11:00']")).to_have_count(0)
    clock.advance(HOUR)  # 13.00
    lanjut(touch, "Berikutnya: Ketua KPPS menutup pemungutan suara")
    expect(page.locator(".reminder[data-reminder='13:00']")).to_contain_text(
        "Pemungutan suara ditutup."
    )
    sign_off(touch, "pemungutan_ditutup")
    phase_done(page, "pemungutan")
    per_ballot(touch, "surat_suara_sisa", unused)
    per_ballot(touch, "surat_suara_rusak", damaged)
    tick(touch, "daftar_hadir")
    sign_off(touch, "penutupan_ditandatangani")
    phase_done(page, "penutupan")
    clock.advance(30 * MINUTE)  # 13.30
    tick(touch, "penghitungan_dimulai")
    tick(touch, "plano_diisi")
    expect(page.locator("#counting-left")).to_have_text("Sisa waktu hitung: 22 jam 30 menit")


def sign_counting(touch: Touch) -> None:
    """From home once every ballot has its signed document: the plano scan, then the Ketua
    signs the counting off."""
    page = touch.page
    touch.tap(page.locator("a.brand"))
    touch.tap(page.get_by_role("link", name="Hari pemungutan di TPS"))
    tick(touch, "foto_plano", "Pindai")
    sign_off(touch, "penghitungan_ditandatangani")
    phase_done(page, "penghitungan")


def hand_over(touch: Touch) -> None:
    """From home: the hand-over to PPS, signed off, then the closing report printed."""
    page = touch.page
    touch.tap(page.locator("a.brand"))
    touch.tap(page.get_by_role("link", name="Hari pemungutan di TPS"))
    tick(touch, "salinan_diserahkan")
    tick(touch, "kotak_disegel")
    sign_off(touch, "penyerahan_ditandatangani")
    phase_done(page, "penyerahan")
    touch.tap(page.get_by_role("button", name="Cetak laporan penutupan"), swipe=True)
    expect(page.locator(".flash")).to_have_text("Sudah dicetak.")
