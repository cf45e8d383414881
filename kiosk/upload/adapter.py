"""The boundary between the queue and a server: what an uploader does and how it fails.

The default adapter speaks tus 1.0 to a collector (``kiosk.upload.tus``). When KPU provides a
Sirekap endpoint, a Sirekap adapter implements the same three calls (``kiosk.upload.run``'s
``make_uploader`` chooses it); the queue, the worker and the screens do not change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from kiosk.upload.outbox import Receipt
from kiosk.upload.refusals import UploadProblem


class UploadError(Exception):
    """An attempt that did not end with a receipt. ``code`` is what the screen explains;
    ``retry`` says whether the worker tries again by itself."""

    code: ClassVar[UploadProblem] = UploadProblem.UNKNOWN
    retry = True


class NetworkDown(UploadError):
    """No route, refused, reset or timed out: the network (or the server) is not there."""

    code = UploadProblem.NETWORK


class ServerBusy(UploadError):
    """The server answered but cannot take it now (5xx, 429). ``retry_after_s``: how long it
    asked the client to wait (its ``Retry-After``), if it said."""

    code = UploadProblem.SERVER_BUSY

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class TransferError(UploadError):
    """The bytes did not arrive as sent (checksum mismatch, offset conflict): send again."""

    code = UploadProblem.TRANSFER


class NoReceipt(UploadError):
    """All bytes are there (the server acknowledged offset = length) but it has not confirmed
    the document yet. The worker asks again later, with backoff; it never sends it again."""

    code = UploadProblem.NO_RECEIPT


class ReceiptMismatch(UploadError):
    """The server's hash of what it stored for this key is not ours. The server keeps the
    first copy of a key, so sending again cannot help: a person must look."""

    code = UploadProblem.RECEIPT_MISMATCH
    retry = False


class Rejected(UploadError):
    """The server refused the document itself (signature, TPS, training data...). Trying
    again cannot help; a person must look."""

    code = UploadProblem.REJECTED
    retry = False

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class TrainingBlocked(UploadError):
    """A training (latihan) document was about to go to a server that does not say it accepts
    training documents (``GET /health`` without ``accept_training``): a production collector.
    Nothing was sent; trying again cannot help."""

    code = UploadProblem.TRAINING_BLOCKED
    retry = False


class NotConfigured(UploadError):
    """No server address is set on this kiosk (USB export is the way)."""

    code = UploadProblem.NOT_CONFIGURED


class Stopped(BaseException):
    """The worker was told to stop (SIGTERM, SIGINT) in the middle of an attempt; the job
    goes on at the next start. A BaseException, like KeyboardInterrupt, so that no library's
    ``except Exception`` swallows it and keeps the worker busy."""


@dataclass(frozen=True)
class UploadItem:
    key: str  # idempotency key: SHA-256 of the signed manifest
    path: Path  # the bundle
    size: int
    sha256: str
    metadata: dict[str, str]
    upload_url: str  # "" before the server gave one
    offset: int
    may_be_there: bool = True  # False: never sent and never exported, no receipt can exist
    training: bool = False  # a training (latihan) document: only a training server may have it
    delivered: bool = False  # the server acknowledged every byte before: only ask for the receipt


class Uploader(Protocol):
    def probe(self) -> bool:
        """A cheap look at the server: does it answer at all? Never raises."""
        ...

    def receipt(self, key: str) -> Receipt | None:
        """The server's receipt for a document it already has, else None. Raises UploadError
        when the server cannot be asked."""
        ...

    def send(self, item: UploadItem, on_progress: Callable[[str, int], None]) -> Receipt:
        """Upload (or resume) and return the receipt. ``on_progress(upload_url, offset)`` is
        called as soon as the server gives the upload URL and after every chunk, so the
        queue can store it and resume after a reboot. A training item goes only to a server
        that says it accepts training documents, else TrainingBlocked before any byte is
        sent. Once the server has acknowledged every byte, ``on_progress(url, size)`` is
        called before anything else (the queue records the job delivered); a ``delivered``
        item is never uploaded again, only its receipt asked for. Raises UploadError."""
        ...
