"""C.Hasil numbers through the HTTP interface: JSON checks, entries, double entry, confirmation."""

from __future__ import annotations

from tests.chasil.test_checks import consistent_boxes
from tests.kiosk.conftest import csrf_token, login

# PPWP in the sample profile has 3 candidate pairs; reserve 2 %, DPT 140 + 139.
GOOD = consistent_boxes(140, 139, (101, 108), (3, 2), (1, 0), (2, 1), [62, 118, 28], 2)


def form(boxes, token):
    return {"csrf_token": token, **{f"box:{k}": str(v) for k, v in boxes.items()}}


def api(client, boxes, ballot="PPWP"):
    token = csrf_token(client)
    return client.post(
        "/api/chasil/check", json={"ballot": ballot, "boxes": boxes}, headers={"X-CSRFToken": token}
    )


def test_api_returns_failed_rules_with_indonesian_messages(client):
    login(client, "kpps2")
    ok = api(client, GOOD).get_json()
    assert ok == {"blocking": False, "findings": [], "sums": {}}
    bad = api(client, {**GOOD, "SS2": GOOD["SS2"] - 1}).get_json()
    assert bad["blocking"] is True
    rule4 = next(f for f in bad["findings"] if f["rule"] == 4)
    assert rule4["severity"] == "blocking"
    assert rule4["message"] == (
        "Jumlah surat suara digunakan (214) tidak sama dengan jumlah pemilih (215)."
    )
    assert set(rule4["boxes"]) == {"SS2", "B4.J"}


def test_api_refuses_malformed_requests(client):
    login(client, "kpps2")
    token = csrf_token(client)
    resp = client.post("/api/chasil/check", data="nonsense", headers={"X-CSRFToken": token})
    assert resp.status_code == 400 and "ballot" in resp.get_json()["error"]
    assert api(client, GOOD, ballot="DPRD_KAB").status_code == 404
    garbage = api(client, {**GOOD, "S": "sepuluh"}).get_json()
    assert any(f["rule"] == 8 and "S" in f["boxes"] for f in garbage["findings"])


def test_api_needs_login_and_csrf(client):
    assert client.post("/api/chasil/check", json={"ballot": "PPWP"}).status_code == 400  # CSRF
    token = csrf_token(client)
    assert (
        client.post(
            "/api/chasil/check", json={"ballot": "PPWP"}, headers={"X-CSRFToken": token}
        ).status_code
        == 401
    )


def test_entry_blocking_error_then_corrected_and_confirmed(client, kiosk):
    login(client, "kpps2")
    token = csrf_token(client, "/chasil/PPWP/1")
    wrong = {**GOOD, "V.0": 620, "S": GOOD["S"] + 558}  # 62 written as 620
    client.post("/chasil/PPWP/1", data=form(wrong, token))
    page = client.get("/chasil/PPWP/1").get_data(as_text=True)
    assert 'data-rule="6"' in page and 'data-rule="13"' in page
    ketua = kiosk_client = client.application.test_client()
    login(ketua, "kpps1")
    ktoken = csrf_token(ketua, "/chasil/PPWP/confirm")
    ketua.post("/chasil/PPWP/confirm", data={"csrf_token": ktoken})
    assert 'id="confirmed"' not in ketua.get("/chasil/PPWP/confirm").get_data(as_text=True)
    client.post("/chasil/PPWP/1", data=form(GOOD, token))
    ketua.post("/chasil/PPWP/confirm", data={"csrf_token": ktoken})
    assert 'id="confirmed"' in kiosk_client.get("/chasil/PPWP/confirm").get_data(as_text=True)
    kinds = [r["kind"] for r in kiosk.audit.rows()]
    assert kinds.count("chasil_entered") == 2 and kinds.count("chasil_confirmed") == 1


