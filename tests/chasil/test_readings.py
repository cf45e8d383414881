"""The third reader in the kiosk (kiosk.chasil.readings): each page of the right form is read
in the reader's child process while people go on working, kept, compared with the typed
numbers and signed into the manifest; a page it cannot read, or a child that dies, is recorded
as failed and the next page is read.

Pages come from the fake scanner (realistic pages, held-out handwriting) at 200 dpi, so a page
is read in about 0.2 s once the child runs; only tests that read paper start the child.
"""

from __future__ import annotations

import json
import os
import signal
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from drivers.scanner.realistic import sheet_named
from kiosk import create_app
from kiosk.chasil import readings as readings_module
from kiosk.chasil.reading_queue import ReadingQueue
from kiosk.chasil.readings import PageReadings
from kiosk.collector.config import Policy
from kiosk.collector.verify import check_bundle
from kiosk.reader.page import Failure
from kiosk.settings import Settings
from kiosk.tps import SAMPLE_PROFILE
from kiosk.upload.bundle import bundle_bytes
from tests.chasil.test_chasil_http import GOOD
from tests.chasil.test_services import _as
from tests.unit.test_lazy_imports import last_json_line

DPI = 200
WAIT_S = 60.0  # a generous bound on the CI machine; a page takes about a second with the start


@pytest.fixture(autouse=True)
def read_at_once(monkeypatch):
    """Pages are read as soon as they are kept (the kiosk waits READ_DELAY_S first)."""
    monkeypatch.setattr(readings_module, "READ_DELAY_S", 0.0)


def _settings(data_dir: Path, **values: Any) -> Settings:
    return Settings.from_values(
        data_dir=data_dir, hardware="fake", training=True, scanner_dpi=DPI, **values
    )


@pytest.fixture
def settings(tmp_path):
    return _settings(tmp_path / "data")


@pytest.fixture
def app(settings):
    app = create_app(settings, provision_from=SAMPLE_PROFILE)
    yield app
    app.extensions["kiosk"].close()


@pytest.fixture
def kiosk(app):
    return app.extensions["kiosk"]


def _rows(kiosk) -> list[tuple[int, str, str]]:
    rows = kiosk.db.read("SELECT page_id, state, error FROM page_reading ORDER BY page_id")
    return [tuple(r) for r in rows]


def _scan(kiosk, ballot: str = "PPWP") -> int:
    """Scan one page of ``ballot`` from the glass as the Ketua; the new page's id."""
    s = kiosk.services
    before = {p.id for p in s.documents.pages(ballot)}
    s.documents.scan(ballot, _as(kiosk, "kpps1"), feeder=False)
    (page_id,) = {p.id for p in s.documents.pages(ballot)} - before
    return int(page_id)


def test_a_page_is_read_in_the_child_and_the_web_app_never_loads_numpy_nor_opencv(tmp_path):
    """In a fresh web app process: a realistic PPWP page is read in the background, the scan
    did not wait for it, the paper's confident numbers are the sheet's, a box typed wrong is
    a difference with its crop; and the web app has neither numpy nor OpenCV afterwards."""
    truth = sheet_named("PPWP").boxes()
    typed = {**truth, "V.0": truth["V.0"] + 800}  # 62 typed as 862
    result = last_json_line(
        textwrap.dedent(f"""
        import json, sys
        from kiosk import create_app
        from kiosk.chasil import readings
        from kiosk.settings import Settings
        from kiosk.tps import SAMPLE_PROFILE
        from tests.kiosk.conftest import PINS
        settings = Settings.from_values(
            data_dir={str(tmp_path / "data")!r}, hardware="fake", training=True, scanner_dpi={DPI}
        )
        app = create_app(settings, provision_from=SAMPLE_PROFILE)
        s = app.extensions["kiosk"].services
        readings.READ_DELAY_S = 0.0
        ketua = s.auth.login("kpps1", PINS["kpps1"], None)
        s.documents.scan("PPWP", ketua, feeder=False)
        waiting = s.readings.paper("PPWP").pending
        assert s.readings.wait_idle({WAIT_S})
        (page,) = s.documents.pages("PPWP")
        paper = s.readings.paper("PPWP")
        diffs = s.readings.differences("PPWP", {typed!r})
        out = dict(
            page=page.id,
            waiting=waiting,
            read=paper.pages_read,
            failed=list(paper.failed),
            boxes={{b.box: [b.value, b.confidence, b.page_id] for b in paper.boxes.values()}},
            diffs=[[d.box, d.paper, d.typed, d.kind, d.page_id] for d in diffs],
            crop=str(s.readings.crop(page.id, "V.0")),
            child=s.readings.worker.child_pids(),
            modules=sorted(m for m in ("numpy", "cv2") if m in sys.modules),
        )
        app.extensions["kiosk"].close()
        print(json.dumps(out))
    """)
    )
    assert result["modules"] == [], "the web app loaded the reader's libraries"
    assert result["child"] and result["child"][0] != os.getpid()
    assert result["waiting"] == 1, "the scan waited for the reading"
    assert (result["read"], result["failed"]) == (1, [])
    boxes = result["boxes"]
    assert set(boxes) == set(truth)
    sure = {box: v for box, (v, confidence, _) in boxes.items() if confidence >= 0.9}
    assert len(sure) >= 0.8 * len(truth), boxes
    assert sure == {box: truth[box] for box in sure}
    assert {page for _, _, page in boxes.values()} == {result["page"]}
    assert ["V.0", truth["V.0"], truth["V.0"] + 800, "differs", result["page"]] in result["diffs"]
    assert all(kind == "unsure" for box, *_, kind, _ in result["diffs"] if box != "V.0")
    with Image.open(result["crop"]) as crop:  # the box with its border, at 200 dpi
        assert crop.mode == "L" and 180 < crop.width < 230 and 50 < crop.height < 80


