"""A copy whose paper child dies: the job is kept failed to retry, the page says so in Bahasa
Indonesia, and the next try prints the copy (kiosk.render_worker)."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest

from kiosk import render_worker
from kiosk.chasil import copy_render
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
    monkeypatch.setattr(copy_render, "make_copy_pdf", die_making_a_copy)
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
