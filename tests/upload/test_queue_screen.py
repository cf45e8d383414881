"""The queue screen, its buttons, USB export by touch, and the LEDs that mirror it."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from drivers.gpio import Led, LedState
from kiosk.settings import Settings
from kiosk.upload.lights import QueueLights
from kiosk.upload.outbox import Receipt
from kiosk.upload.queue import NextAction, QueueService
from kiosk.upload.record_outbox import enqueue_record
from kiosk.upload.refusals import UploadProblem
from tests.kiosk.conftest import csrf_token, login
from tests.upload.docs import signed_documents


@pytest.fixture
def media(tmp_path):
    return tmp_path / "media"


@pytest.fixture
def settings(tmp_path, media):
    return Settings.from_values(
        data_dir=tmp_path / "data", hardware="fake", usb_export_root=str(media)
    )


@pytest.fixture(autouse=True)
def documents(app, settings):
    """Three signed documents in the running kiosk's data directory, their jobs queued."""
    return signed_documents(settings.data_dir, 3)


@pytest.fixture
def outbox(app):
    return app.extensions["kiosk"].outbox


def page(client) -> str:
    resp = client.get("/antrian")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def export(client, drive) -> str:
    """Press "Ekspor ke flashdisk" for ``drive``; the screen it comes back to."""
    resp = client.post(
        "/antrian/usb",
        data={"csrf_token": csrf_token(client, "/antrian"), "drive": str(drive)},
        follow_redirects=True,
    )
    return resp.get_data(as_text=True)


def test_the_screen_says_in_words_what_waits_and_until_when(client, outbox):
    login(client, "kpps3")  # an operator Sirekap
    assert "Pengiriman ke server · 3 menunggu" in client.get("/").get_data(as_text=True)
    html = page(client)
    assert 'data-unsent="3"' in html
    assert "3 dokumen belum diterima server." in html
    a, b, c = outbox.jobs()
    outbox.start(a)
    outbox.retry_later(a.id, UploadProblem.NETWORK, "refused", 300)
    outbox.start(b)
    outbox.fail(b.id, UploadProblem.REJECTED, "device_unregistered")
    outbox.sent(c.id, Receipt("7", "ab" * 32, "usb"))
    when = outbox.next_attempt_at(outbox.job(a.id)).strftime("%H:%M WITA")  # the TPS zone
    html = page(client)
    assert f"Tidak ada jaringan — akan dicoba lagi {when}." in html
    assert "Server menolak dokumen ini. Hubungi teknisi" in html
    assert "Diterima server (server sudah punya salinan dari USB)." in html
    assert 'data-unsent="2"' in html
    assert "Traceback" not in html


def test_try_now_makes_every_unsent_document_due_and_is_audited(client, app, outbox):
    login(client, "kpps3")
    a = outbox.jobs()[0]
    outbox.start(a)
    outbox.fail(a.id, UploadProblem.REJECTED, "x")
    resp = client.post("/antrian/coba", data={"csrf_token": csrf_token(client, "/antrian")})
    assert resp.status_code == 302
    assert outbox.job(a.id).state == "pending"
    assert outbox.next_due() is not None
    audit = app.extensions["kiosk"].audit.rows()
    assert audit[0]["kind"] == "upload_retry" and audit[0]["officer"] == "kpps3"


def test_usb_export_by_touch_writes_a_signed_checked_folder(client, app, media, mount_tmpfs):
    login(client, "kpps1")
    assert "Colokkan flashdisk USB" in page(client)
    drive = mount_tmpfs(media / "KPPS_USB", "8m")
    html = page(client)
    assert "Ekspor ke flashdisk KPPS_USB" in html
    said = export(client, drive)
    assert "3 dokumen sudah ditulis dan diperiksa di flashdisk." in said
    (folder,) = drive.iterdir()
    index = json.loads((folder / "index.json").read_text())
    assert len(index["index"]["bundles"]) == 3
    assert index["index"]["tps_code"] == "6474010001005"
    assert re.search(r"Ekspor terakhir: 3 dokumen pukul \d\d:\d\d WITA\.", page(client))


def test_usb_export_says_how_many_result_records_went_with_the_documents(
    client, app, media, mount_tmpfs
):
    # Two confirmations' records not yet sent (the documents' ballots are signed already).
    core = app.extensions["kiosk"].core
    with core.db.write() as conn:
        for seq, ballot in enumerate(("PPWP", "DPD"), 1):
            data = json.dumps({"r": {"tps": "6474010001005", "b": ballot}}).encode()
            key = hashlib.sha256(data).hexdigest()
            wall = "2024-02-14T15:00:00+08:00"
            enqueue_record(conn, core.data_dir, ballot, seq, key, data, False, wall)
    login(client, "kpps1")
    drive = mount_tmpfs(media / "KPPS_USB", "8m")
    wanted = (
        "3 dokumen dan hasil angka dari 2 konfirmasi sudah ditulis dan diperiksa di flashdisk."
        " Bawa ke PPS."
    )
    assert wanted in export(client, drive)
    (folder,) = drive.iterdir()
    assert len(list(folder.glob("record-*.json"))) == 2
    # The last export counts its documents, as it says ("dokumen"), not the records beside them.
    assert re.search(r"Ekspor terakhir: 3 dokumen pukul \d\d:\d\d WITA\.", page(client))


