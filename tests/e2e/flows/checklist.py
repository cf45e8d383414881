"""The checklist by touch, one step per screen: each step's one action, the next step following
by itself, counts on the keypad docked beside their boxes, sign-offs that show what they sign."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from kiosk.clock import ManualClock
from tests.e2e.touch import Touch


def lanjut(touch: Touch, says: str) -> None:
    """Home screen: the one next thing to do, then its big green button."""
    page = touch.page
    touch.tap(page.locator("a.brand"))
    expect(page.locator(".next-text")).to_contain_text(says)
    touch.tap(page.locator("#next-button"))


def screen(page: Page, step_id: str) -> Locator:
    """The step's own screen, open for its action."""
    return page.locator(f"section.step-screen[data-step='{step_id}'][data-status='open']")


def tick(touch: Touch, step_id: str, button: str = "Selesai") -> None:
    """The step's one action; the screen moves on to the next step."""
    page = touch.page
    expect(screen(page, step_id)).to_be_visible()
    touch.tap(screen(page, step_id).get_by_role("button", name=button, exact=True))
    expect(screen(page, step_id)).to_have_count(0)


def number(touch: Touch, step_id: str, n: int) -> None:
    """One number on the keypad beside its box, then Simpan."""
    touch.digits(screen(touch.page, step_id).locator(".keypad"), str(n))
    expect(screen(touch.page, step_id).locator("input[name=value]")).to_have_value(str(n))
    tick(touch, step_id, "Simpan")


def per_ballot(touch: Touch, step_id: str, counts: dict[str, int], offered: bool = False) -> None:
    """A count per ballot type. The same count for every type: the offered number in one tap
    (``offered``), else typed once and "Sama untuk semua jenis"."""
    page = touch.page
    here = screen(page, step_id)
    (n,) = set(counts.values())  # the sample day has the same count for every ballot type
    if offered:
        touch.tap(here.locator("#offer-expected"))
    else:
        touch.digits(here.locator(".keypad"), str(n))
        touch.tap(here.get_by_role("button", name="Sama untuk semua jenis"))
    for ballot in counts:
        expect(here.locator(f"input[name='value:{ballot}']")).to_have_value(str(n))
    tick(touch, step_id, "Simpan")


def sign_off(touch: Touch, step_id: str, shows: dict[str, str]) -> None:
    """The phase's sign-off screen lists what is signed (``shows``: entry → text in it); one
    tap signs it."""
    page = touch.page
    for entry, text in shows.items():
        expect(page.locator(f"li[data-entry='{entry}']")).to_contain_text(text)
    expect(page.locator("li[data-entry][data-status='done']")).to_have_count(
        page.locator("li[data-entry]").count()
    )
    tick(touch, step_id, "Tanda tangani")


MINUTE, HOUR = 60, 3600


def opening(touch: Touch, clock: ManualClock, received: dict[str, int]) -> None:
    """From home at 06.45: Persiapan, the clock confirmed, then Pembukaan at 07.00 sharp with the
    ballots received per ballot type."""
    page = touch.page
    lanjut(touch, "Berikutnya: TPS sudah didirikan")
    expect(page.locator(".step-place")).to_have_text("Persiapan · Langkah 1 dari 5")
    for step_id in ("tps_didirikan", "daftar_diumumkan", "logistik"):
        tick(touch, step_id)
    number(touch, "mandat_saksi", 3)
    sign_off(touch, "persiapan_ditandatangani", {"mandat_saksi": "06:45 WITA · Siti Aminah · 3"})
    expect(screen(page, "jam_dikonfirmasi")).to_contain_text("Jam kios: 14-02-2024 06:45")
    tick(touch, "jam_dikonfirmasi", "Jam sudah benar")
    # 06.45: the opening is not open yet; the day's summary says when it opens, with the zone.
    expect(page.locator(".flash")).to_have_text(
        "Tersimpan. Berikutnya, mulai pukul 07:00 WITA: Ketua KPPS membuka rapat pemungutan suara."
    )
    expect(page.locator("li.tile[data-phase='pembukaan']")).to_contain_text("07:00 WITA")
    clock.advance(15 * MINUTE)  # 07.00 sharp
    lanjut(touch, "Berikutnya: Ketua KPPS membuka rapat pemungutan suara")
    tick(touch, "rapat_dibuka")
    tick(touch, "sumpah")
    tick(touch, "kotak_kosong")
    expect(screen(page, "surat_suara_diterima").locator("#offer-expected")).to_contain_text(
        f"{received['PPWP']} untuk semua jenis"
    )
    per_ballot(touch, "surat_suara_diterima", received, offered=True)
    shown = " · ".join(f"{b} {n}" for b, n in received.items())
    sign_off(
        touch,
        "pembukaan_ditandatangani",
        {"rapat_dibuka": "07:00 WITA · Siti Aminah", "surat_suara_diterima": shown},
    )
    expect(screen(page, "pemungutan_berjalan")).to_be_visible()


def voting_and_closing(
    touch: Touch, clock: ManualClock, unused: dict[str, int], damaged: dict[str, int]
) -> None:
    """From home after the opening: voting runs, the clock moves to 13.00 with its reminders,
    voting is closed, the Penutupan counts, then counting starts at 13.30."""
    page = touch.page
    lanjut(touch, "Berikutnya: Pemungutan suara berjalan")
    tick(touch, "pemungutan_berjalan")
    expect(page.locator(".flash")).to_contain_text("mulai pukul 13:00 WITA")
    clock.advance(4 * HOUR)  # 11.00: the reminder on the day's summary, where the step left it
    page.reload()
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
    sign_off(touch, "pemungutan_ditutup", {"pemungutan_berjalan": "Siti Aminah"})
    per_ballot(touch, "surat_suara_sisa", unused)
    per_ballot(touch, "surat_suara_rusak", damaged)
    tick(touch, "daftar_hadir")
    sign_off(
        touch,
        "penutupan_ditandatangani",
        {"surat_suara_sisa": " · ".join(f"{b} {n}" for b, n in unused.items())},
    )
    clock.advance(30 * MINUTE)  # 13.30
    tick(touch, "penghitungan_dimulai")
    tick(touch, "plano_diisi")
    expect(page.locator("#counting-left")).to_have_text("Sisa waktu hitung: 22 jam 30 menit")


def sign_counting(touch: Touch) -> None:
    """From home once every ballot has its signed document: the plano scan, then the Ketua
    signs the counting off."""
    lanjut(touch, "Berikutnya: C.Hasil plano dipindai")
    tick(touch, "foto_plano", "Pindai")
    sign_off(touch, "penghitungan_ditandatangani", {"foto_plano": "#"})


def hand_over(touch: Touch) -> None:
    """From home: the hand-over to PPS, signed off, then the closing report printed from the
    day's summary, where the last sign-off leads."""
    page = touch.page
    lanjut(touch, "Berikutnya: Salinan C.Hasil diserahkan")
    tick(touch, "salinan_diserahkan")
    tick(touch, "kotak_disegel")
    sign_off(touch, "penyerahan_ditandatangani", {"kotak_disegel": "Siti Aminah"})
    expect(page.locator("li.tile.done")).to_have_count(6)
    touch.tap(page.get_by_role("button", name="Cetak laporan penutupan"))
    expect(page.locator(".flash")).to_have_text("Sudah dicetak.")
