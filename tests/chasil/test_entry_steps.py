"""The C.Hasil entry as step screens, through HTTP: what the kiosk offers (never fills), the
blind second entry refused to the first entry's officer before typing starts, corrections after
the Ketua's confirmation (the Ketua's, with a reason, audited, voiding the confirmation) and
after the signed document (refused), one next action per ballot on the list, and every number
on the confirmation."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import create_app
from kiosk.clock import ManualClock
from kiosk.tps import SAMPLE_PROFILE
from tests.chasil.test_chasil_http import GOOD, api, form
from tests.chasil.test_checks import consistent_boxes
from tests.kiosk.conftest import csrf_token, login
from tests.kiosk.day import day_settings, to_counting

WITA = dt.timezone(dt.timedelta(hours=8))
DPR = {k: v for k, v in GOOD.items() if not k.startswith("V.")} | {
    "P.0": 10,
    "P.0.0": 50,
    "P.0.1": 40,
    "P.1": 5,
    "P.1.0": 100,
    "P.1.1": 2,
    "P.1.2": 1,
}


@pytest.fixture
def counting(tmp_path: Path) -> Iterator[Flask]:
    """A training kiosk at 13.00 with counting begun and the checklist's counts recorded."""
    settings = day_settings(tmp_path / "data")
    clock = ManualClock(dt.datetime(2024, 2, 14, 6, 30, tzinfo=WITA))
    app = create_app(settings, provision_from=SAMPLE_PROFILE, clock=clock)
    to_counting(app, clock)
    yield app
    app.extensions["kiosk"].close()


def officer(app: Flask, officer_id: str) -> FlaskClient:
    client = app.test_client()
    assert login(client, officer_id).status_code == 302
    return client


def page(client: FlaskClient, path: str) -> str:
    resp = client.get(path)
    assert resp.status_code == 200, resp.status_code
    return resp.get_data(as_text=True)


def offers(client: FlaskClient, path: str) -> dict[str, Any]:
    """The entry's offers: box -> {value, source}."""
    match = re.search(r'data-offers="([^"]*)"', page(client, path))
    assert match, "no entry form"
    return dict(json.loads(html.unescape(match.group(1))))


def save(client: FlaskClient, path: str, boxes: dict[str, int], **extra: str) -> str:
    resp = client.post(path, data={**form(boxes, csrf_token(client, "/chasil/")), **extra})
    assert resp.status_code == 302
    return str(resp.headers["Location"])


def confirm(client: FlaskClient, ballot: str, note: str = "") -> None:
    token = csrf_token(client, "/chasil/")
    client.post(f"/chasil/{ballot}/confirm", data={"csrf_token": token, "note": note})


def test_the_entry_offers_what_the_kiosk_knows_and_fills_nothing(counting: Flask) -> None:
    ketua = officer(counting, "kpps1")
    first = offers(ketua, "/chasil/PPWP/1")
    values = {box: o["value"] for box, o in first.items()}
    # A from the DPT, SS1 from the opening count, SS3 and SS4 from the closing counts.
    assert values == {"A.L": 140, "A.P": 139, "A.J": 279, "SS1": 285, "SS3": 2, "SS4": 68}
    assert first["A.L"]["source"] == "dari DPT"
    assert first["SS1"]["source"] == "dihitung saat pembukaan"
    assert first["SS4"]["source"] == "dihitung saat penutupan"
    assert 'value="140"' not in page(ketua, "/chasil/PPWP/1")  # offered, not filled
    # Until a ballot is confirmed, a later one has only what the kiosk knows itself.
    assert "B1.L" not in offers(ketua, "/chasil/DPR/1")
    save(ketua, "/chasil/PPWP/1", GOOD)
    confirm(ketua, "PPWP")
    later = offers(ketua, "/chasil/DPR/1")
    # Rule 14: A, B1 and B3 are the same on every sheet of the TPS; B2 and D may differ.
    shared = {f"{r}.{c}" for r in ("A", "B1", "B3") for c in "LPJ"}
    assert {b for b, o in later.items() if o["source"] == "sama dengan PPWP"} == shared
    assert {b: later[b]["value"] for b in shared} == {b: GOOD[b] for b in shared}
    assert not {"B2.L", "D.L", "B4.J", "SS2", "T"} & set(later)
    # The blind second entry is offered nothing it could copy.
    assert offers(officer(counting, "kpps2"), "/chasil/DPR/2") == {}


