"""Who receives a copy is decided per ballot and confirmed on save; recipients ticked after a
print run started get their copy on the next run, exactly one, and the distribution receipt
lists them; nobody already printed gets a second original (a reprint stays its own action).
The copies screen is three steps: who receives a copy, print, the receipt."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from kiosk.db import MIGRATIONS, Database
from tests.chasil import test_copies
from tests.chasil.test_checks import consistent_boxes
from tests.chasil.test_copies import FIXED, print_on, signed
from tests.kiosk.conftest import PINS

# The copies' kiosk: fake devices in training, the clock at 13:05 WITA on election day.
app, kiosk, ketua = test_copies.app, test_copies.kiosk, test_copies.ketua

# DPD in the sample profile: four candidates, the same voters and ballots as PPWP's sheet.
DPD = consistent_boxes(140, 139, (101, 108), (3, 2), (1, 0), (2, 1), [62, 118, 20, 8], 2)


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def recipients(kiosk, ballot: str) -> dict[str, int]:
    rows = kiosk.db.read(
        "SELECT id, name FROM recipient WHERE ballot = ? ORDER BY position", (ballot,)
    )
    return {r["name"]: r["id"] for r in rows}


def save(client, kiosk, doc_id: int, token: str, ballot: str, *names: str):
    """Save ``ballot``'s list with exactly the fixed recipients and ``names`` present; the
    response followed to the screen it leads to."""
    ids = recipients(kiosk, ballot)
    present = [ids[n] for n in (*FIXED, *names)]
    resp = client.post(
        f"/documents/{doc_id}/recipients", data={"csrf_token": token, "present": present}
    )
    assert resp.status_code == 302, resp.data[:300]
    assert resp.headers["Location"].endswith(f"/documents/{doc_id}?step=2")
    return client.get(resp.headers["Location"]).get_data(as_text=True)


def flash(html: str) -> list[str]:
    return re.findall(r'<p class="flash" role="status">(.*?)</p>', html)


def signed_dpd(kiosk) -> int:
    s = kiosk.services
    ketua = s.auth.login("kpps1", PINS["kpps1"], None)
    s.chasil.save_entry("DPD", 1, dict(DPD), ketua)
    s.chasil.confirm("DPD", ketua, "Catatan.")
    s.documents.scan("DPD", ketua, feeder=False)
    return s.documents.finish("DPD", ketua).id


def printed(kiosk, doc_id: int) -> list[str]:
    rows = kiosk.db.read(
        "SELECT recipient FROM print_job WHERE document_id = ? AND state = 'printed' ORDER BY id",
        (doc_id,),
    )
    return [r["recipient"] for r in rows]


# Per ballot ---------------------------------------------------------------------------------------
def test_each_ballot_has_its_own_list_of_recipients(ketua, kiosk):
    ppwp, token = signed(ketua)
    dpd = signed_dpd(kiosk)
    ppwp_page = ketua.get(f"/documents/{ppwp}").get_data(as_text=True)
    dpd_page = ketua.get(f"/documents/{dpd}").get_data(as_text=True)
    # Each ballot's own saksi, then the fixed recipients.
    assert list(recipients(kiosk, "PPWP")) == [f"Saksi Paslon 0{n}" for n in (1, 2, 3)] + FIXED
    assert list(recipients(kiosk, "DPD")) == [f"Saksi Calon {n}" for n in (1, 2, 3, 4)] + FIXED
    assert "Saksi Paslon 01" in ppwp_page and "Saksi Paslon 01" not in dpd_page
    assert "Saksi Calon 4" in dpd_page

    # Ticking PPWP's saksi leaves DPD's list as it was.
    save(ketua, kiosk, ppwp, token, "PPWP", "Saksi Paslon 02")
    ticked = kiosk.db.read("SELECT ballot, name FROM recipient WHERE present = 1")
    assert {(r["ballot"], r["name"]) for r in ticked} == {
        ("PPWP", "Saksi Paslon 02"),
        *(("PPWP", n) for n in FIXED),
        *(("DPD", n) for n in FIXED),
    }
    # DPD's copies go to DPD's list only.
    print_on(ketua, dpd, token, "a4")
    assert printed(kiosk, dpd) == FIXED
    # A recipient of another ballot is not on this ballot's list: refused, nothing changed.
    before = [tuple(r) for r in kiosk.db.read("SELECT * FROM recipient ORDER BY id")]
    other = recipients(kiosk, "DPD")["Saksi Calon 1"]
    resp = ketua.post(f"/documents/{ppwp}/recipients", data={"csrf_token": token, "present": other})
    assert resp.status_code == 400
    assert [tuple(r) for r in kiosk.db.read("SELECT * FROM recipient ORDER BY id")] == before


def test_saving_the_list_says_how_many_copies_will_be_printed(ketua, kiosk):
    doc, token = signed(ketua)
    ketua.get(f"/documents/{doc}")
    html = save(ketua, kiosk, doc, token, "PPWP", "Saksi Paslon 01", "Saksi Paslon 03")
    assert flash(html)[-1:] == ["Daftar penerima PPWP disimpan: 6 salinan akan dicetak."]
    assert 'data-screen="document-2"' in html and "Langkah 2 dari 3" in html
    assert "0 dari 6 salinan sudah dicetak." in html
    print_on(ketua, doc, token, "a4")
    html = save(ketua, kiosk, doc, token, "PPWP", "Saksi Paslon 01", "Saksi Paslon 03")
    assert flash(html)[-1:] == ["Daftar penerima PPWP disimpan: semua salinan sudah dicetak."]
    assert "6 dari 6 salinan sudah dicetak." in html


# Late recipients ----------------------------------------------------------------------------------
def test_a_saksi_added_after_printing_gets_exactly_one_copy_and_is_on_the_receipt(ketua, kiosk):
    doc, token = signed(ketua)
    ketua.get(f"/documents/{doc}")
    save(ketua, kiosk, doc, token, "PPWP", "Saksi Paslon 01")
    resp = print_on(ketua, doc, token, "a4")
    assert resp.headers["Location"].endswith("?step=3")  # every copy printed: the receipt next
    a4 = kiosk.devices.document_printer
    assert len(a4.jobs) == 5

    # Saksi Paslon 02 arrives after the run: saving says one copy, printing prints one.
    html = save(ketua, kiosk, doc, token, "PPWP", "Saksi Paslon 01", "Saksi Paslon 02")
    assert flash(html)[-1:] == ["Daftar penerima PPWP disimpan: 1 salinan akan dicetak."]
    assert re.search(r'data-waiting="Saksi Paslon 02"', html)
    resp = print_on(ketua, doc, token, "a4")
    assert "1 salinan dicetak." in ketua.get(resp.headers["Location"]).get_data(as_text=True)
    assert len(a4.jobs) == 6
    assert "Salinan 6 dari 6 untuk Saksi Paslon 02" in pdf_text(a4.jobs[-1].path)

    # Print again, on either printer: nobody already printed gets a second original.
    print_on(ketua, doc, token, "a4")
    print_on(ketua, doc, token, "receipt")
    assert len(a4.jobs) == 6 and kiosk.devices.receipt_printer.jobs == []
    names = printed(kiosk, doc)
    assert sorted(names) == sorted([*FIXED, "Saksi Paslon 01", "Saksi Paslon 02"])

    # The receipt lists the late saksi, each recipient once.
    resp = ketua.post(f"/documents/{doc}/receipt", data={"csrf_token": token})
    assert resp.headers["Location"].endswith("?step=3&receipt=1")
    text = pdf_text(a4.jobs[-1].path)
    listed = re.findall(r"Salinan \d+ dari \d+ · (.+?) · Printer A4", text)
    assert sorted(listed) == sorted(names)
    assert "Saksi Paslon 02" in listed


def test_a_reprint_stays_an_explicit_action(ketua, kiosk):
    doc, token = signed(ketua)
    print_on(ketua, doc, token, "a4")
    first = kiosk.db.read("SELECT id FROM print_job WHERE document_id = ? ORDER BY id", (doc,))
    resp = ketua.post(f"/documents/{doc}/reprint/{first[0]['id']}", data={"csrf_token": token})
    assert resp.headers["Location"].endswith("?step=2")
    assert len(kiosk.devices.document_printer.jobs) == 5
    html = ketua.get(resp.headers["Location"]).get_data(as_text=True)
    assert "4 dari 4 salinan sudah dicetak." in html  # a reprint is no further copy


# The three steps ----------------------------------------------------------------------------------
def test_the_copies_are_three_steps_with_one_primary_action_each(ketua, kiosk):
    doc, token = signed(ketua)
    primaries = {}
    for step in (1, 2, 3):
        html = ketua.get(f"/documents/{doc}?step={step}").get_data(as_text=True)
        assert f"Langkah {step} dari 3" in html
        assert html.count("data-primary") == 1
        primaries[step] = re.search(r"<[^>]*data-primary[^>]*>([^<]*)<", html).group(1)
    assert primaries == {
        1: "Simpan daftar",
        2: "Cetak salinan (A4)",
        3: "Cetak salinan",  # nothing printed yet: the copies come before the receipt
    }
    print_on(ketua, doc, token, "a4")
    html = ketua.get(f"/documents/{doc}?step=2").get_data(as_text=True)
    assert "Berikutnya: Tanda terima salinan" in html and "Cetak salinan (A4)" not in html
    html = ketua.get(f"/documents/{doc}?step=3").get_data(as_text=True)
    assert re.search(r"data-primary>Cetak tanda terima salinan<", html)
    assert ketua.get(f"/documents/{doc}?step=9").status_code == 200  # step 1 again


# Migration ----------------------------------------------------------------------------------------
def _step_of_recipients_per_ballot() -> int:
    return next(
        i for i, step in enumerate(MIGRATIONS) if any("recipient_of_ballot" in s for s in step)
    )


def test_migration_gives_the_shared_list_to_each_ballot_with_a_document(tmp_path):
    step = _step_of_recipients_per_ballot()
    conn = sqlite3.connect(tmp_path / "kiosk.sqlite3")
    for statements in MIGRATIONS[:step]:
        for statement in statements:
            conn.execute(statement)
    for doc_id, ballot in ((1, "PPWP"), (2, "DPR"), (3, "PPWP")):
        conn.execute(
            "INSERT INTO document (id, ballot, folder, pdf_sha256, manifest_sha256, pages,"
            " training, created_wall) VALUES (?, ?, '/x', 'a', 'b', 1, 0, '')",
            (doc_id, ballot),
        )
    for position, (name, present) in enumerate((("Saksi Paslon 01", 1), ("PPS", 0))):
        conn.execute(
            "INSERT INTO recipient (name, present, position) VALUES (?, ?, ?)",
            (name, present, position),
        )
    conn.execute(f"PRAGMA user_version = {step}")
    conn.commit()
    conn.close()
    db = Database(tmp_path / "kiosk.sqlite3")
    assert db.migrate() == step
    rows = db.read(
        "SELECT ballot, name, present, position FROM recipient ORDER BY ballot, position"
    )
    assert [tuple(r) for r in rows] == [
        ("DPR", "Saksi Paslon 01", 1, 0),
        ("DPR", "PPS", 0, 1),
        ("PPWP", "Saksi Paslon 01", 1, 0),
        ("PPWP", "PPS", 0, 1),
    ]
    with pytest.raises(sqlite3.IntegrityError), db.write() as c:  # one name once per ballot
        c.execute("INSERT INTO recipient (ballot, name, position) VALUES ('DPR', 'PPS', 9)")
    with db.write() as c:  # ... but the same name on another ballot's list
        c.execute("INSERT INTO recipient (ballot, name, position) VALUES ('DPD', 'PPS', 0)")
    db.close()


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_step_speaks_one_language(ketua, kiosk, language):
    from tests.kiosk.test_languages import _officer_ids, leaks, visible_text, vocabularies

    doc, token = signed(ketua)
    ketua.get(f"/documents/{doc}")
    save(ketua, kiosk, doc, token, "PPWP", "Saksi Paslon 01")
    print_on(ketua, doc, token, "a4")  # some copies printed ...
    save(ketua, kiosk, doc, token, "PPWP", "Saksi Paslon 01", "Saksi Paslon 02")  # ... one not
    with ketua.session_transaction() as sess:
        sess["lang"] = language
    english, indonesian = vocabularies()
    foreign = english if language == "id" else indonesian
    found = []
    for url in (f"/documents/{doc}?step={n}" for n in (1, 2, 3)):
        text = visible_text(ketua.get(url).get_data(as_text=True))
        found += [f"{url}: {leak}" for leak in leaks(text, foreign, _officer_ids())]
    assert not found, "\n".join(found)