def test_a_page_of_another_ballots_form_is_not_read_and_no_reader_starts(kiosk):
    s = kiosk.services
    kiosk.devices.scanner.feed_wrong_sheet()
    page_id = _scan(kiosk)
    assert s.documents.pages("PPWP")[0].problem == "wrong_form"
    s.documents.use_anyway(page_id, _as(kiosk, "kpps1"), "Judul tercetak salah oleh percetakan")
    s.readings.submit(page_id)  # kept with a reason: still a DPR sheet, not PPWP's numbers
    assert _rows(kiosk) == []
    assert s.readings.wait_idle(1) and s.readings.worker.child_pids() == []
    paper = s.readings.paper("PPWP")
    assert (paper.pages_read, paper.pending, paper.failed, paper.boxes) == (0, 0, (), {})
    assert s.readings.crop(page_id, "V.0") is None


def sleep_in_the_child(*_: Any) -> None:
    """Run in the reader's child instead of read_page: it waits to be killed."""
    time.sleep(120)
    raise AssertionError("not killed")


def test_a_killed_reader_child_fails_its_page_with_a_reason_and_the_next_page_is_read(
    kiosk, monkeypatch
):
    s = kiosk.services
    with monkeypatch.context() as m:
        m.setattr(readings_module, "read_page", sleep_in_the_child)
        first = _scan(kiosk)
        deadline = time.monotonic() + WAIT_S
        while not s.readings.worker.child_pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        (child,) = s.readings.worker.child_pids()
        time.sleep(0.3)  # the job is in the child
        os.kill(child, signal.SIGKILL)
        assert s.readings.wait_idle(WAIT_S)
    assert _rows(kiosk) == [(first, "failed", Failure.READER_LOST.value)]
    assert s.readings.paper("PPWP").failed == ((first, "reader_lost"),)

    second = _scan(kiosk)
    assert s.readings.wait_idle(WAIT_S)
    assert _rows(kiosk)[1] == (second, "read", "")
    assert s.readings.worker.child_pids() != [child]
    paper = s.readings.paper("PPWP")
    assert (paper.pages_read, paper.failed) == (1, ((first, "reader_lost"),))


def test_pages_left_unread_by_a_power_cut_are_read_when_the_kiosk_starts_again(
    settings, monkeypatch
):
    """One page's row is pending (the power went while it was read), another page was kept
    but never submitted (the power went between the two): both are read at the next start."""
    first_app = create_app(settings, provision_from=SAMPLE_PROFILE)
    kiosk = first_app.extensions["kiosk"]
    with monkeypatch.context() as m:
        m.setattr(ReadingQueue, "put", lambda self, ids, delay_s: None)  # nothing is read
        pending = _scan(kiosk)
        m.setattr(PageReadings, "submit", lambda self, page_id: None)
        unsubmitted = _scan(kiosk)
    assert _rows(kiosk) == [(pending, "pending", "")]
    first_app.extensions["kiosk"].close()

    again = create_app(settings, provision_from=SAMPLE_PROFILE)
    kiosk = again.extensions["kiosk"]
    try:
        assert kiosk.services.readings.wait_idle(WAIT_S)
        assert _rows(kiosk) == [(pending, "read", ""), (unsubmitted, "read", "")]
        assert kiosk.services.readings.paper("PPWP").pages_read == 2
    finally:
        again.extensions["kiosk"].close()