def test_sums_are_offered_once_their_parts_are_in(counting: Flask) -> None:
    client = officer(counting, "kpps2")
    parts = {k: v for k, v in GOOD.items() if k not in ("A.J", "B4.L", "B4.P", "B4.J")}
    parts = {k: v for k, v in parts.items() if k not in ("SS2", "S", "U")}
    sums = api(client, parts).get_json()["sums"]
    assert sums == {
        "A.J": 279,
        "B4.L": GOOD["B4.L"],
        "B4.P": GOOD["B4.P"],
        "B4.J": GOOD["B4.J"],  # B1.J + B2.J + B3.J
        "SS2": GOOD["SS2"],  # SS1 - SS3 - SS4
        "S": GOOD["S"],
    }  # U waits for S; T (the check on the votes) is never offered
    sums = api(client, {**parts, "S": 208}).get_json()["sums"]
    assert sums["U"] == 215 and "T" not in sums


def test_the_second_entry_by_the_first_entry_officer_is_refused_before_typing(
    counting: Flask,
) -> None:
    anggota = officer(counting, "kpps2")
    save(anggota, "/chasil/PPWP/1", GOOD)
    refused = page(anggota, "/chasil/PPWP/2")
    assert 'id="chasil-form"' not in refused  # no box to type into
    assert "Anda membuat entri pertama PPWP: entri kedua harus dibuat oleh petugas lain." in (
        refused
    )
    # The next thing to do: another officer logs in.
    assert re.search(r'<button class="big primary" type="submit" data-primary>Keluar', refused)
    assert 'id="chasil-form"' in page(officer(counting, "kpps3"), "/chasil/PPWP/2")


def test_a_correction_after_the_confirmation_is_the_ketuas_with_a_reason(
    counting: Flask,
) -> None:
    kiosk = counting.extensions["kiosk"]
    ketua, anggota = officer(counting, "kpps1"), officer(counting, "kpps2")
    save(anggota, "/chasil/PPWP/1", GOOD)
    confirm(ketua, "PPWP")
    assert "PPWP" in kiosk.services.chasil.confirmed_ballots()
    changed = {**GOOD, "V.0": 61, "V.1": 119}  # two votes moved: still adds up
    entries = "SELECT count(*) FROM chasil_entry WHERE ballot = 'PPWP'"
    before = kiosk.db.read(entries)[0][0]

    # Anyone else is told before typing, and refused on saving.
    assert "hanya Ketua yang dapat mengubahnya" in page(anggota, "/chasil/PPWP/1")
    save(anggota, "/chasil/PPWP/1", changed)
    # The Ketua without a reason: refused; the same numbers again: nothing changes.
    save(ketua, "/chasil/PPWP/1", changed)
    save(ketua, "/chasil/PPWP/1", GOOD)
    assert kiosk.db.read(entries)[0][0] == before
    assert "PPWP" in kiosk.services.chasil.confirmed_ballots()
    assert 'name="reason"' in page(ketua, "/chasil/PPWP/1")  # the review asks why

    # With a reason: saved, audited, and the confirmation is void until the Ketua confirms.
    location = save(ketua, "/chasil/PPWP/1", changed, reason="Salah baca paslon 01 dan 02")
    assert location.endswith("/chasil/PPWP/confirm")
    assert kiosk.db.read(entries)[0][0] == before + 1
    assert "PPWP" not in kiosk.services.chasil.confirmed_ballots()
    row = next(r for r in kiosk.audit.rows() if "reason" in json.loads(r["details"]))
    details = json.loads(row["details"])
    assert row["kind"] == "chasil_entered" and row["officer"] == "kpps1"
    assert details["reason"] == "Salah baca paslon 01 dan 02"
    assert details["voids"] == "confirmation"
    assert "Konfirmasi" in page(ketua, "/chasil/PPWP/confirm")
    confirm(ketua, "PPWP")
    confirmed = kiosk.services.chasil.confirmed("PPWP")
    assert confirmed is not None and confirmed.numbers["V.0"] == 61


