"""The scan screen shows one page at a time (the newest, or the one chosen on the strip of
numbered chips), says where it is ("Halaman 2 dari 3"), keeps the gate's reason beside a held
page, and offers the one next thing: rescan a held page, scan the next page while the numbers
wait for the Ketua, else make the signed document."""

from __future__ import annotations

import re

from PIL import ImageFilter

from tests.chasil.test_chasil_http import GOOD
from tests.kiosk.conftest import PINS, csrf_token, login

SCAN = "/chasil/PPWP/scan"


def _ketua(kiosk):
    return kiosk.services.auth.login("kpps1", PINS["kpps1"], None)


def _confirm(kiosk) -> None:
    s, ketua = kiosk.services, _ketua(kiosk)
    s.chasil.save_entry("PPWP", 1, dict(GOOD), ketua)
    s.chasil.confirm("PPWP", ketua, "")


def _ids(kiosk) -> list[int]:
    rows = kiosk.db.read("SELECT id FROM scan_page WHERE discarded = 0 ORDER BY position")
    return [r["id"] for r in rows]


def _primary(html: str) -> str:
    (label,) = re.findall(r"<[^>]*data-primary[^>]*>([^<]*)<", html)
    return label


def _shown(html: str) -> int:
    return int(re.search(r'data-screen="scan-page" data-page="(\d+)"', html).group(1))


def test_an_empty_scan_screen_offers_the_first_page(client, kiosk):
    login(client, "kpps1")
    html = client.get(SCAN).get_data(as_text=True)
    assert 'data-screen="scan-empty"' in html
    assert _primary(html) == "Pindai satu halaman (kaca)"
    assert "Letakkan halaman 1 C.Hasil PPWP menghadap ke bawah di kaca pemindai" in html


def test_one_page_at_a_time_newest_first_and_any_page_from_the_strip(client, kiosk):
    login(client, "kpps1")
    _confirm(kiosk)
    token = csrf_token(client, SCAN)
    assert client.post(SCAN, data={"csrf_token": token, "source": "adf"}).status_code == 302
    first, second = _ids(kiosk)
    html = client.get(SCAN).get_data(as_text=True)
    assert "PPWP · Halaman 2 dari 2" in html and _shown(html) == second
    assert f'src="/chasil/PPWP/pages/{second}.png"' in html
    assert f'src="/chasil/PPWP/pages/{first}.png"' not in html  # one page, not a list
    chips = re.findall(r'href="/chasil/PPWP/scan\?page=(\d+)" data-chip="(\d)"', html)
    assert chips == [(str(first), "1"), (str(second), "2")]
    assert _primary(html) == "Selesai: buat dokumen bertanda tangan"
    assert "Pindai halaman berikutnya" in html

    html = client.get(f"{SCAN}?page={first}").get_data(as_text=True)
    assert "Halaman 1 dari 2" in html and _shown(html) == first
    # A page that is gone (or never was) falls back to the newest.
    assert _shown(client.get(f"{SCAN}?page=999999").get_data(as_text=True)) == second


def test_the_document_waits_for_the_ketua_and_says_so(client, kiosk):
    login(client, "kpps1")
    token = csrf_token(client, SCAN)
    client.post(SCAN, data={"csrf_token": token, "source": "flatbed"})
    html = client.get(SCAN).get_data(as_text=True)
    assert "Selesai: buat dokumen bertanda tangan" not in html
    assert "Ketua KPPS mengonfirmasi angka sebelum dokumen dibuat." in html
    assert _primary(html) == "Pindai halaman berikutnya"


def test_a_held_page_shows_its_reason_beside_it_and_asks_for_a_rescan(client, kiosk):
    login(client, "kpps1")
    _confirm(kiosk)
    token = csrf_token(client, SCAN)
    scanner = kiosk.devices.scanner
    original = scanner.scan
    scanner.scan = lambda request: iter(
        [p.filter(ImageFilter.GaussianBlur(6)) for p in original(request)]
    )
    client.post(SCAN, data={"csrf_token": token, "source": "flatbed"})
    scanner.scan = original
    (held,) = _ids(kiosk)
    html = client.get(SCAN).get_data(as_text=True)
    assert re.search(r'<p class="hold bad" role="alert">Halaman kabur', html)
    assert 'class="preview held"' in html and 'class="chip current held"' in html
    assert _primary(html) == "Pindai ulang halaman ini"
    assert "Tetap gunakan" in html and "Selesai: buat dokumen" not in html

    resp = client.post(f"/chasil/PPWP/pages/{held}", data={"csrf_token": token, "action": "use"})
    assert resp.headers["Location"].endswith(f"{SCAN}?page={held}")
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "hold bad" not in html
    assert _primary(html) == "Selesai: buat dokumen bertanda tangan"


def test_discard_shows_the_neighbour_and_move_keeps_the_page(client, kiosk):
    login(client, "kpps1")
    token = csrf_token(client, SCAN)
    for _ in range(3):
        client.post(SCAN, data={"csrf_token": token, "source": "flatbed"})
    a, b, c = _ids(kiosk)

    def act(page: int, action: str) -> str:
        resp = client.post(
            f"/chasil/PPWP/pages/{page}", data={"csrf_token": token, "action": action}
        )
        assert resp.status_code == 302
        return resp.headers["Location"]

    assert act(c, "up").endswith(f"?page={c}")
    assert _ids(kiosk) == [a, c, b]
    html = client.get(f"{SCAN}?page={c}").get_data(as_text=True)
    assert "Halaman 2 dari 3" in html
    assert act(a, "discard").endswith(f"?page={c}")  # the next page takes its place
    assert act(b, "discard").endswith(f"?page={c}")  # the last one: the one before
    assert act(c, "discard").endswith(SCAN)  # none left
    assert 'data-screen="scan-empty"' in client.get(SCAN).get_data(as_text=True)
