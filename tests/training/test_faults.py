"""Each fault the trainer sets leads the KPPS, when they next print, scan or tap their card, to
the full-screen guidance in Bahasa Indonesia with its one next action."""

from __future__ import annotations

import time

import pytest

from tests.kiosk.conftest import PINS, csrf_token
from tests.training.conftest import KETUA_CARD, guidance, press, signed_document

PAPER_OUT = (
    "Kertas habis",
    "Pasang kertas baru di printer, lalu tekan Ulangi. Hanya salinan yang belum tercetak yang "
    "akan dicetak.",
)
COVER_OPEN = ("Tutup printer terbuka", "Tutup printer dengan rapat, lalu tekan Ulangi.")


def fault_events(kiosk):
    return [
        (r["officer"], r["details"]) for r in kiosk.audit.rows() if r["kind"] == "training_fault"
    ]


@pytest.mark.parametrize(
    ("fault", "printer", "expected"),
    [
        ("receipt_paper_out", "receipt", PAPER_OUT),
        ("receipt_cover_open", "receipt", COVER_OPEN),
        ("a4_paper_out", "a4", PAPER_OUT),
        ("a4_cover_open", "a4", COVER_OPEN),
    ],
)
def test_printer_fault_stops_the_copies_with_guidance_and_retry(
    kiosk, trainer, ketua, fault, printer, expected
):
    doc = signed_document(ketua)
    assert press(trainer, "fault", fault).status_code == 302
    token = csrf_token(ketua, f"/documents/{doc}")
    page = f"/documents/{doc}"
    resp = ketua.post(
        f"{page}/print",
        data={"csrf_token": token, "printer": printer},
        headers={"Referer": page},
    )
    assert resp.status_code == 503
    title, text, buttons = guidance(resp)
    device = {"receipt": "Printer struk", "a4": "Printer A4"}[printer]  # the fault names it
    assert (title, text) == (f"{device}: {expected[0]}", expected[1])
    assert buttons == [(f"{page}/print", "Ulangi")]  # one next action: the same print again
    fake = kiosk.devices.receipt_printer if printer == "receipt" else kiosk.devices.document_printer
    assert fake.jobs == []

    # The trainer puts the printer right; Ulangi prints every copy.
    ready = "receipt_ready" if printer == "receipt" else "a4_ready"
    assert press(trainer, "fault", ready).status_code == 302
    resp = ketua.post(f"{page}/print", data={"csrf_token": token, "printer": printer})
    assert resp.status_code == 302
    assert len(fake.jobs) == 4  # Pengawas TPS, PPS, PPK, public (no saksi ticked)
    assert fault_events(kiosk) == [  # newest first, both by the trainer
        ("pelatih", f'{{"fault": "{ready}"}}'),
        ("pelatih", f'{{"fault": "{fault}"}}'),
    ]


def test_scanner_jam_shows_guidance_then_the_next_scan_works(kiosk, trainer, ketua):
    assert press(trainer, "fault", "scanner_jam").status_code == 302
    assert 'data-state="scanner">pemindaian berikutnya macet' in trainer.get(
        "/pelatih/fault"
    ).get_data(as_text=True)
    page = "/chasil/PPWP/scan"
    token = csrf_token(ketua, page)
    resp = ketua.post(page, data={"csrf_token": token}, headers={"Referer": page})
    assert resp.status_code == 503
    title, text, buttons = guidance(resp)
    assert title == "Pemindai: Kertas macet di pemindai"
    assert text == (
        "Buka pengumpan, tarik lembar keluar dengan hati-hati, pasang kembali, lalu tekan Ulangi."
    )
    assert buttons == [(page, "Ulangi")]
    assert kiosk.db.read("SELECT count(*) FROM scan_page")[0][0] == 0
    assert ketua.post(page, data={"csrf_token": token}).status_code == 302
    assert kiosk.db.read("SELECT count(*) FROM scan_page")[0][0] == 1


