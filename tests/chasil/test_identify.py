"""Every scanned page is identified from its printed title (Tesseract), and a page of another
ballot's form, or of no form the kiosk can read, is held before anything is signed; keeping it
anyway takes a reason, which is audited."""

from __future__ import annotations

import json

import pytest

from drivers.scanner.realistic import render_realistic, sheet_named
from kiosk.chasil import identify as identify_module
from kiosk.chasil.identify import FormProblem, identify, match_title
from kiosk.chasil.legibility import assess
from kiosk.chasil.refusals import DocumentCode
from kiosk.forms import shipped_forms
from kiosk.refusals import Refused
from tests.chasil.test_chasil_http import GOOD
from tests.chasil.test_services import _as
from tests.kiosk.conftest import csrf_token, login

FORMS = shipped_forms()


def _form(ballot: str):
    return next(f for f in FORMS if f.ballot == ballot)


@pytest.mark.parametrize(
    ("ballot", "dpi", "pen", "seed"),
    [
        ("PPWP", 300, "ballpoint", 1),
        ("DPR", 300, "pencil", 2),
        ("DPD", 200, "ballpoint", 3),
        ("DPR", 200, "pencil", 4),
    ],
)
def test_a_realistic_page_is_identified_by_its_title(ballot, dpi, pen, seed):
    page = render_realistic(sheet_named(ballot), dpi, pen=pen, seed=seed).image
    found = identify(page, assess(page).skew_deg, dpi, FORMS)
    assert found.form is not None, found.text
    assert found.form.model == f"C.HASIL-{ballot}"


def test_a_title_is_matched_despite_a_misread_letter_but_never_between_two_forms():
    assert match_title("MODEL C.HASIL-DPR\nSERTIFIKAT", FORMS) == _form("DPR")
    assert match_title("M0DEL C HASIL-DPD", FORMS) == _form("DPD")  # O read as 0
    assert match_title("MODEL C.HASIL-PPWP TPS 005", FORMS) == _form("PPWP")
    assert match_title("DAFTAR HADIR PEMILIH", FORMS) is None  # not a C.Hasil page
    assert match_title("", FORMS) is None
    # "DP?" could be DPR or DPD: no form wins clearly, so none is named.
    assert match_title("MODEL C.HASIL-DP", FORMS) is None


def _confirmed(kiosk):
    s, ketua = kiosk.services, _as(kiosk, "kpps1")
    s.chasil.save_entry("PPWP", 1, dict(GOOD), ketua)
    s.chasil.confirm("PPWP", ketua, "")
    return s, ketua


def test_another_ballots_sheet_is_held_and_kept_only_with_a_reason(kiosk):
    s, ketua = _confirmed(kiosk)
    kiosk.devices.scanner.feed_wrong_sheet()  # the trainer's "Lembar salah"
    s.documents.scan("PPWP", ketua, feeder=False)
    (page,) = s.documents.pages("PPWP")
    assert (page.problem, page.form) == (FormProblem.WRONG_FORM.value, "C.HASIL-DPR")
    with pytest.raises(Refused) as refused:
        s.documents.finish("PPWP", ketua)  # nothing is signed while a page is held
    assert refused.value.code is DocumentCode.PAGES_NOT_READY
    for reason in ("", "ok", "   sudah    "):
        with pytest.raises(Refused) as refused:
            s.documents.use_anyway(page.id, ketua, reason)
        assert refused.value.code is DocumentCode.REASON_NEEDED
    assert s.documents.pages("PPWP")[0].problem == FormProblem.WRONG_FORM.value
    s.documents.use_anyway(page.id, ketua, "Judul tercetak salah oleh percetakan")
    assert s.documents.pages("PPWP")[0].problem == ""
    kept = [r for r in kiosk.audit.rows() if r["kind"] == "scan" and "override" in r["details"]]
    details = json.loads(kept[-1]["details"])
    assert details["override"] == "wrong_form" and details["form"] == "C.HASIL-DPR"
    assert details["reason"] == "Judul tercetak salah oleh percetakan"
    doc = s.documents.finish("PPWP", ketua)
    manifest = json.loads(doc.manifest.read_text())["manifest"]
    assert [p["form"] for p in manifest["pages"]] == ["C.HASIL-DPR"]


def test_the_right_sheet_passes_and_the_manifest_names_its_form(kiosk):
    s, ketua = _confirmed(kiosk)
    s.documents.scan("PPWP", ketua, feeder=True)
    pages = s.documents.pages("PPWP")
    assert [(p.problem, p.form) for p in pages] == [("", "C.HASIL-PPWP")] * len(pages)
    doc = s.documents.finish("PPWP", ketua)
    manifest = json.loads(doc.manifest.read_text())["manifest"]
    assert {p["form"] for p in manifest["pages"]} == {"C.HASIL-PPWP"}


def test_without_tesseract_a_page_is_held_as_not_identified(kiosk, monkeypatch):
    monkeypatch.setattr(identify_module, "TESSERACT", "/nonexistent/tesseract")
    s, ketua = _confirmed(kiosk)
    s.documents.scan("PPWP", ketua, feeder=False)
    (page,) = s.documents.pages("PPWP")
    assert (page.problem, page.form) == (FormProblem.NOT_IDENTIFIED.value, "")


def test_the_scan_screen_says_which_sheet_it_is_and_the_reason_screen_asks_why(client, kiosk):
    kiosk.devices.scanner.feed_wrong_sheet()
    login(client, "kpps2")
    token = csrf_token(client, "/chasil/PPWP/scan")
    client.post("/chasil/PPWP/scan", data={"csrf_token": token, "source": "flatbed"})
    (page,) = kiosk.services.documents.pages("PPWP")
    html = client.get("/chasil/PPWP/scan").get_data(as_text=True)
    assert (
        "Lembar ini C.HASIL-DPR, bukan lembar PPWP. Ambil lembar C.Hasil PPWP lalu pindai." in html
    )
    use = f"/chasil/PPWP/pages/{page.id}/use"
    assert f'href="{use}"' in html  # "Tetap gunakan" asks for the reason first
    html = client.get(use).get_data(as_text=True)
    assert 'data-screen="scan-use"' in html and 'name="reason"' in html
    resp = client.post(f"/chasil/PPWP/pages/{page.id}", data={"csrf_token": token, "action": "use"})
    assert resp.status_code == 200
    assert "tulis alasannya (minimal 10 huruf)" in resp.get_data(as_text=True)
    assert kiosk.services.documents.pages("PPWP")[0].problem == "wrong_form"
    resp = client.post(
        f"/chasil/PPWP/pages/{page.id}",
        data={"csrf_token": token, "action": "use", "reason": "Lembar PPWP dicetak ulang PPS"},
    )
    assert resp.status_code == 302
    assert kiosk.services.documents.pages("PPWP")[0].problem == ""
