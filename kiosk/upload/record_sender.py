"""Sending result records (kiosk.chasil.result_record) ahead of any document.

A record is at most 2 KB, so it goes whole in one request, ``PUT /records/<key>`` with the
signed record as the body and the profile's bearer token, instead of a tus upload (creation +
PATCH + receipt: three round trips, ~1 s more on EDGE's 300 ms). The PUT is idempotent on the
key (the SHA-256 of the body): the collector stores a key once and answers every PUT of it
with the same receipt (``201`` new, ``200`` had it), so re-sending after a lost answer or a
killed worker is the cheapest way to ask for the receipt — the asking costs what the sending
does. The receipt's hash must be the key, else the record is ``failed``.

A server that speaks only tus (``upload_receipt = "tus_completion"``: no ``/records/``, no
receipts) gets each record as its own small tus upload instead (``RecordTus``), through the
same tus client as the documents, its metadata naming it a result record (``kind``), its key
and its ballot. Its upload URL is stored before a byte is sent, so a killed worker resumes that
upload (the server's offset says what it has) instead of making another; the completed upload
is its receipt, recorded the moment the server acknowledges the last byte, as for documents in
that mode.

The worker (kiosk.upload.worker) asks ``RecordQueue.send_next`` before it looks at documents,
so every due record goes before the next document.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin

import requests

from kiosk.audit import AuditLog, Event
from kiosk.upload.adapter import (
    NetworkDown,
    NotConfigured,
    ReceiptMismatch,
    Rejected,
    ServerBusy,
    Stopped,
    TrainingBlocked,
    TransferError,
    Uploader,
    UploadError,
    UploadItem,
)
from kiosk.upload.outbox import Outbox, Receipt
from kiosk.upload.record_outbox import RecordJob, RecordOutbox
from kiosk.upload.refusals import UploadProblem
from kiosk.upload.tus import abandonable, deadline, retry_after

log = logging.getLogger(__name__)

RECORDS_PATH = "/records/"


class RecordPoster:
    """``PUT /records/<key>`` at the collector of ``endpoint`` (the tus URL; same host).
    ``down``: the trainer's simulated network switch (kiosk.training.network)."""

    def __init__(
        self,
        endpoint: str,
        token: str = "",
        timeout_s: float = 30.0,
        down: Callable[[], bool] = lambda: False,
    ) -> None:
        self.records = urljoin(endpoint, RECORDS_PATH)
        self.health = urljoin(endpoint, "/health")
        self.timeout_s = timeout_s
        self.down = down
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"

    def _request(self, method: str, url: str, **kw: object) -> requests.Response:
        if self.down():
            raise NetworkDown("simulasi: the trainer switched the network off")
        try:
            with deadline(self.timeout_s), abandonable():
                return self.http.request(method, url, timeout=self.timeout_s, **kw)  # type: ignore[arg-type]
        except requests.RequestException as exc:
            raise NetworkDown(str(exc) or type(exc).__name__) from exc

    def put(self, record: RecordJob) -> Receipt:
        """Send ``record``; its receipt. Raises UploadError."""
        if record.training:  # training data never reaches a production server
            answer = self._request("GET", self.health)
            busy(answer)
            if answer.status_code != 200 or answer.json().get("accept_training") is not True:
                raise TrainingBlocked(f"{self.health} does not accept training records")
        answer = self._request(
            "PUT",
            self.records + record.key,
            data=record.data,
            headers={"Content-Type": "application/json"},
        )
        busy(answer)
        if answer.status_code in (200, 201):
            body = answer.json()
            return Receipt(str(body["record_id"]), str(body["sha256"]), "record")
        try:
            info = answer.json()
            info = info.get("detail", info) if isinstance(info, dict) else {}
        except ValueError:
            info = {}
        if not isinstance(info, dict):
            info = {"detail": str(info)}
        reason = str(info.get("reason", "")) or f"http_{answer.status_code}"
        raise Rejected(reason, str(info.get("detail", answer.text[:200])))


def record_metadata(record: RecordJob) -> dict[str, str]:
    """The tus ``Upload-Metadata`` of a record sent as its own upload: what it is (``kind``),
    its key (also its SHA-256), TPS, ballot and sequence, so a plain tus server's operator can
    tell a record from a document bundle and file it without opening it."""
    fields = json.loads(record.data)["r"]  # (kiosk.chasil.result_record; upload must not import it)
    return {
        "filename": f"{fields['tps']}-{record.ballot}-hasil-{record.seq}-{record.key[:12]}.json",
        "filetype": "application/json",
        "kind": "result_record",
        "tps": str(fields["tps"]),
        "ballot": record.ballot,
        "seq": str(record.seq),
        "sha256": record.key,
        "key": record.key,
        "training": "1" if record.training else "0",
    }