def test_numbers_in_a_signed_document_are_not_changed_on_the_kiosk(counting: Flask) -> None:
    kiosk = counting.extensions["kiosk"]
    ketua = officer(counting, "kpps1")
    save(ketua, "/chasil/PPWP/1", GOOD)
    confirm(ketua, "PPWP")
    token = csrf_token(ketua, "/chasil/")
    assert ketua.post("/chasil/PPWP/scan", data={"csrf_token": token}).status_code == 302
    assert ketua.post("/chasil/PPWP/finish", data={"csrf_token": token}).status_code == 302
    refused = page(ketua, "/chasil/PPWP/1")
    assert "sudah ada di dokumen bertanda tangan" in refused
    assert "Catat koreksinya sebagai kejadian khusus" in refused
    assert 'id="chasil-form"' not in refused
    save(ketua, "/chasil/PPWP/1", {**GOOD, "V.0": 61, "V.1": 119}, reason="salah baca")
    assert kiosk.services.chasil.latest("PPWP", 1) == GOOD
    assert "PPWP" in kiosk.services.chasil.confirmed_ballots()


def _rows(text: str) -> dict[str, tuple[str, bool]]:
    """Each ballot row of the list: its action's words and whether it is the primary."""
    out = {}
    for ballot, row in re.findall(r'<li data-ballot="(\w+)"[^>]*>(.*?)</li>', text, re.S):
        link = re.search(r"<a class=\"big( primary)?\"[^>]*>([^<]+)</a>", row)
        out[ballot] = (link.group(2), bool(link.group(1))) if link else ("", False)
    return out


def test_the_list_has_one_next_action_per_ballot(counting: Flask) -> None:
    ketua, anggota, other = (officer(counting, o) for o in ("kpps1", "kpps2", "kpps3"))
    assert _rows(page(ketua, "/chasil/")) == {
        "PPWP": ("Masukkan angka", True),
        "DPR": ("Masukkan angka", False),
        "DPD": ("Masukkan angka", False),
    }
    save(anggota, "/chasil/PPWP/1", GOOD)
    assert _rows(page(ketua, "/chasil/"))["PPWP"] == ("Periksa dan konfirmasi", True)
    # The officer who typed it waits for the Ketua; the next thing is the next ballot.
    assert _rows(page(anggota, "/chasil/"))["PPWP"] == ("", False)
    assert _rows(page(anggota, "/chasil/"))["DPR"] == ("Masukkan angka", True)
    assert _rows(page(other, "/chasil/"))["PPWP"] == ("Entri kedua (pengecekan)", True)
    confirm(ketua, "PPWP")
    assert _rows(page(ketua, "/chasil/"))["PPWP"] == ("Pindai C.Hasil dan buat salinannya", True)


def test_the_confirmation_shows_every_number_and_asks_a_note_only_for_warnings(
    counting: Flask,
) -> None:
    ketua = officer(counting, "kpps1")
    save(ketua, "/chasil/DPR/1", DPR)
    text = page(ketua, "/chasil/DPR/confirm")
    cells = dict(re.findall(r'data-cell="([\w.]+)" title="[^"]*">(\d+)</span>', text))
    assert cells == {box: str(value) for box, value in DPR.items()}
    assert 'name="note"' not in text and "Semua pemeriksaan lolos." in text
    many_invalid = consistent_boxes(140, 139, (101, 108), (3, 2), (1, 0), (2, 1), [50, 100, 30], 2)
    save(ketua, "/chasil/PPWP/1", many_invalid)
    text = page(ketua, "/chasil/PPWP/confirm")
    assert 'name="note"' in text and 'class="cell warn" data-cell="T"' in text
    with ketua.session_transaction() as sess:
        sess["lang"] = "en"
    english = page(ketua, "/chasil/PPWP/confirm")
    assert "Special incident note (required when there are warnings)" in english