def test_warning_needs_a_kejadian_khusus_note(client, kiosk):
    login(client, "kpps1")
    token = csrf_token(client, "/chasil/PPWP/1")
    many_invalid = consistent_boxes(140, 139, (101, 108), (3, 2), (1, 0), (2, 1), [50, 100, 30], 2)
    client.post("/chasil/PPWP/1", data=form(many_invalid, token))
    client.post("/chasil/PPWP/confirm", data={"csrf_token": token})
    assert kiosk.db.read("SELECT count(*) FROM chasil_confirmed")[0][0] == 0
    client.post(
        "/chasil/PPWP/confirm",
        data={"csrf_token": token, "note": "Banyak surat suara dicoblos dua kali."},
    )
    row = kiosk.db.read("SELECT note, findings FROM chasil_confirmed")[0]
    assert row["note"].startswith("Banyak") and "15" in row["findings"]


def test_double_entry_differences_box_by_box(client, kiosk):
    login(client, "kpps2")
    token = csrf_token(client, "/chasil/PPWP/1")
    client.post("/chasil/PPWP/1", data=form(GOOD, token))
    # The same officer may not make the blind second entry.
    client.post("/chasil/PPWP/2", data=form(GOOD, token))
    assert kiosk.db.read("SELECT count(*) FROM chasil_entry WHERE entry_no = 2")[0][0] == 0
    other = client.application.test_client()
    login(other, "kpps3")
    assert 'value="62"' not in other.get("/chasil/PPWP/2").get_data(as_text=True)  # blind
    other.post(
        "/chasil/PPWP/2",
        data=form({**GOOD, "V.1": 119, "T": GOOD["T"] - 1}, csrf_token(other, "/chasil/PPWP/2")),
    )
    found = api(other, GOOD).get_json()["findings"]
    rule16 = next(f for f in found if f["rule"] == 16)
    assert set(rule16["boxes"]) == {"V.1", "T"}
    assert rule16["message"] == "Kedua entri berbeda pada 2 kotak."


def test_anggota_cannot_confirm(client):
    login(client, "kpps2")
    resp = client.post("/chasil/PPWP/confirm", data={"csrf_token": csrf_token(client)})
    assert resp.status_code == 403


def test_training_copies_carry_simulasi(client, kiosk):
    """Demo/training: fake scanner and printers, and SIMULASI on every copy and the receipt."""
    from pypdf import PdfReader

    login(client, "kpps1")
    token = csrf_token(client, "/chasil/PPWP/1")
    client.post("/chasil/PPWP/1", data=form(GOOD, token))
    client.post("/chasil/PPWP/confirm", data={"csrf_token": token})
    client.post("/chasil/PPWP/scan", data={"csrf_token": token, "source": "adf"})
    doc_id = int(
        client.post("/chasil/PPWP/finish", data={"csrf_token": token})
        .headers["Location"]
        .rsplit("/", 1)[1]
    )
    client.get(f"/documents/{doc_id}")
    client.post(f"/documents/{doc_id}/print", data={"csrf_token": token, "printer": "a4"})
    # The saksi arrive: their three copies, still missing, go to the thermal printer.
    present = [r["id"] for r in kiosk.db.read("SELECT id FROM recipient")]
    client.post(f"/documents/{doc_id}/recipients", data={"csrf_token": token, "present": present})
    client.post(f"/documents/{doc_id}/print", data={"csrf_token": token, "printer": "receipt"})
    client.post(f"/documents/{doc_id}/receipt", data={"csrf_token": token})
    printed = kiosk.devices.document_printer.jobs
    assert len(printed) == 5  # 4 fixed recipients + receipt (no saksi ticked yet)
    for job in printed:
        # The watermark is drawn at 45 degrees; pdftotext splits rotated words apart, pypdf
        # reads the text operator as drawn.
        for page in PdfReader(job.path).pages:
            assert "SIMULASI" in page.extract_text()
    assert len(kiosk.devices.receipt_printer.jobs) == 3  # the three saksi
    manifest = (kiosk.settings.data_dir / "documents" / "PPWP").rglob("manifest.json")
    assert '"training": true' in next(manifest).read_text()
