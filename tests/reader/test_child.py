"""The reader's job and its child process: ``kiosk.reader.page.read_page`` reads a kept page file
against its form and writes each box's crop; a page it cannot read is a result that says why;
the reader's ``Worker`` (kiosk.render_worker) runs it in a child that may load numpy and
OpenCV (the paper child still may not), and a child that dies raises ``ReaderChildLost``."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from drivers.scanner.realistic import render_realistic, sheet_named
from kiosk import render_worker
from kiosk.chasil.renditions import archival_jpeg
from kiosk.forms import FormPage, shipped_forms
from kiosk.reader.page import Failure, PageResult, read_page
from kiosk.render_worker import ReaderChildLost, Worker
from tests.unit.test_lazy_imports import child_modules


def forms_of(ballot: str) -> list[FormPage]:
    return [f for f in shipped_forms() if f.ballot == ballot]


def kept_page(folder: Path, ballot: str, dpi: int, seed: int, colour: bool = False) -> Path:
    """A realistic page of ``ballot`` kept as the kiosk keeps it (archival JPEG)."""
    page = render_realistic(sheet_named(ballot), dpi, seed=seed, colour=colour)
    path = folder / f"{ballot}-{seed}.jpg"
    path.write_bytes(archival_jpeg(page.image, dpi))
    return path


@pytest.fixture
def reader() -> Iterator[Worker]:
    worker = Worker("reader", ReaderChildLost, block_numpy=False, keep_warm_s=30)
    yield worker
    worker.shutdown(kill=True)


def test_a_kept_page_is_read_against_its_form_with_a_crop_per_box(tmp_path):
    path = kept_page(tmp_path, "DPD", 200, seed=5, colour=True)
    result = read_page(path, 300, forms_of("DPD"), tmp_path / "crops")  # the file says 200 dpi
    truth = sheet_named("DPD").boxes()
    assert (result.state, result.failure, result.form, result.form_page) == (
        "read",
        "",
        "C.HASIL-DPD",
        1,
    )
    assert [b.box for b in result.boxes] == [b.name for b in forms_of("DPD")[0].boxes]
    sure = {b.box: b.value for b in result.boxes if b.confidence >= 0.9}
    assert len(sure) >= 0.8 * len(truth) and sure == {box: truth[box] for box in sure}
    assert all(len(b.candidates) <= 5 for b in result.boxes)
    crops = sorted(p.name for p in (tmp_path / "crops").iterdir())
    assert crops == sorted(f"{b.box}.png" for b in result.boxes)
    stored = json.loads(json.dumps(result.as_json()))  # as page_reading keeps it
    assert PageResult.from_json(stored).as_json() == result.as_json()


def test_a_page_that_is_not_the_form_or_not_an_image_is_a_failed_result_that_says_why(
    tmp_path,
):
    other = kept_page(tmp_path, "DPR", 200, seed=2)
    wrong = read_page(other, 200, forms_of("PPWP"), tmp_path / "crops")
    assert (wrong.state, wrong.failure, wrong.boxes) == ("failed", "registration", ())
    assert "page 1:" in wrong.detail
    assert not (tmp_path / "crops").exists()

    blank = tmp_path / "blank.jpg"
    blank.write_bytes(archival_jpeg(Image.new("L", (1654, 2339), 235), 200))
    assert read_page(blank, 200, forms_of("PPWP"), tmp_path).failure == "registration"

    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not a jpeg")
    assert read_page(broken, 200, forms_of("PPWP"), tmp_path).failure == "unreadable_file"
    assert read_page(tmp_path / "gone.jpg", 200, forms_of("PPWP"), tmp_path).failure == (
        Failure.UNREADABLE_FILE.value
    )


def test_the_reader_child_reads_with_numpy_and_opencv_and_the_paper_child_still_keeps_numpy_out(
    tmp_path, reader
):
    path = kept_page(tmp_path, "PPWP", 200, seed=1)
    result = reader.run(read_page, path, 200, forms_of("PPWP"), tmp_path / "crops")
    assert result.state == "read"
    (child,) = reader.child_pids()
    assert child != os.getpid() and child not in render_worker.child_pids()
    loaded = reader.run(child_modules)
    assert {"numpy", "cv2", "kiosk.reader.page", "kiosk.reader.digits"} <= loaded
    assert not loaded & {"flask", "kiosk.chasil", "kiosk.app", "kiosk.db", "pytesseract"}
    try:
        assert "numpy" not in render_worker.run(child_modules)  # the paper child keeps it out
    finally:
        render_worker.shutdown()


def test_a_killed_reader_child_raises_reader_child_lost_and_the_next_job_gets_a_new_child(
    tmp_path, reader
):
    from tests.unit.test_render_worker import slow

    first = reader.run(slow, 0)
    outcome: list[BaseException | int] = []

    def job() -> None:
        try:
            outcome.append(reader.run(slow, 30))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=job)
    worker.start()
    threading.Event().wait(0.5)
    os.kill(first, signal.SIGKILL)
    worker.join(timeout=20)
    assert not worker.is_alive(), "the job waited for a dead child"
    (lost,) = outcome
    assert isinstance(lost, ReaderChildLost) and isinstance(lost, render_worker.ChildLost)
    assert not isinstance(lost, render_worker.RenderChildLost)  # not a print failure
    assert reader.run(slow, 0) != first


def test_shutting_the_reader_down_mid_job_ends_its_child_at_once(reader):
    from tests.unit.test_render_worker import slow

    child = reader.run(slow, 0)
    outcome: list[BaseException | int] = []
    worker = threading.Thread(target=lambda: outcome.append(_catch(reader, 60)))
    worker.start()
    threading.Event().wait(0.5)
    reader.shutdown(kill=True)
    worker.join(timeout=10)
    assert not worker.is_alive(), "shutdown waited for the job"
    assert isinstance(outcome[0], ReaderChildLost)
    assert not Path(f"/proc/{child}").exists()  # killed and reaped


def _catch(reader: Worker, seconds: float) -> BaseException | int:
    from tests.unit.test_render_worker import slow

    try:
        return reader.run(slow, seconds)
    except BaseException as exc:
        return exc