def test_the_wrong_sheet_is_fed_once_and_held_as_another_ballots_form(kiosk, trainer, ketua):
    assert press(trainer, "fault", "scanner_wrong_sheet").status_code == 302
    assert 'data-state="scanner">pindaian berikutnya memasukkan lembar surat suara lain' in (
        trainer.get("/pelatih/fault").get_data(as_text=True)
    )
    page = "/chasil/PPWP/scan"
    token = csrf_token(ketua, page)
    for _ in range(2):  # the wrong sheet, then (the fault met) the right one
        assert ketua.post(page, data={"csrf_token": token}).status_code == 302
    rows = kiosk.db.read("SELECT problem, form FROM scan_page ORDER BY id")
    assert [tuple(r) for r in rows] == [("wrong_form", "C.HASIL-DPR"), ("", "C.HASIL-PPWP")]
    assert 'data-state="scanner">siap' in trainer.get("/pelatih/fault").get_data(as_text=True)


def test_paper_differs_in_exactly_one_box_on_the_next_scan_then_back_to_the_sample(
    kiosk, trainer, ketua
):
    """The trainer's "Kertas beda": the next scanned sheet holds the sample's numbers but one
    (the first vote box, its last digit one more: PPWP 62 -> 63); the scan after it is the
    sample again. The flash tells the trainer which box and what is written there."""
    from drivers.scanner import ColorMode
    from drivers.scanner.fake import paper_slip
    from drivers.scanner.realistic import render_realistic
    from drivers.scanner.sample_pages import SAMPLE_SHEETS

    scanner = kiosk.devices.scanner
    delivered = []
    scan = scanner.scan

    def recording(request):
        for image in scan(request):
            delivered.append((request, image))
            yield image

    scanner.scan = recording
    resp = press(trainer, "fault", "scanner_paper_differs")
    assert resp.status_code == 302
    html = trainer.get("/pelatih/fault").get_data(as_text=True)
    assert "Kertas pindaian berikutnya beda dari contoh di satu kotak" in html
    assert "PPWP 62 → 63, DPR 12 → 13, DPD 40 → 41" in html  # the flash
    assert 'data-state="scanner">kertas berikutnya beda' in html
    assert fault_events(kiosk) == [("pelatih", '{"fault": "scanner_paper_differs"}')]

    page = "/chasil/PPWP/scan"
    token = csrf_token(ketua, page)
    for _ in range(2):  # the slipped paper, then the sample again
        assert ketua.post(page, data={"csrf_token": token}).status_code == 302
    assert [r["problem"] for r in kiosk.db.read("SELECT problem FROM scan_page")] == ["", ""]
    assert 'data-state="scanner">siap' in trainer.get("/pelatih/fault").get_data(as_text=True)

    ppwp = SAMPLE_SHEETS[0]
    assert scanner.last_paper_slip == paper_slip(ppwp)
    assert (scanner.last_paper_slip.box, scanner.last_paper_slip.written) == ("V.0", 63)
    (first, slipped), (second, normal) = delivered

    def as_scanned(request, n, numbers=None):
        return render_realistic(
            ppwp,
            request.dpi,
            colour=request.mode is ColorMode.COLOR,
            seed=n,
            width_mm=request.width_mm,
            height_mm=request.height_mm,
            hand="glyphs",
            numbers=numbers,
        )

    written = as_scanned(first, 0, {"V.0": 63})
    assert slipped.tobytes() == written.image.tobytes()
    paper = {n.box: n.value for n in written.numbers}
    assert {b for b, v in paper.items() if v != ppwp.boxes()[b]} == {"V.0"}
    assert normal.tobytes() == as_scanned(second, 1).image.tobytes()