class RecordTus:
    """A record as its own tus upload through ``uploader`` (the documents' TusUploader, in
    ``tus_completion`` mode, wrapped by the trainer's network switch in training): for a
    server with no ``/records/``. The completed upload is the receipt (its URL, our hash)."""

    def __init__(self, uploader: Uploader) -> None:
        self.uploader = uploader

    def put(
        self, record: RecordJob, path: Path, on_progress: Callable[[str, int], None]
    ) -> Receipt:
        """Send (or resume) ``record`` from its file ``path``; its receipt. Raises UploadError."""
        item = UploadItem(
            key=record.key,
            path=path,
            size=len(record.data),
            sha256=record.key,
            metadata=record_metadata(record),
            upload_url=record.upload_url,
            offset=0,  # the server's offset is asked for (HEAD) before anything is sent
            may_be_there=False,  # a plain tus server has no receipts to ask for
            training=record.training,
        )
        return self.uploader.send(item, on_progress)


class RecordsBusy(ServerBusy):
    """The collector cannot take a record now; ``retry_after_s``: what it asked (if it did)."""

    def __init__(self, message: str, retry_after_s: float | None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def busy(answer: requests.Response) -> None:
    """RecordsBusy (with the server's Retry-After) for a 429 or 5xx answer."""
    if answer.status_code == 429 or answer.status_code >= 500:
        wait = retry_after(answer.headers.get("Retry-After"))
        raise RecordsBusy(f"records: HTTP {answer.status_code}", wait)


class RecordQueue:
    """The worker's records: the next due one sent, its outcome stored."""

    def __init__(
        self,
        outbox: Outbox,
        poster: RecordPoster | RecordTus | None,
        audit: AuditLog | None = None,
    ) -> None:
        self.outbox = RecordOutbox(outbox)
        self.poster = poster
        self.audit = audit

    def requeue(self) -> None:
        self.outbox.requeue_interrupted_records()

    def send_next(self, online: Callable[[bool, str], None], delay: Callable[[int], float]) -> bool:
        """Send the oldest due record, if any (True). ``online`` tells the worker whether
        the server answered; ``delay(attempts)`` is its backoff, in seconds."""
        record = self.outbox.next_due_record()
        if record is None:
            return False
        self.outbox.start_record(record)
        try:
            if self.poster is None:
                raise NotConfigured("no server address on this kiosk")
            if isinstance(self.poster, RecordTus):
                path = self.outbox.record_file(record)
                receipt = self.poster.put(record, path, self._progress(record))
            else:
                receipt = self.poster.put(record)
            if receipt.sha256 != record.key:
                raise ReceiptMismatch(f"server stored {receipt.sha256[:16]}…")
        except Stopped:
            self.outbox.record_retry(record.id, UploadProblem.NONE, "stopped", 0)
            raise
        except UploadError as exc:
            self._failed(record, exc, online, delay)
        else:
            self.outbox.record_sent(record.id, receipt)
            online(True, "")
            if self.audit is not None:
                self.audit.record(
                    Event.UPLOAD_SENT,
                    record=record.key[:16],
                    ballot=record.ballot,
                    seq=record.seq,
                    receipt=receipt.id,
                )
            log.info("result record %s %d sent; receipt %s", record.ballot, record.seq, receipt.id)
        return True

    def _progress(self, record: RecordJob) -> Callable[[str, int], None]:
        """For a tus upload: store a new upload URL at once, before any byte goes to it; when
        the server has every byte, the record is sent (the completed upload is its receipt),
        committed before anything else happens."""
        stored = record.upload_url

        def progress(url: str, offset: int) -> None:
            nonlocal stored
            if url != stored:
                self.outbox.record_upload(record.id, url)
                stored = url
            if url and offset >= len(record.data):
                self.outbox.record_sent(record.id, Receipt(url, record.key, "tus_completion"))

        return progress

    def _failed(
        self,
        record: RecordJob,
        exc: UploadError,
        online: Callable[[bool, str], None],
        delay: Callable[[int], float],
    ) -> None:
        log.warning("result record %s %d not sent: %s", record.ballot, record.seq, exc)
        if isinstance(exc, NetworkDown):
            online(False, str(exc))
        if isinstance(exc, TransferError | Rejected | ReceiptMismatch):
            self.outbox.record_upload(record.id, "")  # a tus upload: next time, a new one
        if not exc.retry:
            self.outbox.record_failed(record.id, exc.code, str(exc))
            return
        wait = delay(record.attempts + 1)
        after = getattr(exc, "retry_after_s", None)
        if isinstance(after, int | float):  # the server said when: then, plus jitter on top,
            wait = float(after) + delay(1)  # so kiosks told the same moment come apart
        code = exc.code if exc.code is not UploadProblem.UNKNOWN else UploadProblem.NOT_CONFIGURED
        self.outbox.record_retry(record.id, code, str(exc), wait)
