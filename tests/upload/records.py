"""Helpers for the result record tests: confirmed sheets of the sample profile and a worker
that sends records to a real collector."""

from __future__ import annotations

import contextlib
import random
import socket
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from kiosk.upload.record_sender import RecordPoster, RecordQueue
from kiosk.upload.worker import Worker
from tests.chasil.test_chasil_http import GOOD
from tests.kiosk.conftest import PINS
from tests.upload.processes import WorkerProcess
from tests.upload.test_worker import in_process_worker, register

__all__ = ["register"]  # the collector registration of tests/upload/test_worker.py

BALLOTS = ("PPWP", "DPR", "DPD")
_VOTERS = {k: v for k, v in GOOD.items() if not k.startswith("V.")}
SHEETS: dict[str, dict[str, int]] = {
    "PPWP": dict(GOOD),
    # The sample DPR: two parties of 2 and 3 candidates (tests/chasil/test_entry_steps.py).
    "DPR": _VOTERS
    | {"P.0": 10, "P.0.0": 50, "P.0.1": 40, "P.1": 5, "P.1.0": 100, "P.1.1": 2, "P.1.2": 1},
    "DPD": _VOTERS | {"V.0": 62, "V.1": 100, "V.2": 18, "V.3": 28},
}


def ketua(kiosk: Any) -> Any:
    return kiosk.services.auth.login("kpps1", PINS["kpps1"], None)


def confirm(kiosk: Any, ballot: str, note: str = "") -> str:
    """The Ketua enters and confirms ``ballot``'s sheet; the key of its result record."""
    chasil, login = kiosk.services.chasil, ketua(kiosk)
    chasil.save_entry(ballot, 1, dict(SHEETS[ballot]), login)
    chasil.confirm(ballot, login, note)
    confirmed = chasil.confirmed(ballot)
    assert confirmed is not None and confirmed.record
    return str(confirmed.record)


def correct_and_confirm(kiosk: Any, ballot: str, shift: int) -> str:
    """A correction after the confirmation (two votes move between candidates), then the
    Ketua's confirmation again: a new record that supersedes the last."""
    chasil, login = kiosk.services.chasil, ketua(kiosk)
    boxes = dict(SHEETS[ballot])
    boxes["V.0"] += shift
    boxes["V.1"] -= shift
    chasil.save_entry(ballot, 1, boxes, login, reason="salah baca")
    chasil.confirm(ballot, login, "")
    confirmed = chasil.confirmed(ballot)
    assert confirmed is not None
    return str(confirmed.record)


class Ketua:
    """Confirms every ballot once, then each round corrects and confirms two of them again."""

    CORRECTED = ("PPWP", "DPD")  # sheets of candidates: a correction moves votes V.0 -> V.1

    def __init__(self, kiosk: Any) -> None:
        self.kiosk = kiosk
        self.shift = dict.fromkeys(self.CORRECTED, 0)
        for ballot in BALLOTS:
            confirm(kiosk, ballot)

    def round(self) -> None:
        for ballot in self.CORRECTED:
            self.shift[ballot] = 2 - self.shift[ballot]  # always differs from the last
            correct_and_confirm(self.kiosk, ballot, self.shift[ballot])


def kiosk_records(data: Path) -> list[sqlite3.Row]:
    with sqlite3.connect(data / "kiosk.sqlite3") as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute("SELECT * FROM result_record ORDER BY id").fetchall()


def sending(data: Path) -> int:
    return sum(r["state"] == "sending" for r in kiosk_records(data))


def unsent(data: Path) -> int:
    return sum(r["state"] != "sent" for r in kiosk_records(data))


def kill_while_confirming(
    kiosk: Any, target_port: int, kills: int, up_to_s: float, **settings: str
) -> tuple[int, SlowProxy]:
    """The worker process (``tps-kiosk worker`` on the kiosk's data folder, ``settings`` as
    KIOSK_* names) sends through a SlowProxy to the server on ``target_port``: ``kills``
    rounds of the Ketua confirming again, the worker started and SIGKILLed after up to
    ``up_to_s``; then it runs until every record is sent (at most 90 s) and stops. How many
    kills found a record ``sending``, and the proxy (closed) with its counts."""
    data, rng, while_sending = kiosk.core.data_dir, random.Random(17), 0
    proxy = SlowProxy(target_port)
    worker = WorkerProcess(
        data,
        hardware="fake",
        upload_endpoint=proxy.url(),
        upload_backoff_base_s="1",
        upload_probe_s="1",
        **settings,
    )
    try:
        ketua = Ketua(kiosk)
        for _ in range(kills):
            ketua.round()
            worker.start()
            worker.wait_ready()
            time.sleep(rng.uniform(0.0, up_to_s))
            while_sending += sending(data)
            worker.kill()
        worker.start()
        worker.wait_ready()
        deadline = time.monotonic() + 90
        while unsent(data) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert worker.stop() == 0
    finally:
        worker.kill()
        proxy.close()
    return while_sending, proxy


def collector_records(collector_data: Path) -> list[sqlite3.Row]:
    with sqlite3.connect(collector_data / "collector.sqlite3") as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute("SELECT * FROM records ORDER BY id").fetchall()


def record_worker(data: Path, files_url: str) -> Worker:
    """The in-process worker of tests/upload/test_worker.py, sending result records too."""
    worker = in_process_worker(data, files_url)
    worker.records = RecordQueue(worker.outbox, RecordPoster(files_url, "t" * 16, 10.0))
    return worker


def drain_all(worker: Worker, steps: int = 200) -> None:
    for _ in range(steps):
        if not worker.step():
            return


class SlowProxy:
    """A TCP proxy on 127.0.0.1 that holds every answer of the collector back ``delay_s``, so
    a process killed at a random moment is often killed in the middle of a request. Counts
    the ``PUT /records/`` requests it forwards, and (``methods``) every request by method."""

    def __init__(self, target_port: int, delay_s: float = 0.15) -> None:
        self.target_port = target_port
        self.delay_s = delay_s
        self.puts = 0
        self.methods: Counter[str] = Counter()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str = "/files/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
        except OSError:
            client.close()  # the collector is down: as a refused connection
            return
        threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
        self._pipe(upstream, client, True)

    def _pipe(self, src: socket.socket, dst: socket.socket, answers: bool) -> None:
        try:
            while data := src.recv(65536):
                if answers:
                    time.sleep(self.delay_s)
                else:
                    self._count(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def _count(self, data: bytes) -> None:
        method = data.split(b" ", 1)[0]
        if method in (b"POST", b"PATCH", b"HEAD", b"GET", b"PUT", b"OPTIONS", b"DELETE"):
            self.methods[method.decode()] += 1
        if data.startswith(b"PUT /records/"):
            self.puts += 1

    def close(self) -> None:
        self.server.close()