def test_the_trainers_message_names_each_sample_sheets_paper_slip():
    from drivers.scanner.fake import paper_slip
    from drivers.scanner.sample_pages import SAMPLE_SHEETS
    from kiosk.training.faults import Fault
    from kiosk.views.trainer import FAULT_DONE

    message = FAULT_DONE[Fault.SCANNER_PAPER_DIFFERS]._args[0]  # the msgid, before translation
    for sheet in SAMPLE_SHEETS:
        slip = paper_slip(sheet)
        assert f"{slip.ballot} {slip.sample} → {slip.written}" in message


def test_scanner_ready_and_reset_forget_a_pending_paper_slip(kiosk, trainer):
    press(trainer, "fault", "scanner_paper_differs")
    assert kiosk.devices.scanner.paper_differs_next
    press(trainer, "fault", "scanner_ready")
    assert not kiosk.devices.scanner.paper_differs_next
    from kiosk.training.faults import clear_device_faults

    kiosk.devices.scanner.feed_paper_differs()
    clear_device_faults(kiosk.devices)
    assert not kiosk.devices.scanner.paper_differs_next


def wait_until(condition, timeout_s: float = 5.0) -> bool:
    """Wait for the card watch thread to have seen the tap (synchronisation, not timing)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_card_removed_while_read_shows_guidance_once_then_the_card_works(kiosk, trainer, client):
    assert press(trainer, "fault", "card_removed").status_code == 302
    kiosk.devices.card_reader.insert(KETUA_CARD)  # the Ketua taps and pulls it out at once
    assert wait_until(lambda: kiosk.card_watch.failed_read is not None)
    assert client.get("/login/card").get_json() == {"card": None, "failed": True}  # reload

    resp = client.get("/login/")
    assert resp.status_code == 503
    title, text, buttons = guidance(resp)
    assert title == "Pembaca kartu: Kartu dicabut terlalu cepat"
    assert text == "Masukkan kembali kartu dan biarkan sampai nama Anda muncul."
    assert buttons == [("/login/", "Ulangi")]
    assert client.get("/login/").status_code == 200  # shown once, the login screen is back

    kiosk.devices.card_reader.insert(KETUA_CARD)  # Ulangi: the card is read this time
    assert kiosk.card_watch.wait_for(present=True, timeout_s=5)
    resp = client.get("/login/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/login/pin/kpps1")


def test_card_removed_logs_out_the_officer_whose_card_was_on_the_reader(kiosk, trainer, client):
    kiosk.devices.card_reader.insert(KETUA_CARD)
    assert kiosk.card_watch.wait_for(present=True, timeout_s=5)
    token = csrf_token(client, "/login/pin/kpps1")
    client.post(
        "/login/pin/kpps1", data={"csrf_token": token, "pin": PINS["kpps1"], "via_card": "1"}
    )
    assert client.get("/antrian").status_code == 200
    press(trainer, "fault", "card_removed")
    assert kiosk.card_watch.wait_for(present=False, timeout_s=5)
    assert wait_until(lambda: client.get("/antrian").status_code == 302)  # to the login

    def logouts() -> list[str]:
        return [r["details"] for r in kiosk.audit.rows() if r["kind"] == "logout"]

    # The session ends before its audit row is written (two steps): wait for the row too.
    assert wait_until(lambda: bool(logouts()))
    assert '"reason": "card_removed"' in logouts()[0]


def test_panel_shows_each_device_state(trainer):
    press(trainer, "fault", "a4_paper_out")
    press(trainer, "fault", "network_down")
    html = trainer.get("/pelatih/fault").get_data(as_text=True)
    assert 'data-state="document_printer">kertas habis' in html
    assert 'data-state="receipt_printer">siap' in html
    assert 'data-state="network">putus' in html
    assert "SIMULASI" in html
    assert "Traceback" not in html


def test_an_unknown_fault_changes_nothing(kiosk, trainer):
    resp = press(trainer, "fault", "printer_on_fire")
    assert resp.status_code == 302
    assert fault_events(kiosk) == []
