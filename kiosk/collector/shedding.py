"""Load shedding for the tus routes: ``503`` + ``Retry-After`` beyond a concurrent-upload limit.

Sirekap's servers were overloaded from 13.00 on election day; a collector that takes every
upload at once serves all of them slowly and times many out. Beyond ``Load.max_uploads``
concurrent upload requests (creation POST and PATCH under the tus prefix) a request is
answered at once with ``503 Service Unavailable`` and ``Retry-After: <seconds>``; the kiosk's
worker waits that long plus jitter, then resumes from the server's offset (HEAD is never shed).

The limit counts requests in flight, not uploads: a tus upload between two PATCHes holds
nothing on the server. The body of a shed PATCH is read and dropped before answering, so
the client reads the 503 instead of a connection reset in the middle of its send.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from kiosk.collector.config import Load

log = logging.getLogger(__name__)

UPLOAD_METHODS = frozenset({"POST", "PATCH"})


class LoadShedding:
    """Pure ASGI middleware (one event loop: the counter needs no lock)."""

    def __init__(self, app: ASGIApp, prefix: str, load: Load) -> None:
        self.app = app
        self.prefix = prefix
        self.load = load
        self.active = 0
        self.shed = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._limited(scope):
            await self.app(scope, receive, send)
            return
        if self.active >= self.load.max_uploads:
            self.shed += 1
            if self.shed == 1 or self.shed % 100 == 0:
                log.warning(
                    "overloaded: %d uploads in flight; %d request(s) shed so far",
                    self.active,
                    self.shed,
                )
            await _drain(receive)
            await _busy(send, self.load.retry_after_s)
            return
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1

    def _limited(self, scope: Scope) -> bool:
        return (
            scope["type"] == "http"
            and self.load.max_uploads > 0
            and scope["method"] in UPLOAD_METHODS
            and str(scope["path"]).startswith(self.prefix)
        )


async def _drain(receive: Receive) -> None:
    more = True
    while more:
        message: dict[str, Any] = dict(await receive())
        if message["type"] == "http.disconnect":
            return
        more = bool(message.get("more_body", False))


async def _busy(send: Send, retry_after_s: int) -> None:
    body = json.dumps({"error": "busy", "retry_after_s": retry_after_s}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after_s).encode()),
        (b"tus-resumable", b"1.0.0"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