def test_usb_export_to_a_drive_that_is_gone_explains_what_to_do(client, media):
    login(client, "kpps1")
    said = export(client, media / "GONE")
    assert "Flashdisk USB tidak ditemukan. Colokkan, tunggu 5 detik" in said


def test_usb_export_to_a_full_drive_keeps_everything(client, media, mount_tmpfs, outbox):
    login(client, "kpps1")
    drive = mount_tmpfs(media / "SMALL", "64k")
    said = export(client, drive)
    assert "Flashdisk penuh. Gunakan flashdisk lain" in said
    assert outbox.counts().unsent == 3 and outbox.last_export() is None


def test_the_leds_mirror_the_queue(app, outbox):
    panel = app.extensions["kiosk"].devices.panel
    lights = QueueLights(outbox, panel)
    assert lights.tick() == {Led.NETWORK: LedState.OFF, Led.QUEUE: LedState.BLINK}
    assert panel.led_state(Led.QUEUE) is LedState.BLINK
    a, b, c = outbox.jobs()
    outbox.set_uplink(True)
    outbox.start(a)
    assert lights.tick()[Led.NETWORK] is LedState.BLINK  # sending
    outbox.fail(a.id, UploadProblem.REJECTED, "x")
    assert lights.tick() == {Led.NETWORK: LedState.ON, Led.QUEUE: LedState.ON}
    for job in (a, b, c):
        outbox.sent(job.id, Receipt(str(job.id), "cd" * 32))
    assert lights.tick() == {Led.NETWORK: LedState.ON, Led.QUEUE: LedState.OFF}
    assert panel.led_state(Led.QUEUE) is LedState.OFF


def test_the_screen_says_what_a_delivered_document_waits_for(client, outbox):
    login(client, "kpps3")
    a, b, _ = outbox.jobs()
    outbox.start(a)
    outbox.delivered(a.id, "http://127.0.0.1:9/files/a", 1000)
    outbox.await_receipt(a.id, "no receipt yet", 300)
    when = outbox.next_attempt_at(outbox.job(a.id)).strftime("%H:%M WITA")  # the TPS zone
    html = page(client)
    assert f"Terkirim lengkap — menunggu tanda terima server, dicoba lagi {when}." in html
    assert f'data-job="{a.id}" data-state="pending" data-delivered="yes"' in html
    assert "terkirim lengkap, belum ada tanda terima" in html
    for _ in range(5):
        outbox.await_receipt(a.id, "no receipt yet", 300)
    assert "belum ada tanda terima server setelah 6 kali ditanya" in page(client)
    outbox.sent(b.id, Receipt("http://127.0.0.1:9/files/b", "ab" * 32, "tus_completion"))
    assert "Terkirim lengkap; server ini tidak memberi tanda terima" in page(client)
    assert 'data-unsent="2"' in page(client)  # a delivered document still has no receipt


def primary(html: str) -> str:
    """The words of the page's one primary action (the top bar has none)."""
    (found,) = re.findall(r"<(?:a|button)[^>]*\bdata-primary\b[^>]*>([^<]*)<", html)
    return found.strip()


def test_the_primary_action_is_the_one_that_helps_now(client, outbox, media, mount_tmpfs):
    login(client, "kpps1")
    assert primary(page(client)) == "Coba sekarang"  # the server can be asked
    outbox.set_uplink(False, "connection refused")
    assert primary(page(client)) == "Coba sekarang"  # no drive: trying again is what is left
    mount_tmpfs(media / "KPPS_USB", "8m")
    html = page(client)
    assert primary(html) == "Ekspor ke flashdisk KPPS_USB"
    assert "Coba sekarang" in html  # still offered, not primary
    outbox.set_uplink(True)
    assert primary(page(client)) == "Coba sekarang"  # the network is back
    for job in outbox.jobs():
        outbox.sent(job.id, Receipt(str(job.id), "cd" * 32))
    html = page(client)
    assert primary(html) == "Kembali"  # all received: nothing to do here
    assert "Coba sekarang" not in html
    assert "Ekspor ke flashdisk KPPS_USB" in html  # a copy for the PPS can still be made


def test_without_a_server_address_the_drive_is_the_way(app, outbox, media, mount_tmpfs):
    kiosk = app.extensions["kiosk"]
    queue = QueueService(outbox, kiosk.audit, kiosk.core.data_dir, media, profile=None)
    assert not queue.server_configured()
    assert queue.next_action(queue.usb_drives()) is NextAction.HOME  # plug a drive in first
    mount_tmpfs(media / "KPPS_USB", "8m")
    assert queue.next_action(queue.usb_drives()) is NextAction.USB


def test_each_ballot_in_one_row_with_what_it_waits_for(client, outbox):
    login(client, "kpps1")
    a = outbox.jobs()[0]
    outbox.start(a)
    size = outbox.ensure_bundle(a).size
    outbox.progress(a.id, "http://127.0.0.1:9/files/a", size // 4)
    html = page(client)
    rows = re.findall(r"<tr data-job=.*?</tr>", html, re.S)
    assert [re.search(r"<th[^>]*>(\w+)</th>", r)[1] for r in rows] == ["PPWP", "DPR", "DPD"]
    assert 'value="25"' in rows[0] and "25%" in rows[0]  # how far the upload has come
    assert "Sedang dikirim…" in rows[0]
    assert "<progress" not in rows[1] and "Menunggu dikirim." in rows[1]
