"""The default uploader: tus 1.0 (creation + checksum) through tuspy, to a collector.

The upload URL the server gives is handed to the queue at once (through tuspy's URL storage
interface), so after a power cut the upload resumes from the server's offset instead of
starting again. Each chunk carries an ``Upload-Checksum``. When all bytes are there, the
collector's receipt (its document id and the SHA-256 it computed) comes in the ``Tps-Receipt``
header of the last PATCH, or else from ``GET /receipts/<key>``; the worker compares that hash
with ours. A server without that route (a plain tus server, perhaps Sirekap) is used with
``receipt_mode="tus_completion"``: the completed upload is the receipt. In both modes an upload
the server acknowledged whole is reported (``on_progress(url, size)``) before the receipt is
asked for, and a delivered item is never uploaded again.

tuspy makes its HTTP calls without a timeout, so every call runs under a deadline
(``SIGALRM`` in the worker's main thread): a network that hangs ends as ``NetworkDown``. A
request the worker waits on may be abandoned when it is told to stop (``abandon_wait`` from
its SIGTERM handler raises ``Stopped`` there), except the chunk that completes an upload: its
answer is what makes the document delivered, so it is waited for (at most the deadline).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from types import FrameType
from typing import Any
from urllib.parse import urljoin

import requests
from requests.adapters import HTTPAdapter
from tusclient.client import TusClient
from tusclient.exceptions import TusCommunicationError
from tusclient.fingerprint.interface import Fingerprint
from tusclient.storage.interface import Storage
from urllib3.util.retry import Retry

from kiosk.upload.adapter import (
    NetworkDown,
    NoReceipt,
    Rejected,
    ServerBusy,
    Stopped,
    TrainingBlocked,
    TransferError,
    UploadError,
    UploadItem,
)
from kiosk.upload.outbox import Receipt

log = logging.getLogger(__name__)

TUS_HEADERS = {"Tus-Resumable": "1.0.0"}
RECEIPT_HEADER = "Tps-Receipt"  # the collector's receipt on the PATCH that completes an upload
RECEIPT_MODES = ("receipt", "tus_completion")  # the upload_receipt setting's choices


class _Deadline(Exception):
    pass


class _MainThread:
    """Whether the main thread now waits on a request it may abandon. Signals are per process
    and handled in the main thread, so this is process state, read only by abandon_wait."""

    waiting = False


@contextmanager
def abandonable(allowed: bool = True) -> Iterator[None]:
    """A request the worker may leave half-done when it must stop (the next start resumes or
    asks again); ``allowed=False`` for one whose answer must not be lost."""
    if not allowed or threading.current_thread() is not threading.main_thread():
        yield
        return
    _MainThread.waiting = True
    try:
        yield
    finally:
        _MainThread.waiting = False


def abandon_wait() -> None:
    """For the worker's SIGTERM/SIGINT handler: leave the request being waited on at once
    (raises Stopped in the main thread); outside such a request, do nothing."""
    if _MainThread.waiting:
        raise Stopped()


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise NetworkDown if the block takes longer than ``seconds`` (main thread only; in
    another thread the block runs without a deadline)."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def expired(signum: int, frame: FrameType | None) -> None:
        raise _Deadline()

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Deadline as exc:
        raise NetworkDown(f"no answer within {seconds:g} s") from exc
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _Answered(Exception):
    """A server's refusal as ``classify`` reads it (like tuspy's TusCommunicationError)."""

    def __init__(self, status_code: int, response_content: bytes) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code
        self.response_content = response_content


class _JobKey(Fingerprint):
    """tuspy finds a stored upload URL by the file's fingerprint; ours is the job's key."""

    def __init__(self, key: str) -> None:
        self.key = key

    def get_fingerprint(self, fs: Any) -> str:
        return self.key


class _JobUrl(Storage):
    """tuspy's URL storage, backed by the job row (through ``on_progress``)."""

    def __init__(self, item: UploadItem, on_progress: Callable[[str, int], None]) -> None:
        self.url = item.upload_url
        self.on_progress = on_progress

    def get_item(self, key: str) -> str | None:
        return self.url or None

    def set_item(self, key: str, value: str | None) -> None:
        if value and value != self.url:  # tuspy also "sets" None when nothing was stored
            self.url = value
            self.on_progress(value, 0)

    def remove_item(self, key: str) -> None:
        self.url = ""


def retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: delta-seconds or an HTTP date (RFC 9110
    10.2.3); None when absent or unreadable, 0 for a date already past."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def _busy(what: str, status: int, headers: Mapping[str, str] | None) -> ServerBusy:
    wait = retry_after((headers or {}).get("retry-after") or (headers or {}).get("Retry-After"))
    return ServerBusy(f"{what}HTTP {status}", wait)


def classify(exc: BaseException, headers: Mapping[str, str] | None = None) -> UploadError:
    """The UploadError a tuspy or requests failure amounts to (``headers``: the answer's, if
    known, for a ``Retry-After``)."""
    if isinstance(exc, UploadError):
        return exc
    status = getattr(exc, "status_code", None)
    body = getattr(exc, "response_content", None) or b""
    if status is None:
        return NetworkDown(str(exc) or type(exc).__name__)
    if status in (409, 460):
        return TransferError(f"HTTP {status}")
    if status == 429 or status >= 500:
        return _busy("", status, headers)
    if status in (404, 410):
        return TransferError(f"HTTP {status}: upload unknown to the server")
    reason, detail = _rejection(body)
    return Rejected(reason or f"http_{status}", detail)


def _rejection(body: bytes) -> tuple[str, str]:
    """(reason, detail) from a collector's JSON refusal, as well as it can be read."""
    try:
        data = json.loads(body.decode("utf-8"))
        info = data.get("detail", data)
        if isinstance(info, dict):
            return str(info.get("reason", "")), str(info.get("detail", ""))
        return "", str(info)
    except (ValueError, UnicodeDecodeError, AttributeError):
        return "", body[:200].decode("utf-8", "replace")


def _receipt_header(value: str) -> Receipt | None:
    try:
        data = json.loads(value)
        return Receipt(str(data["document_id"]), str(data["sha256"]), str(data["source"]))
    except (ValueError, KeyError, TypeError):
        return None


