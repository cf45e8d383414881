"""The upload worker (``tps-kiosk worker``): drains the outbox, one job at a time.

It runs as its own process (its own systemd unit), so a stuck network never slows the touch
screen. It may be killed at any instant: every step is a committed row, a job left ``sending``
goes back to pending on start, an upload resumes from the server's offset, and the receipt is
asked for before anything is sent again, so no document is lost or sent twice. An upload the
server acknowledged whole is recorded delivered at once and afterwards only its receipt is
asked for, so a server that forgets a finished upload's URL never gets it twice.

On SIGTERM/SIGINT (``run``'s ``stop``) the worker leaves the request it waits on and the job
goes back to pending, so it stops within seconds even in the middle of a long upload.

Failed attempts, and receipt requests that find none, wait with exponential backoff and full
jitter, capped. A server that answers busy with a ``Retry-After`` (the collector sheds load with
503) is waited for that long, plus full jitter on top so kiosks told the same moment do not all
come back at it; the upload then resumes from the server's offset. While jobs wait for the
network, a cheap probe of the server every few seconds brings them back within seconds of the
network returning instead of at the end of a long backoff.
"""

from __future__ import annotations

import fcntl
import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from kiosk.audit import AuditLog, Event
from kiosk.errors import StorageFull
from kiosk.upload.adapter import (
    NetworkDown,
    NoReceipt,
    ReceiptMismatch,
    Rejected,
    ServerBusy,
    Stopped,
    TransferError,
    Uploader,
    UploadError,
    UploadItem,
)
from kiosk.upload.bundle import upload_metadata
from kiosk.upload.outbox import DocumentChanged, Job, Outbox
from kiosk.upload.record_sender import RecordQueue
from kiosk.upload.refusals import UploadProblem

log = logging.getLogger(__name__)


UPLINK_REFRESH_S = 30.0  # the screen's "server reachable" is at most this old while sending
PROGRESS_EVERY_S = 1.0  # how often the shown progress is stored (a new upload URL: at once)


class WorkerBusy(Exception):
    """Another worker already drains this data directory."""


@dataclass(frozen=True)
class Backoff:
    base_s: float = 5.0
    cap_s: float = 600.0
    floor_s: float = 1.0

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Full jitter: uniform between 0 and min(cap, base * 2^(attempts-1)), floored so a
        failing job never spins."""
        ceiling = min(self.cap_s, self.base_s * 2 ** max(0, attempts - 1))
        return max(self.floor_s, rng.uniform(0, ceiling))

    def after(self, retry_after_s: float, rng: random.Random, jitter_cap_s: float = 30.0) -> float:
        """A server's ``Retry-After`` (floored, and capped at ``cap_s`` against a wild value)
        plus full jitter on top: uniform between 0 and min(the wait, ``jitter_cap_s``)."""
        wait = min(self.cap_s, max(self.floor_s, retry_after_s))
        return wait + rng.uniform(0, min(wait, jitter_cap_s))


def single_worker(data_dir: Path) -> IO[bytes]:
    """Hold the data directory's worker lock for the life of the process."""
    handle = open(data_dir / "worker.lock", "ab")  # noqa: SIM115 - held until exit
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise WorkerBusy(f"another upload worker is running on {data_dir}") from exc
    return handle


