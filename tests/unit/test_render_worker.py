"""The paper child (kiosk.render_worker): results and errors come back as they are, and a child
that dies fails the job as a print failure the callers keep to retry."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.errors import PrinterError, PrintFailed
from kiosk import render_worker
from kiosk.errors import guidance_for
from kiosk.services.report_render import make_report_pdf, report_pdf

ROOT = Path(__file__).resolve().parents[2]


def slow(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def refuse() -> None:
    raise PrinterError("no paper child should swallow this", role="receipt_printer")


@pytest.fixture(autouse=True)
def fresh_child() -> Iterator[None]:
    render_worker.shutdown()
    yield
    render_worker.shutdown()


def test_the_report_is_the_same_bytes_made_in_the_child_or_here() -> None:
    args = ("Laporan — pembukaan", ["baris satu", "Ø baris dua"], True)
    # fpdf2 stamps the second it made the PDF, and with an embedded font derives the file's
    # /ID from it; the rest is the same bytes.
    stamp = re.compile(rb"/CreationDate \(D:\d{14}Z\)|/ID \[<[0-9A-F]+><[0-9A-F]+>\]")
    assert stamp.sub(b"", report_pdf(*args)) == stamp.sub(b"", make_report_pdf(*args))
    assert render_worker.child_pids() and render_worker.child_pids()[0] != os.getpid()


def test_an_error_in_the_child_comes_back_as_it_was_raised() -> None:
    with pytest.raises(PrinterError, match="no paper child should swallow this"):
        render_worker.run(refuse)


def test_a_killed_child_fails_the_job_as_a_print_failure_and_the_next_job_gets_a_new_one() -> None:
    first = render_worker.run(slow, 0)
    outcome: list[BaseException | int] = []

    def job() -> None:
        try:
            outcome.append(render_worker.run(slow, 30))
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=job)
    worker.start()
    time.sleep(0.5)
    os.kill(first, signal.SIGKILL)
    worker.join(timeout=20)
    assert not worker.is_alive(), "the job waited for a dead child"
    (lost,) = outcome
    assert isinstance(lost, render_worker.RenderChildLost)
    assert isinstance(lost, PrintFailed)  # the callers' except PrinterError: job kept to retry
    assert guidance_for(lost) == guidance_for(PrintFailed())  # "Tekan Ulangi …"
    second = render_worker.run(slow, 0)
    assert second != first


def test_the_child_is_let_go_when_idle_and_a_new_one_starts_for_the_next_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(render_worker, "KEEP_WARM_S", 0.3)
    first = render_worker.run(slow, 0)
    deadline = time.monotonic() + 10
    while render_worker.child_pids() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert render_worker.child_pids() == []
    with pytest.raises(ProcessLookupError):
        while time.monotonic() < deadline:  # the child's exit, once the pool has reaped it
            os.kill(first, 0)
            time.sleep(0.05)
    assert render_worker.run(slow, 0) != first


def a_lambda() -> object:
    return lambda: None  # no pickle carries a lambda back


def test_an_answer_that_cannot_go_back_fails_the_job_and_the_child_stays() -> None:
    child = render_worker.run(slow, 0)
    with pytest.raises(RuntimeError, match="could not send its answer back"):
        render_worker.run(a_lambda)
    assert render_worker.run(slow, 0) == child


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie no one reaps has ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def test_making_paper_starts_one_process_and_it_ends_with_the_web_app() -> None:
    """No multiprocessing resource tracker beside the child; and a web app killed outright
    (kill -9: no atexit) takes its paper child with it."""
    script = textwrap.dedent("""
        import sys, time
        from kiosk import render_worker
        from kiosk.services.report_render import report_pdf
        assert report_pdf("Laporan", ["baris"]).startswith(b"%PDF")
        print(render_worker.child_pids()[0], flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert children_of(parent.pid) == [child]
        assert b"kiosk.paper.child" in Path(f"/proc/{child}/cmdline").read_bytes()
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 10
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(child), "the paper child outlived the web app"
    finally:
        parent.kill()
        parent.wait()
