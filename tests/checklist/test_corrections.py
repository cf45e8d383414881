"""Mistakes at opening are caught or correctable (issue 16, TOUCH.md "Mistakes"): a typo in the
ballots received is a warning with the expected number (DPT + reserve, rounded up), kept only
with one more tap; a number is changed by anyone until its phase is signed off, then by the
Ketua alone with a reason, in the audit log; and C.Hasil rule 9 reads the corrected count."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from kiosk import create_app
from kiosk.checklist.corrections import ExpectedCount
from kiosk.checklist.refusals import ChecklistCode
from kiosk.clock import ManualClock
from kiosk.refusals import Refused
from kiosk.tps import SAMPLE_PROFILE
from tests.chasil.test_chasil_http import GOOD
from tests.kiosk.conftest import csrf_token, login
from tests.kiosk.day import day_settings

WITA = dt.timezone(dt.timedelta(hours=8))
BALLOTS = ("PPWP", "DPR", "DPD")
EXPECTED = 285  # the sample TPS: DPT 140 + 139 = 279, reserve 2 % of it (5.58) rounded up: 6
TYPO = {"PPWP": 9999, "DPR": 285, "DPD": 285}


@pytest.fixture
def kiosk(tmp_path):
    """A training kiosk at 07.00 on election day, the Persiapan signed and the opening steps
    before the count done; ``kiosk.ketua`` and ``kiosk.anggota`` are logged-in clients."""
    clock = ManualClock(dt.datetime(2024, 2, 14, 6, 30, tzinfo=WITA))
    settings = day_settings(tmp_path / "data")
    app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=clock)
    runtime = app.extensions["kiosk"]
    runtime.ketua, runtime.anggota = app.test_client(), app.test_client()
    login(runtime.ketua, "kpps1")
    login(runtime.anggota, "kpps2")
    for step in ("tps_didirikan", "daftar_diumumkan", "logistik"):
        post(runtime.anggota, step)
    post(runtime.anggota, "mandat_saksi", value="3")
    post(runtime.ketua, "persiapan_ditandatangani")
    post(runtime.ketua, "jam_dikonfirmasi", action="confirm")
    clock.advance(30 * 60)  # 07.00
    for step in ("rapat_dibuka", "sumpah", "kotak_kosong"):
        post(runtime.anggota, step)
    yield runtime
    runtime.close()


def post(client, step, **data):
    resp = client.post(
        f"/checklist/{step}", data={"csrf_token": csrf_token(client, "/checklist/"), **data}
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return resp


def counts(values):
    return {f"value:{b}": str(n) for b, n in values.items()}


def received(kiosk):
    return {b: kiosk.services.checklist.received_at_opening(b) for b in BALLOTS}


def corrections(kiosk):
    return [
        json.loads(r["details"]) | {"officer": r["officer"]}
        for r in kiosk.audit.rows()
        if r["kind"] == "checklist_corrected"
    ]


def rule_9(kiosk, ballot="PPWP"):
    """Rule 9's finding on a good C.Hasil sheet (SS1 = 285), asked of the C.Hasil service."""
    findings = kiosk.services.chasil.check(ballot, dict(GOOD))
    return [f for f in findings if f.rule == 9]


def test_the_expected_count_is_dpt_plus_the_reserve_rounded_up():
    assert ExpectedCount(279, 2.0).count == EXPECTED
    assert ExpectedCount(220, 2.0).count == 225  # 4.4 ballots of reserve are 5
    assert ExpectedCount(250, 2.0).count == 255
    assert ExpectedCount(220, 2.5).reserve_shown == "2.5"


def test_9999_received_is_a_warning_with_the_expected_number(kiosk):
    resp = post(kiosk.anggota, "surat_suara_diterima", **counts(TYPO))
    # Back at the step, with what was typed, the message at the box, and "Simpan juga".
    assert resp.headers["Location"] == "/checklist/step/surat_suara_diterima"
    html = kiosk.anggota.get(resp.headers["Location"]).get_data(as_text=True)
    error = re.search(r'<p class="bad field-error"[^>]*data-field="PPWP">([^<]*)</p>', html)
    assert error and error.group(1) == (
        "Diharapkan sekitar 285 (DPT 279 + cadangan 2 %). Periksa lagi, atau simpan jika "
        "memang begitu."
    )
    assert re.search(r'name="value:PPWP"[^>]*value="9999"[^>]*aria-invalid="true"', html)
    assert re.search(r'name="value:DPR"[^>]*value="285"', html)
    assert 'id="keep"' in html and "Simpan juga" in html
    assert received(kiosk) == dict.fromkeys(BALLOTS)  # nothing recorded yet
    # Looked again and it really is so: one more tap keeps it, and the day goes on.
    resp = post(kiosk.anggota, "surat_suara_diterima", keep="1", **counts(TYPO))
    assert resp.headers["Location"] == "/checklist/step/pembukaan_ditandatangani"
    assert received(kiosk) == TYPO