class Worker:
    def __init__(
        self,
        outbox: Outbox,
        uploader: Uploader,
        backoff: Backoff = Backoff(),
        probe_every_s: float = 5.0,
        idle_poll_s: float = 1.0,
        rng: random.Random | None = None,
        heartbeat: Callable[[], None] = lambda: None,
        audit: AuditLog | None = None,
        records: RecordQueue | None = None,
    ) -> None:
        self.outbox = outbox
        self.records = records  # result records: sent before any document
        self.uploader = uploader
        self.backoff = backoff
        self.probe_every_s = probe_every_s
        self.idle_poll_s = idle_poll_s
        self.rng = rng or random.Random()
        self.heartbeat = heartbeat
        self.audit = audit
        self._last_probe = 0.0
        self._uplink_written = 0.0
        self._online: bool | None = None
        self._stop = threading.Event()

    def run(self, stop: threading.Event) -> None:
        self._stop = stop
        interrupted = True  # a job may be left "sending" by a worker that died
        while not stop.is_set():
            self.heartbeat()
            try:
                if interrupted:
                    self.outbox.requeue_interrupted()
                    if self.records is not None:
                        self.records.requeue()
                    interrupted = False
                worked = self.step()
            except Stopped:  # told to stop while probing the network
                break
            except sqlite3.OperationalError as exc:  # database locked or disk full: wait
                log.error("upload queue: %s; trying again shortly", exc)
                interrupted, worked = True, False
            if not worked:
                stop.wait(self.idle_poll_s)

    def step(self) -> bool:
        """Send the next due job, or probe the network if jobs wait for it. True if a job
        was attempted."""
        # The numbers go first: every due result record before the next document.
        if self.records is not None and self.records.send_next(
            self._set_online, lambda attempts: self.backoff.delay(attempts, self.rng)
        ):
            return True
        job = self.outbox.next_due()
        if job is not None:
            self.send(job)
            return True
        # Probing helps only jobs that wait for the network (network_back wakes those); a
        # delivered job waiting for its receipt makes no traffic between its polls.
        if self._probe_due() and self.outbox.waiting_for_network():
            self.probe()
        return False

    def _probe_due(self) -> bool:
        return time.monotonic() - self._last_probe >= self.probe_every_s

    def probe(self) -> bool:
        self._last_probe = time.monotonic()
        online = self.uploader.probe()
        self._set_online(online)
        return online

    def _set_online(self, online: bool, detail: str = "") -> None:
        was = self._online
        self._online = online
        now = time.monotonic()
        if online != was or now - self._uplink_written >= UPLINK_REFRESH_S:
            self.outbox.set_uplink(online, detail)
            self._uplink_written = now
        if online and was is False:
            woken = self.outbox.network_back()
            log.info("network is back; %d waiting document(s) due now", woken)

    def send(self, job: Job) -> None:
        job = self.outbox.start(job)
        log.info("sending document %d (%s, attempt %d)", job.document_id, job.ballot, job.attempts)
        try:
            bundle = self.outbox.ensure_bundle(job)
            item = UploadItem(
                key=job.key,
                path=bundle.path,
                size=bundle.size,
                sha256=bundle.sha256,
                metadata=upload_metadata(
                    bundle,
                    (job.folder / "manifest.json").read_bytes(),
                    # the log's head now, newer than the one signed into the manifest
                    self.audit.head_json() if self.audit is not None else None,
                ),
                upload_url=job.upload_url,
                offset=job.offset,
                may_be_there=job.attempts > 1 or self.outbox.exported(),
                training=job.training,
                delivered=job.delivered,
            )
            receipt = self.uploader.send(item, self._progress_writer(job, bundle.size))
            if receipt.sha256 != bundle.sha256:
                raise ReceiptMismatch(f"server stored {receipt.sha256[:16]}…")
        except Stopped:
            self.outbox.stopped(job.id)
            log.info("document %d: stopped mid-attempt; it goes on at the next start", job.id)
        except StorageFull as exc:
            self._retry(job, UploadProblem.DISK_FULL, str(exc))
        except DocumentChanged as exc:
            self._fail(job, UploadProblem.DOCUMENT_CHANGED, str(exc))
        except OSError as exc:  # the document files cannot be read
            self._fail(job, UploadProblem.DOCUMENT_UNREADABLE, str(exc))
        except UploadError as exc:
            self._failed_attempt(job, exc)
        except Exception as exc:  # a bug or a surprise from a library: log it, keep the job
            log.exception("document %d: unexpected failure", job.document_id)
            self._retry(job, UploadProblem.INTERNAL, repr(exc))
        else:
            self.outbox.sent(job.id, receipt)
            self._set_online(True)
            if self.audit is not None:
                self.audit.record(
                    Event.UPLOAD_SENT,
                    document=job.document_id,
                    ballot=job.ballot,
                    receipt=receipt.id,
                    sha256=receipt.sha256,
                    via=receipt.source,
                )
            log.info("document %d sent; receipt %s", job.document_id, receipt.id)

    def _progress_writer(self, job: Job, size: int) -> Callable[[str, int], None]:
        """Store a new upload URL at once (before any byte goes to it, so a restart resumes
        it); store the offset for the screen at most once a second (resuming asks the
        server for the offset anyway); store "delivered" at once when the server has
        acknowledged all ``size`` bytes, before the receipt is asked for. Every chunk is also
        a heartbeat: a long upload over a slow link is progress, not a hang (systemd's
        WatchdogSec= of the worker unit), and a moment to stop if the worker was told to."""
        last_url, last_at = job.upload_url, 0.0

        def write(url: str, offset: int) -> None:
            nonlocal last_url, last_at
            self.heartbeat()
            now = time.monotonic()
            if offset >= size:
                self.outbox.delivered(job.id, url, offset)
                log.info("document %d delivered whole to %s", job.document_id, url)
            elif url != last_url or now - last_at >= PROGRESS_EVERY_S:
                self.outbox.progress(job.id, url, offset)
                last_url, last_at = url, now
            if self._stop.is_set():
                raise Stopped()

        return write

    def _failed_attempt(self, job: Job, exc: UploadError) -> None:
        log.warning("document %d not sent: %s (%s)", job.document_id, exc.code.value, exc)
        if isinstance(exc, NetworkDown):
            self._set_online(False, str(exc))
        elif not isinstance(exc, NoReceipt):
            self._set_online(True)
        if isinstance(exc, ReceiptMismatch | TransferError | Rejected):  # next time: new upload
            self.outbox.forget_upload(job.id)
        if not exc.retry:
            self._fail(job, exc.code, str(exc))
        elif isinstance(exc, NoReceipt):  # delivered: ask again, backing off as sending does
            delay = self.backoff.delay(job.receipt_polls + 1, self.rng)
            self.outbox.await_receipt(job.id, str(exc), delay)
        elif isinstance(exc, ServerBusy) and exc.retry_after_s is not None:
            delay = self.backoff.after(exc.retry_after_s, self.rng)
            log.info("document %d: server busy; again in %.1f s", job.document_id, delay)
            self.outbox.retry_later(job.id, exc.code, str(exc), delay)
        else:
            self._retry(job, exc.code, str(exc))

    def _fail(self, job: Job, problem: UploadProblem, detail: str) -> None:
        self.outbox.fail(job.id, problem, detail)
        if self.audit is not None:
            self.audit.record(
                Event.UPLOAD_FAILED,
                document=job.document_id,
                ballot=job.ballot,
                error=problem.value,
            )

    def _retry(self, job: Job, problem: UploadProblem, detail: str) -> None:
        delay = self.backoff.delay(job.attempts, self.rng)
        self.outbox.retry_later(job.id, problem, detail, delay)