class TusUploader:
    def __init__(
        self,
        endpoint: str,
        token: str = "",
        chunk_size: int = 256 * 1024,
        timeout_s: float = 30.0,
        probe_timeout_s: float = 3.0,
        receipt_mode: str = "receipt",
    ) -> None:
        assert receipt_mode in RECEIPT_MODES, receipt_mode
        self.receipt_mode = receipt_mode
        self.endpoint = endpoint if endpoint.endswith("/") else endpoint + "/"
        self.receipts = urljoin(self.endpoint, "/receipts/")
        self.health = urljoin(self.endpoint, "/health")
        self.chunk_size = chunk_size
        self.timeout_s = timeout_s
        self.probe_timeout_s = probe_timeout_s
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = requests.Session()
        self.http.headers.update(self.headers)
        # An idle kept-alive connection may have been cut (NAT, a restarted server): one
        # retry of these idempotent requests on a fresh connection is not a network outage.
        retry = Retry(total=1, connect=0, read=0, status=0, allowed_methods={"GET", "OPTIONS"})
        self.http.mount("http://", HTTPAdapter(max_retries=retry))
        self.http.mount("https://", HTTPAdapter(max_retries=retry))

    def probe(self) -> bool:
        try:
            with abandonable():
                answer = self.http.options(
                    self.endpoint, headers=TUS_HEADERS, timeout=self.probe_timeout_s
                )
        except requests.RequestException:
            return False
        # The spec asks for Tus-Version here; @tus/server 1.x sends only Tus-Resumable.
        tus = "Tus-Version" in answer.headers or "Tus-Resumable" in answer.headers
        return answer.status_code < 500 and tus

    def receipt(self, key: str) -> Receipt | None:
        try:
            with abandonable():
                answer = self.http.get(self.receipts + key, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise NetworkDown(str(exc)) from exc
        if answer.status_code == 404:
            return None
        if answer.status_code == 422:
            info = answer.json()
            raise Rejected(str(info.get("reason", "rejected")), str(info.get("detail", "")))
        if answer.status_code == 429 or answer.status_code >= 500:
            raise _busy("receipt: ", answer.status_code, answer.headers)
        if answer.status_code != 200:
            raise Rejected(f"http_{answer.status_code}", answer.text[:200])
        data = answer.json()
        return Receipt(str(data["document_id"]), str(data["sha256"]), str(data.get("source", "")))

    def accepts_training(self) -> bool:
        """Whether the collector says it is a training collector (``GET /health`` answers
        ``"accept_training": true``). A server that does not say so is taken for production.
        Raises NetworkDown or ServerBusy when it cannot be asked."""
        try:
            with abandonable():
                answer = self.http.get(self.health, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise NetworkDown(str(exc)) from exc
        if answer.status_code == 429 or answer.status_code >= 500:
            raise _busy("health: ", answer.status_code, answer.headers)
        try:
            return answer.status_code == 200 and answer.json().get("accept_training") is True
        except (ValueError, AttributeError):
            return False

    def send(self, item: UploadItem, on_progress: Callable[[str, int], None]) -> Receipt:
        # Training data never reaches a production server: asked before anything else.
        training = item.training or item.metadata.get("training") == "1"
        if training and not self.accepts_training():
            raise TrainingBlocked(f"{self.health} does not accept training documents")
        if item.delivered:  # the server has every byte: never send them again
            return self._confirm(item, item.upload_url)
        if item.may_be_there and self.receipt_mode == "receipt":
            try:  # it may have arrived already (USB, or a lost answer)
                done = self.receipt(item.key)
            except Rejected:
                done = None  # refused before; the server checks this new upload afresh
            if done is not None:
                return done
        url = item.upload_url

        def progress(new_url: str, offset: int) -> None:
            nonlocal url
            url = new_url
            on_progress(new_url, offset)

        try:
            done = self._upload(item, progress)
        except (TusCommunicationError, requests.RequestException) as exc:
            raise classify(exc) from exc
        return done or self._confirm(item, url)

    def _confirm(self, item: UploadItem, url: str) -> Receipt:
        """The receipt of an upload the server has whole: the completed upload itself for a
        server without receipts, else the collector's (``NoReceipt`` while it has none)."""
        if self.receipt_mode == "tus_completion":
            return Receipt(url, item.sha256, "tus_completion")
        done = self.receipt(item.key)
        if done is None:
            raise NoReceipt("all bytes delivered; the server has not confirmed the document yet")
        return done

    def _upload(self, item: UploadItem, on_progress: Callable[[str, int], None]) -> Receipt | None:
        """Send what the server does not have yet; the receipt if the last chunk's answer
        carried one (the collector's ``Tps-Receipt`` header)."""
        storage = _JobUrl(item, on_progress)
        client = TusClient(self.endpoint, headers=dict(self.headers))
        try:
            with deadline(self.timeout_s), abandonable():
                uploader = self._uploader(client, item, storage)  # HEAD: the server's offset
        except TusCommunicationError as exc:
            # Never for a delivered upload (send() asks only for its receipt): this one was
            # not complete, so the server expired it or lost its storage.
            if getattr(exc, "status_code", None) not in (404, 410):
                raise
            log.info("upload %s unknown to the server; starting it again", item.key[:12])
            storage.remove_item(item.key)
            on_progress("", 0)
            with deadline(self.timeout_s), abandonable():
                uploader = self._uploader(client, item, storage)
        if not uploader.url:
            with deadline(self.timeout_s), abandonable():
                url = self._create(uploader)
            uploader.set_url(url)  # stored at once, through _JobUrl, before any byte
            uploader.offset = 0
        if uploader.offset != item.offset or uploader.offset >= item.size:
            on_progress(uploader.url, uploader.offset)  # at item.size: delivered, recorded
        while uploader.offset < item.size:
            last = uploader.offset + self.chunk_size >= item.size
            with deadline(self.timeout_s), abandonable(not last):
                try:
                    uploader.upload_chunk()
                except TusCommunicationError as exc:  # with the answer's Retry-After
                    raise classify(exc, uploader.request.response_headers) from exc
            on_progress(uploader.url, uploader.offset)
        answer = uploader.request.response_headers if uploader.request else {}
        return _receipt_header(answer.get(RECEIPT_HEADER.lower(), ""))

    def _create(self, uploader: Any) -> str:
        """POST the creation request ourselves (tuspy's ``create_url`` drops the answer's
        headers, and with them a ``Retry-After``); the new upload's URL."""
        answer = self.http.post(
            self.endpoint, headers=uploader.get_url_creation_headers(), timeout=self.timeout_s
        )
        location = answer.headers.get("location")
        if answer.status_code == 201 and location:
            return urljoin(self.endpoint, location)
        raise classify(_Answered(answer.status_code, answer.content), answer.headers)

    def _uploader(self, client: TusClient, item: UploadItem, storage: _JobUrl) -> Any:
        return client.uploader(
            file_path=str(item.path),
            chunk_size=self.chunk_size,
            metadata=item.metadata,
            upload_checksum=True,
            store_url=True,
            url_storage=storage,
            fingerprinter=_JobKey(item.key),
        )
