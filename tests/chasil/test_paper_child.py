"""A copy whose paper child dies: the job is kept failed to retry, the page says so in Bahasa
Indonesia, and the next try prints the copy (kiosk.render_worker)."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest

from kiosk import render_worker
from kiosk.chasil import copy_render
from kiosk.paper import copy as paper_copy
from tests.chasil.test_copies import app, ketua, kiosk, print_on, signed  # noqa: F401


def die_making_a_copy(*_: Any) -> bytes:
    """Run in the paper child: it is killed (as the kernel's OOM killer would) mid-copy."""
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("not reached")


@pytest.fixture(autouse=True)
def fresh_child():
    render_worker.shutdown()
    yield
    render_worker.shutdown()


def test_a_killed_paper_child_keeps_the_copy_to_retry_with_an_indonesian_message(
    ketua,  # noqa: F811
    kiosk,  # noqa: F811
    monkeypatch,
):
    doc_id, token = signed(ketua)
    monkeypatch.setattr(paper_copy, "a4_copy", die_making_a_copy)
    failed = print_on(ketua, doc_id, token, "a4")
    assert failed.status_code == 503
    page = failed.get_data(as_text=True)
    assert "Printer A4: Printer menolak pekerjaan cetak" in page, page[-3000:]
    assert "Tekan Ulangi" in page
    assert kiosk.devices.document_printer.jobs == []
    rows = kiosk.db.read("SELECT state, error FROM print_job ORDER BY copy_no")
    assert tuple(rows[0]) == ("failed", "RenderChildLost")

    monkeypatch.undo()
    assert print_on(ketua, doc_id, token, "a4").status_code == 302
    assert len(kiosk.devices.document_printer.jobs) == 4
    rows = kiosk.db.read("SELECT state FROM print_job")
    assert [r["state"] for r in rows] == ["printed"] * 4


def test_a_copy_made_in_the_paper_child_is_the_copy_made_here(ketua, kiosk):  # noqa: F811
    doc_id, _ = signed(ketua)
    doc = kiosk.services.documents.document(doc_id)
    label = copy_render.CopyLabel(2, 4, "PPS", "13:05 WITA", False)
    profile = kiosk.services.copies.profile
    made_there = copy_render.copy_pdf(profile, doc, label)
    assert render_worker.child_pids(), "no paper child made it"
    assert made_there == copy_render.make_copy_pdf(profile, doc, label)


def test_a_paper_child_killed_while_signing_says_so_and_keeps_the_pages(
    ketua,  # noqa: F811
    kiosk,  # noqa: F811
    monkeypatch,
):
    """Signing is no print: its failure names no printer. Nothing is recorded half; the pages
    stay, and pressing Done again makes the document."""
    from kiosk.chasil import signing
    from tests.chasil.test_chasil_http import GOOD, form
    from tests.chasil.test_copies import NOTE
    from tests.kiosk.conftest import csrf_token

    token = csrf_token(ketua, "/chasil/PPWP/1")
    ketua.post("/chasil/PPWP/1", data=form(GOOD, token))
    ketua.post("/chasil/PPWP/confirm", data={"csrf_token": token, "note": NOTE})
    ketua.post("/chasil/PPWP/scan", data={"csrf_token": token, "source": "adf"})
    pages = kiosk.db.read("SELECT id FROM scan_page")
    monkeypatch.setattr(signing, "images_pdf", die_making_a_copy)
    resp = ketua.post("/chasil/PPWP/finish", data={"csrf_token": token}, follow_redirects=True)
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "Dokumen belum dibuat: pembuatan PDF-nya terhenti" in text, text[-2000:]
    assert "Printer" not in text.split("<main>", 1)[1].split("</main>", 1)[0]
    assert kiosk.db.read("SELECT id FROM document") == []
    assert kiosk.db.read("SELECT id FROM scan_page") == pages

    monkeypatch.undo()
    done = ketua.post("/chasil/PPWP/finish", data={"csrf_token": token})
    assert done.status_code == 302 and "/documents/" in done.headers["Location"]