def test_the_warning_is_the_services_and_names_every_count_off(kiosk):
    checklist = kiosk.services.checklist
    anggota = kiosk.auth.session(_sid(kiosk.anggota))
    with pytest.raises(Refused) as refused:
        checklist.record("surat_suara_diterima", {**TYPO, "DPD": 300}, anggota)
    assert refused.value.code is ChecklistCode.RECEIVED_UNEXPECTED
    assert refused.value.params == {
        "field": "PPWP",
        "fields": "PPWP DPD",
        "expected": EXPECTED,
        "dpt": 279,
        "reserve": "2",
    }
    checklist.record("surat_suara_diterima", dict.fromkeys(BALLOTS, EXPECTED), anggota)
    assert received(kiosk) == dict.fromkeys(BALLOTS, EXPECTED)  # the expected: no warning


def test_a_count_is_changed_before_the_sign_off_by_whoever_ticks(kiosk):
    post(kiosk.anggota, "surat_suara_diterima", keep="1", **counts(TYPO))
    done = kiosk.anggota.get("/checklist/step/surat_suara_diterima").get_data(as_text=True)
    assert 'id="change"' in done and "PPWP 9999" in done
    edit = kiosk.anggota.get("/checklist/step/surat_suara_diterima?ubah=1").get_data(as_text=True)
    assert re.search(r'name="value:PPWP"[^>]*value="9999"', edit)  # the recorded numbers
    assert 'name="reason"' not in edit  # not signed off: no reason asked
    good = dict.fromkeys(BALLOTS, EXPECTED)
    resp = post(kiosk.anggota, "surat_suara_diterima", correct="1", **counts(good))
    assert resp.headers["Location"] == "/checklist/step/surat_suara_diterima"
    assert received(kiosk) == good
    (change,) = corrections(kiosk)
    assert change["officer"] == "kpps2" and change["after_signoff"] is False
    assert change["previous"] == TYPO and change["value"] == good
    # A correction is checked like the first entry: a typo again is warned of.
    post(kiosk.anggota, "surat_suara_diterima", correct="1", **counts(TYPO))
    assert received(kiosk) == good
    # A tick has nothing to change.
    anggota = kiosk.auth.session(_sid(kiosk.anggota))
    with pytest.raises(Refused) as refused:
        kiosk.services.checklist.correct("sumpah", True, anggota)
    assert refused.value.code is ChecklistCode.NOT_CORRECTABLE


def test_after_the_sign_off_only_the_ketua_changes_a_count_with_a_reason(kiosk):
    post(kiosk.anggota, "surat_suara_diterima", keep="1", **counts(TYPO))
    post(kiosk.ketua, "pembukaan_ditandatangani")
    # The typo reaches C.Hasil: a good sheet is refused by rule 9.
    (finding,) = rule_9(kiosk)
    assert finding.blocking and finding.values == {"ss1": GOOD["SS1"], "received": 9999}
    good = dict.fromkeys(BALLOTS, EXPECTED)

    # The Anggota is not offered "Ubah" any more, and a change sent anyway is refused.
    done = kiosk.anggota.get("/checklist/step/surat_suara_diterima").get_data(as_text=True)
    assert 'id="change"' not in done
    assert 'id="change"' in kiosk.ketua.get("/checklist/step/surat_suara_diterima").get_data(
        as_text=True
    )
    post(kiosk.anggota, "surat_suara_diterima", correct="1", reason="salah ketik", **counts(good))
    assert received(kiosk) == TYPO
    assert "hanya Ketua KPPS yang dapat mengubahnya" in kiosk.anggota.get("/").get_data(
        as_text=True
    )
    post(kiosk.ketua, "surat_suara_diterima", correct="1", **counts(good))  # no reason
    assert received(kiosk) == TYPO
    edit = kiosk.ketua.get("/checklist/step/surat_suara_diterima?ubah=1").get_data(as_text=True)
    assert "tulis alasan perubahan" in edit and 'name="reason"' in edit
    assert re.search(r'name="value:PPWP"[^>]*value="285"', edit)  # what was typed, kept
    assert corrections(kiosk) == []

    post(
        kiosk.ketua, "surat_suara_diterima", correct="1", reason="PPWP salah ketik", **counts(good)
    )
    assert received(kiosk) == good
    (change,) = corrections(kiosk)
    assert change["officer"] == "kpps1" and change["after_signoff"] is True
    assert change["reason"] == "PPWP salah ketik" and change["previous"] == TYPO
    assert change["previous_officer"] == "kpps2"
    assert kiosk.audit.verify() is None
    # The audit screen says it in words.
    audit = kiosk.ketua.get("/audit/").get_data(as_text=True)
    assert "Isian langkah hari TPS diubah" in audit and "alasan: PPWP salah ketik" in audit
    # And C.Hasil rule 9 now reads the corrected count: the good sheet passes.
    assert rule_9(kiosk) == []


def _sid(client):
    with client.session_transaction() as sess:
        return sess["sid"]