def _confirm(kiosk) -> None:
    s, ketua = kiosk.services, _as(kiosk, "kpps1")
    s.chasil.save_entry("PPWP", 1, dict(GOOD), ketua)
    s.chasil.confirm("PPWP", ketua, "")


def _manifest(doc) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(doc.manifest.read_text(encoding="utf-8"))["manifest"]
    return manifest


def test_the_signed_manifest_carries_each_pages_reading_and_the_collector_accepts_it(kiosk):
    s = kiosk.services
    _confirm(kiosk)
    page_id = _scan(kiosk)
    doc = s.documents.finish("PPWP", _as(kiosk, "kpps1"))  # waits for the reading
    (page,) = _manifest(doc)["pages"]
    reading = page["reading"]
    assert reading["state"] == "read" and reading["form"] == "C.HASIL-PPWP"
    truth = sheet_named("PPWP").boxes()
    assert {b["box"] for b in reading["boxes"]} == set(truth)
    for b in reading["boxes"]:
        assert set(b) == {"box", "value", "confidence", "raw", "raw_confidence", "changed"}
        if b["confidence"] >= 0.9:
            assert b["value"] == truth[b["box"]], b
    assert _manifest(doc)["format"] == "tps-kiosk-manifest/2"  # the field is optional
    opened = check_bundle(bundle_bytes(doc.folder), Policy(True))
    assert opened.manifest["pages"][0]["reading"] == reading
    assert s.readings.crop(page_id, "S") is not None


def test_a_page_signed_at_once_is_signed_as_pending_and_with_reading_off_as_not_read(
    tmp_path, monkeypatch
):
    monkeypatch.undo()  # the kiosk's own delay: Selesai tapped right after the scan
    app = create_app(_settings(tmp_path / "on"), provision_from=SAMPLE_PROFILE)
    kiosk = app.extensions["kiosk"]
    try:
        _confirm(kiosk)
        _scan(kiosk)
        started = time.monotonic()
        doc = kiosk.services.documents.finish("PPWP", _as(kiosk, "kpps1"))
        assert time.monotonic() - started < readings_module.SIGN_WAIT_S  # nothing was read yet
        assert _manifest(doc)["pages"][0]["reading"] == {"state": "pending"}
        assert kiosk.services.readings.worker.child_pids() == []  # no child started for it
    finally:
        app.extensions["kiosk"].close()

    app = create_app(_settings(tmp_path / "off", paper_reader=False), provision_from=SAMPLE_PROFILE)
    kiosk = app.extensions["kiosk"]
    try:
        _confirm(kiosk)
        _scan(kiosk)
        assert _rows(kiosk) == [] and kiosk.services.readings.worker.child_pids() == []
        doc = kiosk.services.documents.finish("PPWP", _as(kiosk, "kpps1"))
        assert _manifest(doc)["pages"][0]["reading"] == {"state": "not_read"}
    finally:
        app.extensions["kiosk"].close()


def test_the_training_reset_clears_the_readings_and_their_crops(kiosk):
    s = kiosk.services
    page_id = _scan(kiosk)
    assert s.readings.wait_idle(WAIT_S)
    crop = s.readings.crop(page_id, "V.0")
    assert crop is not None and crop.is_file()
    done = s.training.reset(_as(kiosk, "pelatih"))
    assert done.deleted["page_reading"] == 1
    assert _rows(kiosk) == [] and not crop.exists()
    assert s.readings.paper("PPWP").pages_read == 0


def test_the_queue_reads_pages_in_turn_when_due_and_signing_waits_only_for_those_due():
    read: list[int] = []
    finished: list[bool] = []

    def slow_read(page_id: int) -> None:
        time.sleep(0.2)
        read.append(page_id)

    queue = ReadingQueue(slow_read, finished=lambda: finished.append(True))
    queue.put([1, 2], 0.0)
    queue.put([3], 60.0)  # kept a moment ago: not due for a minute
    queue.put([1], 60.0)  # already waiting: keeps its time
    assert queue.wait(0.0, {3})  # nothing due of page 3: a signature does not wait
    assert queue.wait(10.0, {1, 2}) and read == [1, 2]
    assert not queue.wait(0.1)  # page 3 still waits for its time
    queue.clear()
    assert queue.wait(5.0) and read == [1, 2]
    deadline = time.monotonic() + 5
    while not finished and time.monotonic() < deadline:
        time.sleep(0.01)
    assert finished == [True]  # the thread ended with the queue
    assert queue.close() is None
    queue.put([4], 0.0)  # closed: nothing more is read
    assert queue.wait(0.5) and read == [1, 2]
