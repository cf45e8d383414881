"""Malformed input to the C.Hasil routes: a refusal with guidance, nothing stored, never a 500."""

from __future__ import annotations

import pytest

from tests.chasil.test_chasil_http import GOOD, form
from tests.kiosk.conftest import csrf_token, login

HUGE = 10**30  # beyond SQLite's INTEGER


def _pngs(kiosk) -> set[str]:
    pages = kiosk.settings.data_dir / "documents" / "pages"
    return {str(p) for p in pages.rglob("*.png")} if pages.exists() else set()


def _kept(kiosk, ballot="PPWP") -> list[int]:
    rows = kiosk.db.read(
        "SELECT id FROM scan_page WHERE ballot = ? AND discarded = 0 ORDER BY position", (ballot,)
    )
    return [r["id"] for r in rows]


def test_a_rescan_replaces_the_page_it_names(client, kiosk):
    login(client, "kpps1")
    token = csrf_token(client, "/chasil/PPWP/scan")
    client.post("/chasil/PPWP/scan", data={"csrf_token": token})
    (first,) = _kept(kiosk)
    resp = client.post("/chasil/PPWP/scan", data={"csrf_token": token, "replace": str(first)})
    assert resp.status_code == 302
    (second,) = _kept(kiosk)
    assert second != first


@pytest.mark.parametrize(
    "replace",
    ["999", "-1", "0", str(HUGE), "9" * 400, "１２", "discarded", "other ballot"],
)
def test_a_rescan_of_a_page_that_is_not_there_is_refused_before_scanning(client, kiosk, replace):
    login(client, "kpps1")
    token = csrf_token(client, "/chasil/PPWP/scan")
    client.post("/chasil/PPWP/scan", data={"csrf_token": token})
    client.post("/chasil/DPD/scan", data={"csrf_token": token})
    if replace == "discarded":
        (page,) = _kept(kiosk)
        client.post(f"/chasil/PPWP/pages/{page}", data={"csrf_token": token, "action": "discard"})
        replace = str(page)
    elif replace == "other ballot":
        (page,) = _kept(kiosk, "DPD")
        replace = str(page)
    files, rows = _pngs(kiosk), kiosk.db.read("SELECT count(*) FROM scan_page")[0][0]
    scans = len(kiosk.audit.rows())

    resp = client.post("/chasil/PPWP/scan", data={"csrf_token": token, "replace": replace})

    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    assert "Halaman ini sudah tidak ada di daftar" in html and "tidak ada yang dipindai" in html
    assert 'href="/chasil/PPWP/scan"' in html  # Ulangi goes back to the scanned pages
    # Nothing scanned, nothing kept, no PNG left on disk without its row.
    assert _pngs(kiosk) == files
    assert kiosk.db.read("SELECT count(*) FROM scan_page")[0][0] == rows
    assert len(kiosk.audit.rows()) == scans


@pytest.mark.parametrize("entry_no", ["0", "3", str(HUGE), "１２"])
def test_only_a_first_and_second_entry_exist(client, kiosk, entry_no):
    login(client, "kpps2")
    token = csrf_token(client, "/chasil/PPWP/1")
    resp = client.post(f"/chasil/PPWP/{entry_no}", data=form(GOOD, token))
    assert resp.status_code == 404
    assert "Halaman tidak ditemukan" in resp.get_data(as_text=True)
    assert kiosk.db.read("SELECT count(*) FROM chasil_entry")[0][0] == 0


def test_a_digit_the_keypad_cannot_type_is_not_a_number(client, kiosk):
    login(client, "kpps2")
    token = csrf_token(client, "/chasil/PPWP/1")
    resp = client.post(
        "/chasil/PPWP/1", data=form({**GOOD, "V.0": "²", "V.1": "١٢", "V.2": "9" * 5000}, token)
    )
    assert resp.status_code == 302
    page = client.get("/chasil/PPWP/1").get_data(as_text=True)
    assert 'data-rule="8"' in page  # "not a whole number" on those boxes


@pytest.mark.parametrize(
    "body",
    [
        "[" * 50_000 + "]" * 50_000,
        '{"ballot": "PPWP", "boxes": ' + '{"a": ' * 50_000 + "1" + "}" * 50_001,
    ],
    ids=["arrays", "objects in boxes"],
)
def test_the_check_api_refuses_json_nested_too_deep(client, body):
    login(client, "kpps2")
    resp = client.post(
        "/api/chasil/check",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": csrf_token(client)},
    )
    assert resp.status_code == 400
    assert "ballot" in resp.get_json()["error"]
